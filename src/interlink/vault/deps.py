"""What the credential routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.vault.service import CredentialService


class VaultDeps(Protocol):
    credentials: CredentialService


Deps = Annotated[VaultDeps, Depends(services)]
