"""The contract every provider keeps, run as behaviour against its mock, and the recorder of the
fixtures it replays.

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
"""

from __future__ import annotations

from interlink.testing.contract.exchanges import MOCK_ORIGIN, kept_headers
from interlink.testing.contract.harness import Result, Stage, stage
from interlink.testing.contract.recorder import fixtures_folder, record, write

__all__ = [
    "MOCK_ORIGIN",
    "Result",
    "Stage",
    "fixtures_folder",
    "kept_headers",
    "record",
    "stage",
    "write",
]
