"""The API's shapes of routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from interlink.ai.routes.models import AiRouteVersion
from interlink.ai.routes.policy import RoutePolicy

ROUTE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"  # a model name: no slash


class RouteChange(RoutePolicy):
    """A route's new version: its policy and description."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=500)


class RouteIn(RouteChange):
    name: str = Field(
        pattern=ROUTE_NAME, description="What callers give as `model` (no slash: not a model's)"
    )


class RouteOut(RoutePolicy):
    name: str
    version: int = Field(description="Each change is a new version; a call keeps its own")
    description: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: AiRouteVersion) -> RouteOut:
        return cls(
            **RoutePolicy.model_validate(row.policy).model_dump(),
            name=row.name,
            version=row.version,
            description=row.description,
            created_at=row.created_at,
            created_by=row.created_by,
        )


class RouteDeleted(BaseModel):
    name: str
    deleted: bool = True
