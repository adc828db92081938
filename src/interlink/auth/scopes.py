from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from interlink.core.errors import Forbidden


class Scope(StrEnum):
    INTEGRATIONS_READ = "integrations:read"
    INTEGRATIONS_WRITE = "integrations:write"
    CREDENTIALS_READ = "credentials:read"
    CREDENTIALS_WRITE = "credentials:write"
    # Send a stored credential somewhere: bind it to an integration or a workflow step, change
    # the host such an integration calls, or widen the hosts a credential may be sent to.
    CREDENTIALS_USE = "credentials:use"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    WORKFLOWS_READ = "workflows:read"
    WORKFLOWS_WRITE = "workflows:write"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, or the subject of a JWT, inside one workspace."""

    workspace_id: str
    subject: str
    scopes: frozenset[str]
    key_id: str | None = None
    rate_limit: str | None = None
    via_token: bool = False  # authenticated by a bearer token, not by an API key
    last_used_at: datetime | None = None  # of the API key, before this request

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def require(self, scope: Scope, doing: str) -> None:
        """403 FORBIDDEN unless the caller holds `scope`; `doing` says what needed it."""
        if not self.allows(scope):
            raise Forbidden(f"{doing} needs the `{scope}` scope")
