"""OAuth2 tokens refreshed before they expire, one refresh at a time per credential.

Within a process an asyncio lock per credential makes concurrent calls wait for one refresh;
across processes the credential row is locked (`FOR UPDATE` on PostgreSQL; SQLite's
BEGIN IMMEDIATE already admits one writer). Inside the lock the stored token is read again: if
another caller refreshed it meanwhile, that token is used and the token endpoint is not called.
A rotated refresh token is kept. A grant the token endpoint refuses (`invalid_grant`, 400/401)
is told apart from a passing failure (5xx, timeout): it writes `credential.refresh_failed` and
answers AUTHENTICATION_FAILED; a passing failure only fails this call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from interlink.core.clock import Clock, rfc3339
from interlink.core.db import Database
from interlink.core.errors import AuthenticationFailed
from interlink.events.service import EventService
from interlink.events.types import CredentialRefreshFailed, EventType
from interlink.transport.classify import ErrorTable, Outcome, Verdict
from interlink.transport.client import CallSettings, ProviderFacts, Transport
from interlink.transport.retry import RetryPolicy
from interlink.vault.service import CredentialService

REFRESH_AHEAD = timedelta(seconds=60)
_TOKEN_ENDPOINT = ProviderFacts(
    errors=ErrorTable(
        {
            400: Verdict(Outcome.FAIL, AuthenticationFailed),
            401: Verdict(Outcome.FAIL, AuthenticationFailed),
        }
    ),
    rate_headers=None,
)


def expires_at(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def can_refresh(data: Mapping[str, Any]) -> bool:
    return bool(data.get("refresh_token") and data.get("token_url"))


class OAuthRefresher:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        credentials: CredentialService,
        transport: Transport,
        events: EventService,
    ) -> None:
        self.clock = clock
        self.db = db
        self.credentials = credentials
        self.transport = transport
        self.events = events
        self._locks: dict[str, asyncio.Lock] = {}

    def due(self, data: Mapping[str, Any]) -> bool:
        expiry = expires_at(data)
        return (
            can_refresh(data) and expiry is not None and expiry <= self.clock.now() + REFRESH_AHEAD
        )

    async def fresh(
        self,
        workspace_id: str,
        credential_id: str,
        data: Mapping[str, Any],
        *,
        rejected: bool = False,
    ) -> dict[str, Any]:
        """The credential's data with a usable access token. `rejected`: the provider has just
        refused `data`'s token (401), so refresh even if it has not expired."""
        if not can_refresh(data) or not (rejected or self.due(data)):
            return dict(data)
        lock = self._locks.setdefault(credential_id, asyncio.Lock())
        async with lock:
            try:
                return await self._refresh_locked(workspace_id, credential_id, data, rejected)
            except AuthenticationFailed as refused:
                await self._record_failure(workspace_id, credential_id, refused)
                raise AuthenticationFailed(
                    "The OAuth token endpoint refused this credential's refresh token: the grant "
                    "was revoked or expired; reconnect the account",
                    details=refused.details,
                ) from None

    async def _refresh_locked(
        self, workspace_id: str, credential_id: str, seen: Mapping[str, Any], rejected: bool
    ) -> dict[str, Any]:
        async with self.db.transaction() as session:
            row = await self.credentials.get(session, workspace_id, credential_id, for_update=True)
            current = self.credentials.reveal(row)
            if current.get("access_token") != seen.get("access_token"):
                return current  # another caller refreshed it while we waited
            if not rejected and not self.due(current):
                return current
            refreshed = await self._exchange(credential_id, current)
            self.credentials.replace_data(row, refreshed)
        return refreshed

    async def _exchange(self, credential_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        client = self.transport.client(
            f"oauth:{credential_id}",
            CallSettings(retry=RetryPolicy(max_retries=2)),
            _TOKEN_ENDPOINT,
            {"Accept": "application/json"},
        )
        form = {"grant_type": "refresh_token", "refresh_token": str(data["refresh_token"])}
        for name in ("client_id", "client_secret", "scope"):
            if data.get(name):
                form[name] = str(data[name])
        # Not retried after it was sent: with rotating refresh tokens the retry's token is spent.
        answer = (await client.post(str(data["token_url"]), form=form)).json()
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise AuthenticationFailed("The OAuth token endpoint gave no access_token")
        refreshed = {**data, "access_token": answer["access_token"]}
        if answer.get("refresh_token"):
            refreshed["refresh_token"] = answer["refresh_token"]  # rotated: the old one is spent
        if answer.get("token_type"):
            refreshed["token_type"] = answer["token_type"]
        if isinstance(answer.get("expires_in"), int | float):
            refreshed["expires_at"] = rfc3339(
                self.clock.now() + timedelta(seconds=answer["expires_in"])
            )
        return refreshed

    async def _record_failure(
        self, workspace_id: str, credential_id: str, refused: AuthenticationFailed
    ) -> None:
        reason = next(
            (str(d["provider_message"]) for d in refused.details if "provider_message" in d),
            refused.message,
        )
        async with self.db.transaction() as session:
            self.events.publish(
                session,
                workspace_id,
                EventType.CREDENTIAL_REFRESH_FAILED,
                CredentialRefreshFailed(credential_id=credential_id, reason=reason[:300]),
            )
