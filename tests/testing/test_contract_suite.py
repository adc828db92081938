"""The contract suite catches what it is for: a fixture that no longer replays, a mock that lets
any token in, a provider with an HTTP client of its own, a verifier that accepts anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from interlink.providers.http.provider import HttpConnector
from interlink.providers.kit.fixtures import Fixture
from interlink.providers.kit.verifiers import (
    HmacVerifier,
    IncomingRequest,
    VerifiedHook,
    WebhookVerifier,
    parse_json,
)
from interlink.providers.smtp import provider as smtp_provider
from interlink.providers.smtp.provider import SmtpConnector
from interlink.testing import contract
from interlink.testing.contract.suite import BY_NAME


def _fixture(name: str) -> Fixture:
    return next(f for f in HttpConnector.fixtures() if f.name == name)


async def _run(check: str, provider: type = HttpConnector, fixture: Fixture | None = None) -> None:
    await contract.Case(BY_NAME[check], provider, fixture=fixture).run()


async def test_the_http_provider_keeps_the_contract() -> None:
    report = await contract.run_contract(HttpConnector)

    assert report.ok, str(report)
    assert "http:server_error:post_json" in report.passed  # a POST, failed and not retried


async def test_a_fixture_that_no_longer_replays_says_where() -> None:
    text = _fixture("text")
    changed = text.model_copy(update={"output": {**text.output, "body": "another text\n"}})
    moved = text.model_copy(update={"parameters": {"path": "/json-array"}})

    with pytest.raises(contract.ContractFailure, match=r"output differs: \$\.body: recorded"):
        await _run("replays", fixture=changed)
    with pytest.raises(contract.ContractFailure, match="request path is"):
        await _run("replays", fixture=moved)


async def test_a_mock_that_lets_a_wrong_token_in_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    unauthenticated = [_fixture("text"), _fixture("post_json")]
    monkeypatch.setattr(HttpConnector, "fixtures", classmethod(lambda cls: unauthenticated))

    with pytest.raises(contract.ContractFailure, match="every fixture succeeded"):
        await _run("wrong_token")


async def test_smtp_keeps_the_contract_and_a_changed_message_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = await contract.run_contract(SmtpConnector)
    html = next(f for f in SmtpConnector.fixtures() if f.name == "send_email_html_cc")
    changed = html.model_copy(update={"output": {**html.output, "accepted": ["ada@example.com"]}})

    assert report.ok, str(report)
    assert {"smtp:replays:send_email_html_cc", "smtp:wrong_token"} <= set(report.passed)
    assert "speaks SMTP" in report.skipped["smtp:forbidden"]
    with pytest.raises(contract.ContractFailure, match=r"output is .*recorded"):
        await _run("replays", SmtpConnector, changed)

    made = smtp_provider._message

    def retitled(params: Any, sender: str, key: str | None) -> Any:
        message = made(params, sender, key)
        message.replace_header("Subject", "Another subject")
        return message

    monkeypatch.setattr(smtp_provider, "_message", retitled)
    with pytest.raises(contract.ContractFailure, match="the message's subject is 'Another"):
        await _run("replays", SmtpConnector, html)


async def test_a_provider_module_importing_an_http_client_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "leaky_provider"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "provider.py").write_text("from httpx import AsyncClient\n")
    (package / "mock.py").write_text("import aiohttp\n")  # a mock may
    monkeypatch.syspath_prepend(str(tmp_path))

    class Leaky(HttpConnector):
        @classmethod
        def package(cls) -> str:
            return "leaky_provider"

    with pytest.raises(contract.ContractFailure, match=r"leaky_provider\.provider imports httpx$"):
        await _run("no_http_client", Leaky)


class _Lax(HmacVerifier):
    def verify(self, request: IncomingRequest) -> VerifiedHook:
        return VerifiedHook("received", None, parse_json(request.body))


async def test_a_verifier_that_accepts_anything_fails() -> None:
    class Lax(HttpConnector):
        webhook_verifier: ClassVar[WebhookVerifier | None] = _Lax()

    with pytest.raises(contract.ContractFailure, match="accepted a tampered body"):
        await _run("webhook_signed_sample", Lax)
