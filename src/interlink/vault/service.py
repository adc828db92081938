"""Credentials: sealed at rest, masked on the way out, opened only for the calls that need them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.clock import Clock
from interlink.core.errors import Conflict, CredentialNotFound, SecretUnreadable
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.events.service import EventService
from interlink.events.types import CredentialState, EventType, new_event
from interlink.transport.auth import AllowedHosts
from interlink.vault.keyring import DecryptionFailed, KeyMissing, Keyring, key_id_of
from interlink.vault.masking import mask
from interlink.vault.models import Credential
from interlink.vault.repository import CredentialInUse, CredentialRepository
from interlink.vault.schemas import CredentialCreate, CredentialOut, CredentialUpdate

log = structlog.get_logger(__name__)


# A provider's API host(s), by provider name (none for a provider without a default API URL).
ProviderHosts = Callable[[str], Iterable[str]]


def credential_aad(workspace_id: str, credential_id: str) -> str:
    return f"credential:{workspace_id}:{credential_id}"


@dataclass(frozen=True)
class OpenCredential:
    """A credential opened for a call: its plaintext data and the hosts it may be sent to."""

    data: dict[str, Any] = field(default_factory=dict)
    hosts: AllowedHosts = field(default_factory=AllowedHosts)


class CredentialService:
    def __init__(
        self,
        clock: Clock,
        keyring: Keyring,
        events: EventService,
        provider_hosts: ProviderHosts = lambda _: (),
    ) -> None:
        self.clock = clock
        self.keyring = keyring
        self.events = events
        self.provider_hosts = provider_hosts

    # -- reading -----------------------------------------------------------------------------
    async def get(self, session: AsyncSession, workspace_id: str, credential_id: str) -> Credential:
        row = await CredentialRepository(session).get(workspace_id, credential_id)
        if row is None:
            raise CredentialNotFound()
        return row

    async def page(
        self,
        session: AsyncSession,
        workspace_id: str,
        params: PageParams,
        *,
        type_: str | None = None,
        provider: str | None = None,
    ) -> tuple[Sequence[Credential], int]:
        return await CredentialRepository(session).page(
            workspace_id, params, type_=type_, provider=provider
        )

    def reveal(self, row: Credential) -> dict[str, Any]:
        """The plaintext data, for the call that needs it. Never return it to a client."""
        try:
            plaintext = self.keyring.open(row.sealed_data, credential_aad(row.workspace_id, row.id))
        except (DecryptionFailed, KeyMissing):
            log.error("credential_unreadable", credential_id=row.id, key_id=row.key_id)
            raise SecretUnreadable(
                f"Credential {row.id} cannot be decrypted: vault key {row.key_id!r} is missing "
                "or its stored data was altered"
            ) from None
        data: dict[str, Any] = json.loads(plaintext)
        return data

    def masked(self, row: Credential) -> dict[str, Any]:
        return mask(self.reveal(row))

    def allowed_hosts(self, row: Credential) -> AllowedHosts:
        """The hosts given to it, else its provider's API host (none without either)."""
        if row.allowed_hosts is not None:
            return AllowedHosts.of(row.allowed_hosts)
        return AllowedHosts.of(self.provider_hosts(row.provider) if row.provider else ())

    def open(self, row: Credential) -> OpenCredential:
        """The plaintext data and its hosts, for the call that needs them."""
        return OpenCredential(self.reveal(row), self.allowed_hosts(row))

    def to_out(self, row: Credential, *, tolerate_unreadable: bool = False) -> CredentialOut:
        """`tolerate_unreadable`: a list shows a damaged row as unreadable instead of failing."""
        try:
            data, readable = self.masked(row), True
        except SecretUnreadable:
            if not tolerate_unreadable:
                raise
            data, readable = {}, False
        return CredentialOut(
            id=row.id,
            name=row.name,
            description=row.description,
            type=row.type,
            provider=row.provider,
            data=data,
            allowed_hosts=sorted(self.allowed_hosts(row).names),
            readable=readable,
            metadata=row.metadata_,
            integration_id=row.owner_integration_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            created_by=row.created_by,
        )

    # -- writing -----------------------------------------------------------------------------
    async def create(
        self,
        session: AsyncSession,
        principal: Principal,
        body: CredentialCreate,
        *,
        owner_integration_id: str | None = None,
        publish: bool = True,
    ) -> Credential:
        """An inline credential (`owner_integration_id`) is given its integration's host."""
        now = self.clock.now()
        row = Credential(
            id=new_id("cred"),
            workspace_id=principal.workspace_id,
            name=body.name,
            description=body.description,
            type=body.type,
            provider=body.provider,
            allowed_hosts=body.allowed_hosts,
            metadata_=body.metadata,
            owner_integration_id=owner_integration_id,
            created_at=now,
            updated_at=now,
            created_by=principal.subject,
        )
        self._seal(row, body.data)
        CredentialRepository(session).add(row)
        await session.flush()
        if publish:
            await self._publish(session, row, EventType.CREDENTIAL_CREATED)
        return row

    async def update(
        self,
        session: AsyncSession,
        principal: Principal,
        credential_id: str,
        body: CredentialUpdate,
    ) -> Credential:
        """Sending it to more hosts than before (its `allowed_hosts`, or a provider whose host
        it then gets) also needs `credentials:use`."""
        row = await self.get(session, principal.workspace_id, credential_id)
        before = self.allowed_hosts(row)
        for name in ("name", "description", "provider", "metadata", "allowed_hosts"):
            if name in body.model_fields_set:
                setattr(row, "metadata_" if name == "metadata" else name, getattr(body, name))
        if not self.allowed_hosts(row).names <= before.names:
            principal.require(Scope.CREDENTIALS_USE, "Sending a credential to more hosts")
        if body.data is not None:
            self._seal(row, body.data)
        row.updated_at = self.clock.now()
        await self._publish(session, row, EventType.CREDENTIAL_UPDATED)
        return row

    def replace_data(self, row: Credential, data: dict[str, Any]) -> None:
        self._seal(row, data)
        row.updated_at = self.clock.now()

    def send_to(self, row: Credential, hosts: Iterable[str]) -> None:
        """Set where an inline credential may go (its integration's host, as that changes)."""
        row.allowed_hosts = sorted(AllowedHosts.of(hosts).names)
        row.updated_at = self.clock.now()

    # -- the OAuth refresh lease (vault/oauth.py) --------------------------------------------
    async def claim_refresh(
        self, session: AsyncSession, row: Credential, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the refresh lease of `row` as read (its sealed data unchanged since)."""
        return await CredentialRepository(session).claim_refresh(
            row.workspace_id, row.id, read_as=row.sealed_data, owner=owner, now=now, until=until
        )

    async def store_refreshed(
        self, session: AsyncSession, row: Credential, data: dict[str, Any], owner: str
    ) -> bool:
        """Store refreshed `data` over `row` as read and free the lease; False when another
        refresh stored its own first (the lease was lost)."""
        sealed = self._sealed(row.workspace_id, row.id, data)
        return await CredentialRepository(session).store_refreshed(
            row.workspace_id,
            row.id,
            owner=owner,
            read_as=row.sealed_data,
            sealed_data=sealed,
            key_id=key_id_of(sealed),
            updated_at=self.clock.now(),
        )

    async def release_refresh(
        self, session: AsyncSession, workspace_id: str, credential_id: str, owner: str
    ) -> None:
        await CredentialRepository(session).release_refresh(workspace_id, credential_id, owner)

    async def delete(self, session: AsyncSession, workspace_id: str, credential_id: str) -> None:
        row = await self.get(session, workspace_id, credential_id)
        try:
            await CredentialRepository(session).delete(row)
        except CredentialInUse:
            raise Conflict(
                "this credential is used by an integration: delete the integration or give it "
                "other credentials first"
            ) from None
        await self._publish(session, row, EventType.CREDENTIAL_DELETED)

    async def delete_owned(self, session: AsyncSession, row: Credential) -> None:
        await CredentialRepository(session).delete(row)

    def _seal(self, row: Credential, data: dict[str, Any]) -> None:
        row.sealed_data = self._sealed(row.workspace_id, row.id, data)
        row.key_id = key_id_of(row.sealed_data)

    def _sealed(self, workspace_id: str, credential_id: str, data: dict[str, Any]) -> str:
        plaintext = json.dumps(data, separators=(",", ":")).encode()
        return self.keyring.seal(plaintext, credential_aad(workspace_id, credential_id))

    async def _publish(self, session: AsyncSession, row: Credential, event_type: EventType) -> None:
        payload = CredentialState(
            credential_id=row.id, name=row.name, type=row.type, provider=row.provider
        )
        event = new_event(
            row.workspace_id, event_type, payload, at=self.clock.now(),
            integration_id=row.owner_integration_id,
        )  # fmt: skip
        await self.events.publish(session, event)
