"""Check 10: a provider that sends webhooks has a verifier that accepts a sample signed as the
provider signs it (`verifier.sign`), and refuses it tampered, signed with another secret, or
stale (for a scheme that signs a timestamp)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    WebhookKeys,
    WebhookVerifier,
)
from interlink.testing.contract.cases import Case, fail, skip

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "whsec_contract_secret"  # noqa: S105 - a sample's
OTHER_SECRET = "whsec_another_secret"  # noqa: S105 - a sample's
SAMPLE = b'{"id": "evt_1", "type": "event_callback", "event": {"type": "sample"}}'
STALE = timedelta(seconds=301)  # past the default window of five minutes


def _verifier(case: Case) -> WebhookVerifier:
    verifier = case.provider.webhook_verifier
    if verifier is None:
        raise skip(f"{case.provider.spec.type} sends no webhooks (no webhook_verifier)")
    if not callable(getattr(verifier, "sign", None)):
        raise fail(f"{type(verifier).__name__} cannot sign a sample: give it sign()")
    return verifier


def _request(
    body: bytes, headers: dict[str, str], keys: WebhookKeys, at: datetime
) -> IncomingRequest:
    lower = {name.lower(): value for name, value in headers.items()}
    return IncomingRequest(body, lower, keys.configuration, keys.credentials, at)


def _signed(
    verifier: WebhookVerifier, body: bytes, keys: WebhookKeys, at: datetime
) -> dict[str, str]:
    return verifier.sign(body, keys.credentials, keys.configuration, at)


async def signed_sample(case: Case) -> None:
    """A signed sample is accepted; tampered, or signed with another secret, it is refused."""
    verifier = _verifier(case)
    if not getattr(verifier, "signs_body", True):
        raise skip(
            f"{type(verifier).__name__} signs nothing: a secret travels in the body (Graph's "
            "clientState), so a tampered body cannot be told apart; its own tests check it"
        )
    keys, other = verifier.sample_keys(SECRET), verifier.sample_keys(OTHER_SECRET)
    headers = _signed(verifier, SAMPLE, keys, NOW)
    name = type(verifier).__name__
    try:
        verified = verifier.verify(_request(SAMPLE, headers, keys, NOW))
    except SignatureRejected as refused:
        raise fail(f"{name} refused a sample it signed: {refused}") from None
    if verified.payload != json.loads(SAMPLE):
        raise fail(f"{name} read the sample as {verified.payload!r}")
    tampered = SAMPLE.replace(b"sample", b"sampler")
    forged = _signed(verifier, SAMPLE, other, NOW)
    for what, request in (
        ("a tampered body", _request(tampered, headers, keys, NOW)),
        ("a sample signed with another secret", _request(SAMPLE, forged, keys, NOW)),
    ):
        _refused(verifier, request, what)


async def stale_sample(case: Case) -> None:
    """A sample signed more than five minutes before (or after) now is refused."""
    verifier = _verifier(case)
    if not verifier.signs_timestamp:
        raise skip(
            f"{type(verifier).__name__} signs no timestamp: a replay is refused by the "
            "receiver, which keeps each delivery id and body once"
        )
    keys = verifier.sample_keys(SECRET)
    for offset in (-STALE, STALE):
        headers = _signed(verifier, SAMPLE, keys, NOW + offset)
        _refused(
            verifier,
            _request(SAMPLE, headers, keys, NOW),
            f"a sample signed {offset.total_seconds():+.0f} s from now",
        )


def _refused(verifier: WebhookVerifier, request: IncomingRequest, what: str) -> None:
    try:
        verifier.verify(request)
    except SignatureRejected:
        return
    raise fail(f"{type(verifier).__name__} accepted {what}")
