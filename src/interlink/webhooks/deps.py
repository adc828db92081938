"""What the webhook routes read of the services one process shares (see `interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.webhooks.service import WebhookService


class WebhookDeps(Protocol):
    webhooks: WebhookService


Deps = Annotated[WebhookDeps, Depends(services)]
