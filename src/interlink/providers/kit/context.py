"""What an action is handed: the provider client, the configuration, and little else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from interlink.core.errors import IntegrationError
from interlink.core.secrets import Scrubber
from interlink.transport.client import ProviderClient
from interlink.transport.response import ProviderResponse


@dataclass
class ActionContext:
    http_client: ProviderClient | None
    configuration: Mapping[str, Any] = field(default_factory=dict)
    # Only connectors that do not speak HTTP (SMTP) read credentials themselves.
    credentials: Mapping[str, Any] = field(default_factory=dict)
    # Stable across re-runs of the same operation: send it with every side effect.
    idempotency_key: str | None = None
    log: Any = field(default_factory=lambda: structlog.get_logger("interlink.connector"))

    @property
    def http(self) -> ProviderClient:
        if self.http_client is None:
            raise IntegrationError("This connector has no HTTP client")
        return self.http_client

    @property
    def secrets(self) -> Scrubber:
        """The credential's values, to mask in whatever the action brings back."""
        return self.http_client.secrets if self.http_client is not None else Scrubber()

    async def paginate_link(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        limit: int,
        keep: Callable[[Any], bool] = lambda _: True,
        max_pages: int = 100,
    ) -> tuple[list[Any], ProviderResponse]:
        """Follows `Link: <...>; rel="next"` (GitHub style) until `limit` kept items or no next
        page; `keep` filters items before they count."""
        items: list[Any] = []
        response = await self.http.get(path, params=params)
        for _ in range(max_pages):
            page = response.json()
            if not isinstance(page, list):
                raise IntegrationError("Expected a list page from the provider")
            items.extend(item for item in page if keep(item))
            next_url = next_link(response.headers.get("link", ""))
            if len(items) >= limit or next_url is None:
                break
            response = await self.http.get(next_url)
        return items[:limit], response


def next_link(header: str) -> str | None:
    for part in header.split(","):
        section = part.split(";")
        if len(section) > 1 and any(s.strip() == 'rel="next"' for s in section[1:]):
            return section[0].strip().strip("<>")
    return None
