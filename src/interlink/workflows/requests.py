"""The `http_request` step's call: through the transport (SSRF guard at connect, retries,
breaker per host), authenticated by a stored credential when the step names one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from interlink.config import TransportSettings
from interlink.core.db import Database
from interlink.core.errors import UrlNotAllowed
from interlink.transport.auth import auth_headers
from interlink.transport.client import CallLabels, ProviderFacts, Transport
from interlink.transport.settings import call_settings
from interlink.vault.service import CredentialService

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
        if credential_id is not None:
            auth = await self._auth(workspace_id, credential_id)
        client = self.transport.client(
            f"workflow-http:{workspace_id}:{parts.hostname}",
            call_settings({}, self.settings),
            self.facts,
            auth,
            labels=_LABELS,
        )
        response = await client.request(
            method,
            url,
            params=query,
            json=body,
            headers=headers,
            idempotency_key=idempotency_key if method not in {"GET", "HEAD"} else None,
        )
        try:
            parsed: Any = json.loads(response.body) if response.body else None
        except (ValueError, UnicodeDecodeError):
            parsed = response.text
        return {"status": response.status, "headers": dict(response.headers), "body": parsed}

    async def _auth(self, workspace_id: str, credential_id: str) -> dict[str, str]:
        async with self.db.read() as session:
            row = await self.credentials.get(session, workspace_id, credential_id)
            data = self.credentials.reveal(row)
        method = row.type if row.type in _AUTH_METHODS else "api_key"
        return auth_headers(method, data)
