"""OAuth2 tokens got before they are needed: refreshed before they expire, or got by the
credential's own grant (client credentials, a JWT bearer assertion: `grants.py`) before its first
call; one exchange at a time per credential, and no database transaction open while the token
endpoint is called.

A credential gets its token at its own `token_url`, else at its provider's (the integration
type's `oauth.token_url`, given by the caller for an integration calling the provider's own API
host). An access token that has expired and cannot be refreshed (no grant, no token URL) is not
sent: the call fails with AUTHENTICATION_FAILED saying so. A token answer's `instance_url`
(Salesforce) is kept with the token: the credential's calls go there.

In one process, the callers that need one credential refreshed share one refresh (a single
flight: the others await its result or its error). Across processes a lease on the credential row
(`refreshing_by`, `refreshing_until`) says who refreshes:

1. a short read finds the stored token; if another caller refreshed it meanwhile (or it is not
   due any more), that token is used and the token endpoint is not called;
2. a short write claims the lease by compare-and-set: only when it is free or expired and the
   stored data is still what step 1 read;
3. the token endpoint is called with no transaction open, for at most EXCHANGE_SECONDS (well
   inside the LEASE);
4. a short write stores the new tokens, a rotated refresh token included, and frees the lease.

A process that finds the lease taken polls with short reads, on the injected clock, until the
token changes (it uses the new one), the lease is freed or expires (its holder died: it claims
it), or, after PATIENCE, finds the stored token has not expired yet (it uses that one rather than
wait longer). A grant the token endpoint refuses (`invalid_grant`, 400/401) is told apart from a
passing failure (5xx, timeout): it frees the lease, writes `credential.refresh_failed` and answers
AUTHENTICATION_FAILED; a passing failure frees the lease and only fails this call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog

from interlink.core.clock import Clock, rfc3339
from interlink.core.db import Database
from interlink.core.errors import AuthenticationFailed, ExternalServiceTimeout, InterlinkError
from interlink.events.service import EventService
from interlink.events.types import CredentialRefreshFailed, EventType, new_event
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import CallLabels, CallSettings, ProviderFacts, Transport
from interlink.transport.retry import RetryPolicy
from interlink.vault.grants import grant_of, missing_fields, own_token_url, token_form
from interlink.vault.masking import secret_values
from interlink.vault.models import Credential
from interlink.vault.service import CredentialService

log = structlog.get_logger(__name__)

REFRESH_AHEAD = timedelta(seconds=60)  # a token this close to its expiry is refreshed
LEASE = timedelta(seconds=60)  # a claim no one frees (its process died) lapses after this
EXCHANGE_SECONDS = 30.0  # the token call's own bound, so a live holder never outlasts LEASE
PATIENCE = timedelta(seconds=10)  # how long a still-valid token waits on another's refresh
POLL_SECONDS = 0.2
EXPIRY_NOTICE = timedelta(days=1)  # health warns of a token expiring this soon, unrefreshable
_LABELS = CallLabels("oauth", "token_refresh")
_REFUSED = {
    "refresh_token": "refresh token: the grant was revoked or expired; reconnect the account",
    "client_credentials": "client credentials: check the client id and secret, and that the "
    "app may use this grant",
    "jwt_bearer": "JWT assertion: check the issuer, subject, audience, and that the key is "
    "registered with the provider",
    None: "grant",
}
_TOKEN_ENDPOINT = ProviderFacts(
    errors=ErrorTable(
        {
            400: Verdict(Disposition.FAIL, AuthenticationFailed),
            401: Verdict(Disposition.FAIL, AuthenticationFailed),
        }
    ),
    rate_headers=None,
)


def expires_at(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # a time without zone: UTC


def token_url(data: Mapping[str, Any], provider_token_url: str | None = None) -> str | None:
    """Where the credential gets its tokens: its own `token_url`, else its provider's."""
    return own_token_url(data) or provider_token_url


def unrefreshable(data: Mapping[str, Any], provider_token_url: str | None = None) -> str | None:
    """Why the credential cannot get a new token; None when it can."""
    grant = grant_of(data)
    if grant is None:
        return "it has no refresh_token"
    missing = missing_fields(grant, data)
    if missing:
        return f"its {grant} grant lacks {', '.join(missing)}"
    if token_url(data, provider_token_url) is None:
        return "it has no token_url (and this integration's API has no well-known one)"
    return None


def gets_tokens(auth_method: str, data: Mapping[str, Any]) -> bool:
    """Its access token comes from a token endpoint: any OAuth credential (refreshed when it
    can be, checked for expiry when not), and a `jwt` one that holds a JWT bearer grant."""
    return auth_method == "oauth" or (auth_method == "jwt" and grant_of(data) is not None)


def can_refresh(data: Mapping[str, Any], provider_token_url: str | None = None) -> bool:
    return unrefreshable(data, provider_token_url) is None


