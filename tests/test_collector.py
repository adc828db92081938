"""A long-lived process settles its garbage collector once start-up is over; tests and other
short-lived users of the app leave it as the interpreter set it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from interlink.app import create_app
from interlink.config import Settings
from interlink.core.collector import YOUNG_THRESHOLD


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
async def test_a_long_lived_app_freezes_what_start_up_made(settings: Settings) -> None:
    before = gc.get_freeze_count()
    app = create_app(settings, long_lived=True)

    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > before


@pytest.mark.usefixtures("restored_collector")
async def test_an_app_made_for_a_test_leaves_the_collector_alone(settings: Settings) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() == frozen
