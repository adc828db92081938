"""Every console route, for the app to include (`/console/...`, left out of the API's OpenAPI)."""

from __future__ import annotations

from fastapi import APIRouter

from interlink.console.ai_pages import router as ai_router
from interlink.console.auth_routes import public, signed
from interlink.console.catalog_pages import router as catalog_router
from interlink.console.events_pages import router as events_router
from interlink.console.integrations_pages import router as integrations_router
from interlink.console.keys_pages import router as keys_router
from interlink.console.overview import router as overview_router
from interlink.console.sso_routes import router as sso_router
from interlink.console.transfer_pages import router as transfer_router
from interlink.console.webhooks_pages import router as webhooks_router
from interlink.console.workflows_pages import router as workflows_router

router = APIRouter()
for part in (public, signed, overview_router, integrations_router):
    router.include_router(part)
for part in (webhooks_router, workflows_router, events_router, keys_router, ai_router):
    router.include_router(part)
router.include_router(catalog_router)  # create from the catalog (console/catalog_pages.py)
router.include_router(transfer_router)  # export, import, CSV (console/transfer_pages.py)
router.include_router(sso_router)  # single sign-on (console/sso_routes.py)
