"""`interlink.webhooks.verify` accepts our deliveries and refuses anything else: signed by a
live server to a receiver on loopback, and built with the signing module for the edge cases."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from interlink import WebhookClient
from interlink.webhooks import WebhookVerificationError, verify
from interlink.webhooks.signing import new_secret, signature_headers

NOW = 1_800_000_000
BODY = json.dumps({"id": "evt_1", "event": "integration.created", "data": {}}).encode()


def signed(secrets: list[str], body: bytes = BODY, at: int = NOW) -> dict[str, str]:
    return signature_headers(secrets, "evt_1", at, body)


def test_a_standard_signature_verifies_and_the_payload_comes_back() -> None:
    secret = new_secret()

    assert verify(BODY, signed([secret]), secret, now=NOW) == json.loads(BODY)
    assert verify(BODY.decode(), signed([secret]), secret, now=NOW + 299)["id"] == "evt_1"


def test_header_names_are_read_in_any_case() -> None:
    secret = new_secret()
    headers = {k.upper(): v for k, v in signed([secret]).items()}

    assert verify(BODY, headers, secret, now=NOW)["id"] == "evt_1"


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = signed([new, old])  # the server signs with both during the grace period

    assert verify(BODY, headers, old, now=NOW)
    assert verify(BODY, headers, new, now=NOW)
    assert verify(BODY, signed([old]), [new, old], now=NOW)  # a receiver holding both


@pytest.mark.parametrize(
    ("body", "at", "secret_ok", "message"),
    [
        (BODY + b" ", NOW, True, "No webhook-signature matches"),
        (BODY, NOW - 301, True, "beyond 300 s"),
        (BODY, NOW + 301, True, "beyond 300 s"),
        (BODY, NOW, False, "No webhook-signature matches"),
    ],
)
def test_tampered_stale_or_foreign_deliveries_are_refused(
    body: bytes, at: int, secret_ok: bool, message: str
) -> None:
    secret = new_secret()
    headers = signed([secret], BODY, at)

    with pytest.raises(WebhookVerificationError, match=message):
        verify(body, headers, secret if secret_ok else new_secret(), now=NOW)


def test_missing_or_malformed_headers_are_refused() -> None:
    secret = new_secret()
    headers = signed([secret])

    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify(BODY, {}, secret, now=NOW)
    with pytest.raises(WebhookVerificationError, match="webhook-id"):
        verify(BODY, {**headers, "webhook-id": ""}, secret, now=NOW)
    with pytest.raises(WebhookVerificationError, match="Unix time"):
        verify(BODY, {**headers, "webhook-timestamp": "soon"}, secret, now=NOW)
    with pytest.raises(WebhookVerificationError, match="whsec_"):
        verify(BODY, headers, "not-a-secret", now=NOW)
    with pytest.raises(WebhookVerificationError, match="No secret"):
        verify(BODY, headers, [], now=NOW)


def test_the_legacy_hex_signature_verifies_when_no_standard_one_is_sent() -> None:
    secret = new_secret()
    legacy = {"X-Webhook-Signature": signed([secret])["X-Webhook-Signature"]}

    assert verify(BODY, legacy, secret)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError, match="X-Webhook-Signature"):
        verify(BODY + b"x", legacy, secret)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify(BODY, legacy, secret, allow_legacy=False)


def _by_hand(key: bytes, body: bytes = BODY, at: int = NOW) -> dict[str, str]:
    """The Standard Webhooks signature computed here, independently of the signing module."""
    digest = hmac.new(key, f"evt_1.{at}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(at),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ("whsec_" + base64.b64encode(b"k" * 32).decode(), b"k" * 32),  # whsec_ and base64
        ("whsec_abcdefghijklmnopqrstuvwxyz", b"whsec_abcdefghijklmnopqrstuvwxyz"),  # seed 000
        ("a passphrase of reasonable length", b"a passphrase of reasonable length"),
    ],
)
def test_both_forms_of_secret_verify(secret: str, key: bytes) -> None:
    assert verify(BODY, _by_hand(key), secret, now=NOW)["id"] == "evt_1"
    legacy = {"X-Webhook-Signature": hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()}
    assert verify(BODY, legacy, secret)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError, match="No webhook-signature matches"):
        verify(BODY, _by_hand(key + b"x"), secret, now=NOW)


# -- a delivery from the live server --------------------------------------------------------------
class Receiver(ThreadingHTTPServer):
    received: list[tuple[bytes, dict[str, str]]]
    arrived: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, dict(self.headers.items())))
        self.server.arrived.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.received, server.arrived = [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_live_delivery_verifies_with_the_endpoints_secret(live: str, receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with WebhookClient(access_token=live) as webhooks:
        endpoint = webhooks.create_webhook(url, ["webhook.test"], name="sdk receiver")
        delivery = webhooks.test_webhook(endpoint.id)
        assert receiver.arrived.wait(30), "the dispatcher never sent the delivery"
        webhooks.delete_webhook(endpoint.id)

    assert delivery.event == "webhook.test"
    body, headers = receiver.received[-1]
    payload = verify(body, headers, endpoint.secret)
    assert payload["event"] == "webhook.test"
    assert payload["id"] == headers["webhook-id"]
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, new_secret())
