"""Custom providers: a workspace's declarations, saved as versions that never change.

`CustomProviderService` creates, replaces (a new version), reads, lists and deletes them; a
delete is refused while an integration uses the provider. `Declarations` is what the registry
asks for the connector of a `custom` integration (`DeclaredProviders`): the version its
configuration pins, built once per process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import Conflict, InvalidDeclaration, InvalidIntegrationConfig, NotFound
from interlink.core.pagination import PageParams
from interlink.custom_providers.models import CustomProviderVersion as Version
from interlink.custom_providers.repository import CustomProviderRepository
from interlink.integrations.service import IntegrationService
from interlink.providers.catalog_service import entry
from interlink.providers.custom.declaration import Declaration, read, summary, url_problem
from interlink.providers.custom.provider import CUSTOM_TYPE, CustomConnector, build
from interlink.providers.schemas import ConnectorType
from interlink.transport.ssrf import AddressPolicy, UrlRefused

_BUILT_KEPT = 512  # connectors kept built per process; each version is built again when needed


class CustomProviderService:
    def __init__(
        self, clock: Clock, policy: AddressPolicy, integrations: IntegrationService
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.integrations = integrations

    async def create(self, session: AsyncSession, principal: Principal, document: Any) -> Version:
        declaration = await self.check(document)
        if await self._current(session, principal.workspace_id, declaration.key) is not None:
            raise Conflict(
                f"A custom provider {declaration.key!r} exists: change it with "
                f"PUT /api/v1/custom-providers/{declaration.key}"
            )
        return self._save(session, principal, declaration, 1)

    async def replace(
        self, session: AsyncSession, principal: Principal, key: str, document: Any
    ) -> tuple[Version, bool]:
        """Saves the declaration as the provider's next version (its first: created True).
        Integrations keep the version they pin until they are moved to another."""
        if isinstance(document, dict):
            document = {"key": key, **document}
        declaration = await self.check(document)
        if declaration.key != key:
            raise InvalidDeclaration(
                "The declaration's key is not the one in the path",
                details=[{"field": "key", "message": f"must be {key!r} (the path's)"}],
            )
        current = await self._current(session, principal.workspace_id, key)
        version = current.version + 1 if current is not None else 1
        return self._save(session, principal, declaration, version), current is None

    async def get(
        self, session: AsyncSession, workspace_id: str, key: str, version: int | None = None
    ) -> Version:
        row = await CustomProviderRepository(session).version(workspace_id, key, version)
        if row is None:
            which = f" version {version}" if version is not None else ""
            raise NotFound(f"This workspace has no custom provider {key!r}{which}")
        return row

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[Version], int]:
        return await CustomProviderRepository(session).page(workspace_id, params)

    async def catalog(self, session: AsyncSession, workspace_id: str) -> list[ConnectorType]:
        """The catalog's entries of the workspace's custom providers, at their current version."""
        rows, _ = await self.page(session, workspace_id, PageParams(page=1, page_size=1000))
        built = [(row.key, build(read(row.declaration), row.version)) for row in rows]
        return [entry(connector.spec, connector, key) for key, connector in built]

    async def delete(self, session: AsyncSession, workspace_id: str, key: str) -> None:
        await self.get(session, workspace_id, key)
        users = await self.users(session, workspace_id, key)
        if users:
            raise Conflict(
                f"Custom provider {key!r} is used by {len(users)} integration(s): delete them "
                "or move them to another provider first",
                details=[{"integration_id": integration_id} for integration_id in users],
            )
        await CustomProviderRepository(session).delete(workspace_id, key)

    async def users(self, session: AsyncSession, workspace_id: str, key: str) -> list[str]:
        """The integrations of the workspace that run this provider (any version)."""
        found: list[str] = []
        params = PageParams(page=1, page_size=100, sort_order="asc")
        while True:
            rows, total = await self.integrations.page(
                session, workspace_id, params, type_=CUSTOM_TYPE
            )
            found += [r.id for r in rows if r.configuration.get("provider") == key]
            if params.page * params.page_size >= total:
                return found
            params = params.model_copy(update={"page": params.page + 1})

    async def check(self, document: Any) -> Declaration:
        """The declaration, or INVALID_DECLARATION listing every problem, its base URL's too
        (refused as an integration's api_url would be)."""
        details: list[dict[str, Any]] = []
        base_url = document.get("base_url") if isinstance(document, dict) else None
        if isinstance(base_url, str) and url_problem(base_url) is None:
            try:
                await self.policy.vet(base_url)
            except UrlRefused as refused:
                details.append({"field": "base_url", "message": str(refused)})
        try:
            declaration = read(document)
        except InvalidDeclaration as invalid:
            details = [*invalid.details, *details]
        if details:
            raise InvalidDeclaration(summary(details), details=details)
        return declaration

    async def _current(self, session: AsyncSession, workspace_id: str, key: str) -> Version | None:
        return await CustomProviderRepository(session).version(workspace_id, key, None)

    def _save(
        self, session: AsyncSession, principal: Principal, declaration: Declaration, version: int
    ) -> Version:
        row = Version(
            workspace_id=principal.workspace_id,
            key=declaration.key,
            version=version,
            name=declaration.name,
            declaration=declaration.model_dump(mode="json", exclude_defaults=True),
            created_at=self.clock.now(),
            created_by=principal.subject,
        )
        CustomProviderRepository(session).add(row)
        return row


class Declarations:
    """The registry's `DeclaredProviders`: the connector of the version a `custom`
    integration's configuration pins, built once per process (a version never changes)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._built: dict[tuple[str, str, int, datetime], type[CustomConnector]] = {}

    async def resolve(
        self,
        workspace_id: str,
        configuration: Mapping[str, Any],
        session: AsyncSession | None = None,
    ) -> tuple[type[CustomConnector], dict[str, Any]]:
        key, version = _pin_of(configuration)
        if session is not None:
            row = await CustomProviderRepository(session).version(workspace_id, key, version)
        else:
            async with self.db.read() as reading:
                row = await CustomProviderRepository(reading).version(workspace_id, key, version)
        if row is None:
            which = f" version {version}" if version is not None else ""
            field = "provider_version" if version is not None else "provider"
            raise InvalidIntegrationConfig(
                f"This workspace has no custom provider {key!r}{which}",
                details=[{"field": f"configuration.{field}", "message": "not declared"}],
            )
        return self._connector(row), {"provider": row.key, "provider_version": row.version}

    def _connector(self, row: Version) -> type[CustomConnector]:
        # created_at tells a version apart from one of the same number saved after a delete
        index = (row.workspace_id, row.key, row.version, row.created_at)
        found = self._built.get(index)
        if found is None:
            if len(self._built) >= _BUILT_KEPT:
                self._built.clear()
            found = self._built[index] = build(read(row.declaration), row.version)
        return found


def _pin_of(configuration: Mapping[str, Any]) -> tuple[str, int | None]:
    key, version = configuration.get("provider"), configuration.get("provider_version")
    if not isinstance(key, str) or not key:
        raise InvalidIntegrationConfig(
            "A custom integration names its provider in configuration.provider",
            details=[{"field": "configuration.provider", "message": "required for type custom"}],
        )
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InvalidIntegrationConfig(
            "configuration.provider_version is a version number",
            details=[{"field": "configuration.provider_version", "message": "not an integer"}],
        )
    return key, version
