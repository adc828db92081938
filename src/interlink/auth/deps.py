"""What the auth routes read of the services one process shares (see `interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.auth.service import AuthService
from interlink.config import Settings


class AuthDeps(Protocol):
    settings: Settings
    auth: AuthService


Deps = Annotated[AuthDeps, Depends(services)]
