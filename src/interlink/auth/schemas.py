from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from interlink.auth.scopes import Scope
from interlink.core.schemas import ApiInput, ApiOutput, ApiTime, UtcTime

_RATE = re.compile(r"^[1-9]\d*/(second|minute|hour|day)$")


def _rate(value: str) -> str:
    if not _RATE.match(value):
        raise ValueError("use a count per period such as '1000/minute'")
    return value


class ApiKeyCreate(ApiInput):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))]
    expires_at: ApiTime | None = None
    rate_limit: Annotated[str, Field(max_length=40), AfterValidator(_rate)] | None = None


class ApiKeyOut(ApiOutput):
    id: str
    name: str
    prefix: str = Field(description="The first characters of the key, to tell keys apart")
    scopes: list[str]
    rate_limit: str | None
    expires_at: UtcTime | None
    last_used_at: UtcTime | None
    created_at: UtcTime
    created_by: str


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The API key. Shown this once: store it now.")


class ApiKeyRevoked(ApiOutput):
    id: str
    revoked: bool = True
    revoked_at: UtcTime


class TokenCreate(ApiInput):
    scopes: (
        Annotated[
            list[Scope],
            Field(
                min_length=1,
                max_length=len(Scope),
                description="Fewer scopes than the key's; the key's own when left out",
            ),
        ]
        | None
    ) = None


class TokenOut(ApiOutput):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int
    expires_at: UtcTime


class WorkspaceCreate(ApiInput):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class WorkspaceOut(ApiOutput):
    id: str
    name: str
    created_at: UtcTime


class WorkspaceCreated(WorkspaceOut):
    admin_key: ApiKeyCreated
