"""What the workflow routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.core.db import Database
from interlink.workflows.service import WorkflowService


class WorkflowDeps(Protocol):
    db: Database
    workflows: WorkflowService


Deps = Annotated[WorkflowDeps, Depends(services)]
