"""One contract over every registered connector, so no provider writes its own boilerplate tests."""

from __future__ import annotations

import ast
import hashlib
import hmac
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from interlink.providers.discord.verifier import DiscordVerifier
from interlink.providers.github.verifier import GitHubVerifier
from interlink.providers.kit.action import Connector
from interlink.providers.kit.verifiers import (
    HmacVerifier,
    IncomingRequest,
    SignatureRejected,
)
from interlink.providers.registry import default_registry
from interlink.providers.slack.verifier import SlackVerifier
from interlink.providers.stripe.verifier import StripeVerifier
from interlink.transport.classify import Outcome

CONNECTORS = [c for t in default_registry().types() if (c := default_registry().connector(t))]
ids = [c.spec.type for c in CONNECTORS]
HTTP_CLIENTS = {"aiohttp", "httpx", "requests", "urllib3", "http.client", "urllib.request"}


@pytest.fixture(params=CONNECTORS, ids=ids)
def connector(request: pytest.FixtureRequest) -> type[Connector]:
    found: type[Connector] = request.param
    return found


def test_the_registry_holds_the_builtins() -> None:
    assert {"http", "github"} <= {c.spec.type for c in CONNECTORS}


def test_every_action_is_documented_and_typed(connector: type[Connector]) -> None:
    assert connector.actions, f"{connector.spec.type} has no action"
    for action in connector.actions.values():
        assert action.summary, f"{action.name} has no docstring"
        assert action.input_model.model_json_schema()["type"] == "object"
        assert action.output_model.model_json_schema()["type"] == "object"


def test_every_connector_checks_its_credentials(connector: type[Connector]) -> None:
    assert connector.check is not Connector.check, f"{connector.spec.type} has no credential check"


@pytest.mark.parametrize(
    ("status", "outcomes"),
    [
        (401, {Outcome.REFRESH_THEN_RETRY, Outcome.FAIL}),
        (403, {Outcome.FAIL, Outcome.RATE_LIMITED}),
        (429, {Outcome.RATE_LIMITED}),
        (500, {Outcome.RETRY}),
        (502, {Outcome.RETRY}),
        (503, {Outcome.RETRY}),
    ],
)
def test_the_error_table_covers_the_statuses_that_matter(
    connector: type[Connector], status: int, outcomes: set[Outcome]
) -> None:
    assert connector.errors.covers(status)
    assert connector.errors.verdict(status).outcome in outcomes


def test_no_connector_opens_its_own_http_client(connector: type[Connector]) -> None:
    tree = ast.parse(inspect.getsource(inspect.getmodule(connector)))  # type: ignore[arg-type]
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {
        name for name in imported if name.split(".")[0] in HTTP_CLIENTS or name in HTTP_CLIENTS
    }


def test_the_spec_is_complete(connector: type[Connector]) -> None:
    spec = connector.spec
    assert spec.name
    assert spec.description
    assert spec.default_auth_method in spec.auth_methods
    assert spec.default_api_url or spec.needs_api_url or spec.type in {"http", "smtp"}


# -- webhook verifiers: a signed sample passes, a tampered one does not ----------------------------

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "whsec_contract_secret"
SAMPLE = b'{"id": "evt_1", "type": "event_callback", "event": {"type": "sample"}}'


@dataclass(frozen=True)
class Signed:
    """What a provider sends with `SAMPLE`, and what the integration holds to check it."""

    headers: dict[str, str]
    credentials: dict[str, Any] = field(default_factory=dict)
    configuration: dict[str, Any] = field(default_factory=dict)


def _hex_mac(message: bytes) -> str:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


def _github(body: bytes) -> Signed:
    headers = {
        "x-hub-signature-256": f"sha256={_hex_mac(body)}",
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-github-event": "sample",  # no published payload shape: taken as named
    }
    return Signed(headers, {"webhook_secret": SECRET})


def _stripe(body: bytes) -> Signed:
    stamp = str(int(NOW.timestamp()))
    signature = _hex_mac(stamp.encode() + b"." + body)
    return Signed({"stripe-signature": f"t={stamp},v1={signature}"}, {"webhook_secret": SECRET})


def _slack(body: bytes) -> Signed:
    stamp = str(int(NOW.timestamp()))
    headers = {
        "x-slack-signature": f"v0={_hex_mac(f'v0:{stamp}:'.encode() + body)}",
        "x-slack-request-timestamp": stamp,
    }
    return Signed(headers, {"signing_secret": SECRET})


_DISCORD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _discord(body: bytes) -> Signed:
    stamp = str(int(NOW.timestamp()))
    public = _DISCORD_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    headers = {
        "x-signature-ed25519": _DISCORD_KEY.sign(stamp.encode() + body).hex(),
        "x-signature-timestamp": stamp,
    }
    return Signed(headers, configuration={"webhook": {"public_key": public}})


def _hmac(body: bytes) -> Signed:
    return Signed({"x-webhook-signature": _hex_mac(body)}, {"webhook_secret": SECRET})


# Signed the way each provider documents it, independently of the verifier's own code.
SIGNERS: Mapping[type, Callable[[bytes], Signed]] = {
    GitHubVerifier: _github,
    StripeVerifier: _stripe,
    SlackVerifier: _slack,
    DiscordVerifier: _discord,
    HmacVerifier: _hmac,
}
WITH_VERIFIER = [c for c in CONNECTORS if c.webhook_verifier is not None]


def _request(body: bytes, signed: Signed) -> IncomingRequest:
    return IncomingRequest(body, signed.headers, signed.configuration, signed.credentials, NOW)


def test_the_connectors_that_receive_webhooks_have_verifiers() -> None:
    assert {"github", "stripe", "slack", "discord", "http"} <= {c.spec.type for c in WITH_VERIFIER}


@pytest.mark.parametrize("receiver", WITH_VERIFIER, ids=[c.spec.type for c in WITH_VERIFIER])
def test_the_verifier_accepts_a_signed_sample_and_rejects_a_tampered_one(
    receiver: type[Connector],
) -> None:
    verifier = receiver.webhook_verifier
    assert verifier is not None
    sign = SIGNERS.get(type(verifier))
    assert sign is not None, f"add a signer for {type(verifier).__name__} to SIGNERS"
    signed = sign(SAMPLE)
    tampered = SAMPLE.replace(b"sample", b"sampler")

    verified = verifier.verify(_request(SAMPLE, signed))

    assert verified.payload == json.loads(SAMPLE)
    with pytest.raises(SignatureRejected):
        verifier.verify(_request(tampered, signed))
    with pytest.raises(SignatureRejected):  # the same body under another secret or key
        verifier.verify(_request(SAMPLE, sign(b"another body")))


# Schemes that sign a timestamp: a sample is refused once it is older, or newer, than the window.
TIMESTAMPED = (StripeVerifier, SlackVerifier, DiscordVerifier)


@pytest.mark.parametrize("receiver", WITH_VERIFIER, ids=[c.spec.type for c in WITH_VERIFIER])
@pytest.mark.parametrize("offset", [-301, 301])
def test_a_signed_timestamp_outside_five_minutes_is_refused(
    receiver: type[Connector], offset: int
) -> None:
    verifier = receiver.webhook_verifier
    if not isinstance(verifier, TIMESTAMPED):
        pytest.skip("the scheme signs no timestamp")
    signed = SIGNERS[type(verifier)](SAMPLE)
    at = NOW + timedelta(seconds=offset)
    replayed = IncomingRequest(SAMPLE, signed.headers, signed.configuration, signed.credentials, at)
    with pytest.raises(SignatureRejected):
        verifier.verify(replayed)
