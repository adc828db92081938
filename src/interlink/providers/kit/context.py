"""What an action is handed: the provider client, the configuration, and little else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from interlink.core.errors import IntegrationError
from interlink.core.secrets import Scrubber
from interlink.providers.kit.pagination import MAX_PAGES, Paged, PageRequest, Pagination, follow
from interlink.transport.client import ProviderClient


class ProgressSink(Protocol):
    """Where an action's progress goes: an operation's `operation.progress` events."""

    async def __call__(self, status: str, completed: int | None, total: int | None) -> None: ...


@dataclass
class ActionContext:
    http_client: ProviderClient | None
    configuration: Mapping[str, Any] = field(default_factory=dict)
    # Only connectors that do not speak HTTP (SMTP) read credentials themselves.
    credentials: Mapping[str, Any] = field(default_factory=dict)
    # Stable across re-runs of the same operation: send it with every side effect.
    idempotency_key: str | None = None
    log: Any = field(default_factory=lambda: structlog.get_logger("interlink.connector"))
    # How the provider pages its lists (its `Connector.pagination`, set by `Connector.run`).
    pagination: Pagination | None = None
    # Where `progress` reports go (set by the operation that runs the action; else nowhere).
    progress_sink: ProgressSink | None = None

    async def progress(
        self, status: str, completed: int | None = None, total: int | None = None
    ) -> None:
        """Says how far a long action has got (`status`, and `completed` of `total` units, e.g.
        bytes). An operation publishes it as `operation.progress`, at most about once a second,
        and its last report when the action returns; outside an operation it goes nowhere."""
        if self.progress_sink is not None:
            await self.progress_sink(status, completed, total)

    @property
    def http(self) -> ProviderClient:
        if self.http_client is None:
            raise IntegrationError("This connector has no HTTP client")
        return self.http_client

    @property
    def secrets(self) -> Scrubber:
        """The credential's values, to mask in whatever the action brings back."""
        return self.http_client.secrets if self.http_client is not None else Scrubber()

    async def paginate(
        self,
        path: str,
        *,
        limit: int,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
        items: str | None = None,
        keep: Callable[[Any], bool] | None = None,
        max_pages: int = MAX_PAGES,
        style: Pagination | None = None,
    ) -> Paged:
        """Reads `path` page after page the provider's way (`kit.pagination`) until `limit` kept
        items or the last page. A call with a `json` body is a POST (a search), else a GET.
        `page_size`: asked per page, never more than still missing; `cursor`: where a previous
        call stopped; `items`: where this endpoint's items are, when not where the style says;
        `keep`: filters items before they count; `style`: another style than the provider's."""
        chosen = style or self.pagination
        if chosen is None:
            raise IntegrationError("This connector states no pagination style")
        if items is not None:
            chosen = chosen.reading(items)
        first = PageRequest("GET" if json is None else "POST", path, dict(params or {}), json)
        return await follow(
            self.http, chosen, first, limit=limit, page_size=page_size, cursor=cursor,
            keep=keep, max_pages=max_pages,
        )  # fmt: skip
