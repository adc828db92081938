"""The contract every provider keeps, run as behaviour against its mock, and the recorder of the
fixtures it replays.

Running the contract
--------------------
Each check makes cases of a provider (one, one per action, or one per fixture), run through the
real transport against the provider's mock on a loopback socket, on a frozen clock (waits are
recorded, never slept) and without a database. A provider package runs it on itself with
pytest:

    import pytest
    from interlink.testing import contract
    from acme_connector import AcmeConnector

    CASES = contract.cases([AcmeConnector])

    @pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
    async def test_the_contract(case: contract.Case) -> None:
        await contract.check(case)

or in one go: `report = await contract.run_contract(AcmeConnector)`; `report.ok`, and
`print(report)` says what failed or was skipped and why. `contract.cases(providers, "replays",
"wrong_token")` makes the cases of some checks only; `contract.CHECKS` lists them all:

- facts: the spec is complete, actions typed and documented, a credential check, an error table
  that makes 401, 403, 429 and 5xx what the transport needs;
- no_http_client: no module of the provider's package but its `mock*` modules imports aiohttp,
  httpx, requests, urllib3, http.client or urllib.request;
- has_a_fixture (per action): every action has a recorded fixture;
- replays (per fixture): replayed against a fresh mock, a fixture gives its output (or its
  error code), sends its requests and gets its answers;
- no_secret_in_output (per fixture): nothing a run returns carries the credential's values;
- wrong_token: a wrong token gives AUTHENTICATION_FAILED;
- forbidden: the provider's refusal (`MockUpstream.forbidden_response`) gives PERMISSION_DENIED;
- not_found: a missing resource gives EXTERNAL_RESOURCE_NOT_FOUND (a fixture that ends so, or
  `MockUpstream.missing_response` injected);
- rate_limited: a 429 with the provider's hint (`rate_limited_response`) is waited out for the
  hint and retried (the transport's pause where the provider names no wait: `rate_limit_hint`);
- server_error (per fixture that succeeds): a 5xx is retried when the call is safe to repeat (a
  read, an idempotent action, an Idempotency-Key), else not, and the call fails;
- rate_headers: the provider's rate-limit headers are what the transport observes;
- stops_at_the_limit (per action taking a `limit`): a fixture pages and stops at its limit;
- webhook_signed_sample, webhook_stale_sample: the verifier accepts a sample its `sign` made,
  refuses it tampered, under another secret, or stale when the scheme signs a timestamp.

A provider whose mock is an `SmtpMock` (`smtp`) runs the SMTP form of the checks that have one
(`interlink.testing.contract.smtp`): its actions run through the same transport against a fresh
aiosmtpd server, over STARTTLS trusting the server's CA, with auth required and the credentials
in `ctx.credentials` as the service hands them to SMTP. For it has_a_fixture, replays (its
output, or its error code, and the message the server received has the from, to, cc and
subject of the fixture's parameters and the accepted recipients as its envelope, over TLS; no
message for a run that fails), no_secret_in_output, wrong_token (a wrong password gives
AUTHENTICATION_FAILED, nothing sent) and server_error (per fixture that succeeds: the server
answering the end of DATA with 451 gives EXTERNAL_SERVICE_ERROR, with 550 INVALID_OPERATION,
nothing kept) run; forbidden, not_found, rate_limited and rate_headers are skipped saying why
(SMTP has no such answer), and so are the webhook checks (it sends none). Any other mock that
is not an HTTP `MockUpstream` skips the HTTP checks.

A mock says how the provider's errors look by overriding `forbidden_response`,
`missing_response`, `rate_limited_response` and `server_error_response`, and which credentials
an integration holds to call it by overriding `integration_credentials`.

Recording fixtures
------------------
A fixture (`interlink.providers.kit.fixtures`) is one run of one action against the provider's
mock: what it sent, what the mock answered, what it returned. Fixtures are recorded, never
written by hand:

    # a new fixture: the action, its parameters, and options to the mock's constructor
    python -m interlink.testing.contract record github --new --fixture get_repository \\
        --action get_repository --parameters '{"owner": "octo-org", "repo": "hello-world"}' \\
        --description "a public repository"

    # refresh every fixture of a provider (after changing an action or its mock), or some
    python -m interlink.testing.contract record github
    python -m interlink.testing.contract record github --action get_issues
    python -m interlink.testing.contract record github --fixture get_repository

    # in CI: exit 1 when a recording no longer matches its file
    python -m interlink.testing.contract record github --check

`--mock '{"issues": 5}'` builds the mock with those options; `--configuration '{...}'` adds
configuration fields (beyond `api_url` and `auth_method`, which the recorder sets). The file
goes to `fixtures/<name>.json` in the provider's folder; its `action`, `description`, `mock`,
`configuration` and `parameters` are the spec a later `record` runs again, so a fixture can
also be started by writing only those fields. A run ending in one of our errors records its
code as `error` (e.g. a missing resource: `EXTERNAL_RESOURCE_NOT_FOUND`). Record a fixture for
every action; for an action that pages, record one whose `limit` stops it before the last page.

An SMTP fixture has no `exchanges` (they are HTTP): it records the `output` (or `error`) alone,
nothing normalised (the Message-ID comes from the operation's fixed idempotency key). Its `mock`
options go to `SmtpMock`'s constructor, but for `reject_recipients`, the addresses the server
refuses at RCPT:

    python -m interlink.testing.contract record smtp --new --fixture send_email_refused \
        --action send_email --mock '{"reject_recipients": ["bob@example.com"]}' \
        --parameters '{"to": ["ada@example.com", "bob@example.com"], "subject": "Hi", "text": "."}'
"""

from __future__ import annotations

from interlink.testing.contract.cases import Case, Check, ContractFailure, ContractSkipped
from interlink.testing.contract.exchanges import MOCK_ORIGIN, kept_headers
from interlink.testing.contract.harness import Result, Stage, stage
from interlink.testing.contract.recorder import fixtures_folder, record, write
from interlink.testing.contract.suite import CHECKS, Report, cases, check, run_contract

__all__ = [
    "CHECKS",
    "MOCK_ORIGIN",
    "Case",
    "Check",
    "ContractFailure",
    "ContractSkipped",
    "Report",
    "Result",
    "Stage",
    "cases",
    "check",
    "fixtures_folder",
    "kept_headers",
    "record",
    "run_contract",
    "stage",
    "write",
]
