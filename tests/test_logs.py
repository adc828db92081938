"""The last step of every log line masks what is shaped or named like a secret, at any depth."""

from __future__ import annotations

from interlink.logs import MASK, redact


def test_secret_names_are_masked_at_any_depth() -> None:
    event = {
        "event": "call",
        "password": "hunter2",
        "request": {"headers": {"Authorization": "Bearer abc", "Accept": "json"}},
        "attempts": [{"api_key": "k1"}, {"status": 500}],
    }

    out = redact(None, "info", event)

    assert out["password"] == MASK
    assert out["request"]["headers"] == {"Authorization": MASK, "Accept": "json"}
    assert out["attempts"] == [{"api_key": MASK}, {"status": 500}]


def test_secret_shapes_are_masked_inside_text() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrZXlfMSJ9.c2lnbmF0dXJlLXZhbHVl"
    event = {
        "event": "failed",
        "detail": f"key sk_live_abcdefghijklmnop and token {jwt}",
        "nested": {"note": "Bearer xyz.abc"},
        "sealed": "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAA",
    }

    out = redact(None, "info", event)

    assert "abcdefghijklmnop" not in out["detail"]
    assert jwt not in out["detail"]
    assert "xyz.abc" not in out["nested"]["note"]
    assert "AAAAAAAAAAAAAAAA" not in out["sealed"]
    assert out["event"] == "failed"
