"""What the incoming-webhook route reads of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.core.db import Database
from interlink.hooks.service import HookService


class HookDeps(Protocol):
    db: Database
    hooks: HookService


Deps = Annotated[HookDeps, Depends(services)]
