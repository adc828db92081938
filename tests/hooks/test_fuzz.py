"""Hypothesis: whatever the headers and the body, a verifier either verifies or raises
`SignatureRejected` (which the route answers 401); nothing else escapes to become a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from interlink.providers.discord.verifier import DiscordVerifier
from interlink.providers.github.verifier import GitHubVerifier
from interlink.providers.kit.verifiers import (
    HmacVerifier,
    IncomingRequest,
    SignatureRejected,
    WebhookVerifier,
)
from interlink.providers.slack.verifier import SlackVerifier
from interlink.providers.stripe.verifier import StripeVerifier
from tests.hooks.conftest import NOW

# Header values as a server hands them over: latin-1 text of any bytes.
header_text = st.binary(max_size=120).map(lambda raw: raw.decode("latin-1")) | st.text(max_size=120)
stripe_items = st.lists(
    st.tuples(st.sampled_from(["t", "v1", "v0", "", "t ", "V1"]), header_text), max_size=6
).map(lambda items: ",".join(f"{k}={v}" for k, v in items))
digits = st.integers(min_value=-(10**20), max_value=10**20).map(str)

CASES: list[tuple[WebhookVerifier, tuple[str, ...], Mapping[str, Any], Mapping[str, Any]]] = [
    (GitHubVerifier(), ("x-hub-signature-256",), {}, {"webhook_secret": "s"}),
    (StripeVerifier(), ("stripe-signature",), {}, {"webhook_secret": "whsec_s"}),
    (
        SlackVerifier(),
        ("x-slack-signature", "x-slack-request-timestamp"),
        {},
        {"signing_secret": "s"},
    ),
    (
        DiscordVerifier(),
        ("x-signature-ed25519", "x-signature-timestamp"),
        {"webhook": {"public_key": "11" * 32}},
        {},
    ),
    (
        HmacVerifier(),
        ("x-sig",),
        {"webhook": {"signature_header": "X-Sig", "encoding": "base64", "prefix": "v1="}},
        {"webhook_secret": "s"},
    ),
]


def _rejects_cleanly(
    verifier: WebhookVerifier,
    headers: Mapping[str, str],
    body: bytes,
    configuration: Mapping[str, Any],
    credentials: Mapping[str, Any],
) -> None:
    request = IncomingRequest(body, headers, configuration, credentials, NOW)
    try:
        verifier.verify(request)
    except SignatureRejected:
        return
    raise AssertionError("a random signature verified")


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(CASES),
    values=st.lists(header_text | stripe_items | digits, min_size=2, max_size=2),
    drop=st.booleans(),
    body=st.binary(max_size=300),
)
def test_malformed_headers_are_only_ever_rejected(
    case: tuple[WebhookVerifier, tuple[str, ...], Mapping[str, Any], Mapping[str, Any]],
    values: list[str],
    drop: bool,
    body: bytes,
) -> None:
    verifier, names, configuration, credentials = case
    headers = dict(zip(names, values, strict=False))
    if drop:
        headers.pop(names[0])
    _rejects_cleanly(verifier, headers, body, configuration, credentials)


@settings(max_examples=200, deadline=None)
@given(
    webhook=st.dictionaries(st.text(max_size=20), st.none() | st.text() | st.integers())
    | st.text()
    | st.integers()
)
def test_any_generic_configuration_is_rejected_cleanly(webhook: Any) -> None:
    verifier = HmacVerifier()
    configuration = {"webhook": webhook}
    verifier.kept_headers(configuration)
    _rejects_cleanly(verifier, {"x-webhook-signature": "00"}, b"{}", configuration, {})


@settings(max_examples=200, deadline=None)
@given(public_key=st.none() | st.text(max_size=80) | st.integers() | st.lists(st.integers()))
def test_any_discord_key_is_rejected_cleanly(public_key: Any) -> None:
    headers = {"x-signature-ed25519": "00" * 64, "x-signature-timestamp": "1"}
    _rejects_cleanly(DiscordVerifier(), headers, b"{}", {"webhook": {"public_key": public_key}}, {})