def _expired(data: Mapping[str, Any], now: datetime) -> bool:
    expiry = expires_at(data)
    return expiry is not None and expiry <= now


def usable(data: Mapping[str, Any], provider_token_url: str | None, now: datetime) -> None:
    """Refuses (AUTHENTICATION_FAILED) an access token that has expired and cannot be
    refreshed: sending it would only be refused, or worse, look like it worked."""
    why = unrefreshable(data, provider_token_url)
    expiry = expires_at(data)
    if why is not None and expiry is not None and expiry <= now:
        raise AuthenticationFailed(
            f"This OAuth credential's access token expired at {rfc3339(expiry)} and cannot be "
            f"refreshed: {why}; reconnect the account or store a new token",
            details=[{"expires_at": rfc3339(expiry), "reason": why}],
        )


def expiry_notice(
    data: Mapping[str, Any], provider_token_url: str | None, now: datetime
) -> str | None:
    """What to warn of, when the access token expires within EXPIRY_NOTICE and cannot be
    refreshed; None otherwise (it can be, or it does not expire soon)."""
    why = unrefreshable(data, provider_token_url)
    expiry = expires_at(data)
    if why is None or expiry is None or expiry > now + EXPIRY_NOTICE:
        return None
    return (
        f"The OAuth access token expires at {rfc3339(expiry)} and cannot be refreshed ({why}): "
        "reconnect the account before then"
    )


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
        self._flights: dict[str, asyncio.Task[dict[str, Any]]] = {}

    def due(self, data: Mapping[str, Any]) -> bool:
        """It has no access token yet, or one that expires within REFRESH_AHEAD (or has)."""
        if not data.get("access_token"):
            return True
        expiry = expires_at(data)
        return expiry is not None and expiry <= self.clock.now() + REFRESH_AHEAD

    async def fresh(
        self,
        workspace_id: str,
        credential_id: str,
        data: Mapping[str, Any],
        *,
        provider_token_url: str | None = None,
        rejected: bool = False,
    ) -> dict[str, Any]:
        """The credential's data with a usable access token, refreshed at its own token URL or
        else at `provider_token_url`. `rejected`: the provider has just refused `data`'s token
        (401), so refresh even if it has not expired. AUTHENTICATION_FAILED for a token that
        has expired and cannot be refreshed."""
        if not can_refresh(data, provider_token_url):
            usable(data, provider_token_url, self.clock.now())
            return dict(data)
        if not (rejected or self.due(data)):
            return dict(data)
        while True:
            flight = self._flights.get(credential_id)
            if flight is None:
                flight = self._take_off(
                    workspace_id, credential_id, data, rejected, provider_token_url
                )
                return dict(await asyncio.shield(flight))
            landed = await asyncio.shield(flight)
            token_changed = landed.get("access_token") != data.get("access_token")
            if token_changed or not (rejected or self.due(landed)):
                return dict(landed)
            # That flight found no reason to refresh `data`'s token; this caller has one.

    def _take_off(
        self,
        workspace_id: str,
        credential_id: str,
        seen: Mapping[str, Any],
        rejected: bool,
        provider_token_url: str | None,
    ) -> asyncio.Task[dict[str, Any]]:
        """This process's one refresh of the credential. It runs to its end even when the caller
        that started it goes away: it may hold the lease and a refresh token already spent."""
        task = asyncio.create_task(
            self._refresh(workspace_id, credential_id, seen, rejected, provider_token_url)
        )
        self._flights[credential_id] = task

        def landed(done: asyncio.Task[dict[str, Any]]) -> None:
            if self._flights.get(credential_id) is done:
                del self._flights[credential_id]
            if not done.cancelled():
                done.exception()  # retrieved: a failure no caller awaited is not logged as lost

        task.add_done_callback(landed)
        return task

    async def _refresh(
        self,
        workspace_id: str,
        credential_id: str,
        seen: Mapping[str, Any],
        rejected: bool,
        provider_token_url: str | None,
    ) -> dict[str, Any]:
        started = self.clock.now()
        while True:
            row, current = await self._read(workspace_id, credential_id)
            if current.get("access_token") != seen.get("access_token"):
                return current  # another caller refreshed it
            if not rejected and not self.due(current):
                return current
            now = self.clock.now()
            if row.refreshing_until is None or row.refreshing_until <= now:
                owner = uuid4().hex
                if await self._claim(row, owner, now):
                    url = token_url(current, provider_token_url)
                    return await self._refresh_holding(row, current, owner, url)
            elif not rejected and not _expired(current, now) and now - started >= PATIENCE:
                return current  # still valid: better than waiting longer on a slow refresh
            if now - started >= LEASE + PATIENCE:
                raise ExternalServiceTimeout(
                    "Another refresh of this OAuth credential did not finish in time"
                )
            await self.clock.sleep(POLL_SECONDS)

    async def _read(
        self, workspace_id: str, credential_id: str
    ) -> tuple[Credential, dict[str, Any]]:
        async with self.db.read() as session:
            row = await self.credentials.get(session, workspace_id, credential_id)
        return row, self.credentials.reveal(row)

    async def _claim(self, row: Credential, owner: str, now: datetime) -> bool:
        async with self.db.transaction() as session:
            return await self.credentials.claim_refresh(session, row, owner, now, now + LEASE)

    async def _refresh_holding(
        self, row: Credential, current: dict[str, Any], owner: str, url: str | None
    ) -> dict[str, Any]:
        """The lease is `owner`'s: the token endpoint (`url`) is called with no transaction
        open."""
        try:
            refreshed = await self._exchange(row.id, current, url)
        except AuthenticationFailed as refused:
            return await self._refused(row, current, owner, refused)
        except BaseException:
            await self._release(row, owner)
            raise
        async with self.db.transaction() as session:
            stored = await self.credentials.store_refreshed(session, row, refreshed, owner)
        if not stored:  # the lease lapsed and another refresh stored its tokens first
            log.warning("oauth_refresh_superseded", credential_id=row.id)
        return refreshed

    async def _refused(
        self, row: Credential, data: Mapping[str, Any], owner: str, refused: AuthenticationFailed
    ) -> dict[str, Any]:
        reason = next(
            (str(d["provider_message"]) for d in refused.details if "provider_message" in d),
            refused.message,
        )
        async with self.db.transaction() as session:
            now_stored = await self.credentials.get(session, row.workspace_id, row.id)
            await self.credentials.release_refresh(session, row.workspace_id, row.id, owner)
            if now_stored.sealed_data != row.sealed_data:
                return self.credentials.reveal(now_stored)  # a lapsed lease's taker won
            failed = CredentialRefreshFailed(credential_id=row.id, reason=reason[:300])
            event = new_event(
                row.workspace_id, EventType.CREDENTIAL_REFRESH_FAILED, failed, at=self.clock.now()
            )
            await self.events.publish(session, event)
        raise AuthenticationFailed(
            f"The OAuth token endpoint refused this credential's {_REFUSED[grant_of(data)]}",
            details=refused.details,
        ) from None

    async def _release(self, row: Credential, owner: str) -> None:
        """Free the lease after a failed call; should even that fail, the lease lapses."""
        try:
            async with self.db.transaction() as session:
                await self.credentials.release_refresh(session, row.workspace_id, row.id, owner)
        except Exception:
            log.warning("oauth_lease_not_released", credential_id=row.id, exc_info=True)

    async def _exchange(
        self, credential_id: str, data: Mapping[str, Any], url: str | None
    ) -> dict[str, Any]:
        """What `url` answers to the credential's grant. Its answer, an error's message
        included, is read without the credential's secrets (an endpoint may echo them)."""
        if url is None:  # the stored credential lost its token_url meanwhile
            raise AuthenticationFailed("This OAuth credential has no token URL to refresh at")
        client = self.transport.client(
            f"oauth:{credential_id}",
            CallSettings(retry=RetryPolicy(max_retries=2)),
            _TOKEN_ENDPOINT,
            {"Accept": "application/json"},
            secrets=secret_values(dict(data)),
            labels=_LABELS,
        )
        grant = grant_of(data)
        if grant is None:  # the stored credential lost its grant meanwhile
            raise AuthenticationFailed("This OAuth credential has no grant to get a token with")
        form = token_form(grant, data, url, self.clock.now())
        # Not retried after it was sent: with rotating refresh tokens the retry's token is spent.
        with client.secrets.active():
            try:
                async with asyncio.timeout(EXCHANGE_SECONDS):
                    answer = (await client.post(url, form=form)).json()
            except TimeoutError:
                raise ExternalServiceTimeout(
                    "The OAuth token endpoint did not answer in time"
                ) from None
            except InterlinkError as failure:
                client.secrets.error(failure)
                raise
        return self._refreshed(data, answer)

    def _refreshed(self, data: Mapping[str, Any], answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise AuthenticationFailed("The OAuth token endpoint gave no access_token")
        refreshed = {**data, "access_token": answer["access_token"]}
        if answer.get("refresh_token"):
            refreshed["refresh_token"] = answer["refresh_token"]  # rotated: the old one is spent
        for name in ("token_type", "instance_url"):
            if answer.get(name):
                refreshed[name] = answer[name]
        if isinstance(answer.get("expires_in"), int | float):
            refreshed["expires_at"] = rfc3339(
                self.clock.now() + timedelta(seconds=answer["expires_in"])
            )
        else:  # no expiry said: the old one is not the new token's (a 401 refreshes it)
            refreshed.pop("expires_at", None)
        return refreshed
