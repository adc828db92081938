"""Apps with an embedded worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interlink.config import JobsSettings, Settings
from tests.conftest import make_settings
from tests.transport.conftest import upstream


def worker_jobs(**overrides: Any) -> JobsSettings:
    values: dict[str, Any] = {"embedded_worker": True, "polling_interval_seconds": 0.05}
    return JobsSettings(**(values | overrides))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url, jobs=worker_jobs())


__all__ = ["upstream", "worker_jobs"]
