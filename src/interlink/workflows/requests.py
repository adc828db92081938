"""The `http_request` step's call: through the transport (SSRF guard at connect, retries,
breaker per host), authenticated by a stored credential when the step names one: sent only to
the credential's hosts, and its values masked in the step's output and errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from interlink.config import TransportSettings
from interlink.core.db import Database
from interlink.core.errors import InterlinkError, UrlNotAllowed
from interlink.transport.auth import auth_headers
from interlink.transport.client import CallLabels, ProviderFacts, Transport
from interlink.transport.settings import call_settings
from interlink.vault.masking import secret_values
from interlink.vault.service import CredentialService, OpenCredential

_AUTH_METHODS = {"api_key", "oauth", "basic", "jwt"}
_LABELS = CallLabels("workflow_http", "http_request")  # a workflow's `http_request` step


class StepRequests:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        settings: TransportSettings,
        credentials: CredentialService,
    ) -> None:
        self.db = db
        self.transport = transport
        self.settings = settings
        self.credentials = credentials
        self.facts = ProviderFacts()

    async def request(
        self,
        workspace_id: str,
        credential_id: str | None,
        method: str,
        url: str,
        *,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise UrlNotAllowed("The URL must be an absolute http or https URL")
        auth: dict[str, str] = {}
        opened = OpenCredential()
        if credential_id is not None:
            auth, opened = await self._auth(workspace_id, credential_id)
        client = self.transport.client(
            f"workflow-http:{workspace_id}:{parts.hostname}",
            call_settings({}, self.settings),
            self.facts,
            auth,
            allowed_hosts=opened.hosts,
            secrets=secret_values(opened.data),
            labels=_LABELS,
        )
        secrets = client.secrets
        with secrets.active():
            try:
                response = await client.request(
                    method,
                    url,
                    params=query,
                    json=body,
                    headers=headers,
                    idempotency_key=idempotency_key if method not in {"GET", "HEAD"} else None,
                )
            except InterlinkError as failure:
                secrets.error(failure)
                raise
        try:
            parsed: Any = json.loads(response.body) if response.body else None
        except (ValueError, UnicodeDecodeError):
            parsed = response.text
        output = {"status": response.status, "headers": dict(response.headers), "body": parsed}
        return dict(secrets.data(output))

    async def _auth(
        self, workspace_id: str, credential_id: str
    ) -> tuple[dict[str, str], OpenCredential]:
        async with self.db.read() as session:
            row = await self.credentials.get(session, workspace_id, credential_id)
            opened = self.credentials.open(row)
        method = row.type if row.type in _AUTH_METHODS else "api_key"
        return auth_headers(method, opened.data), opened
