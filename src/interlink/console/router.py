"""Every console route, for the app to include (`/console/...`, left out of the API's OpenAPI)."""

from __future__ import annotations

from fastapi import APIRouter

from interlink.console.auth_routes import public, signed
from interlink.console.integrations_pages import router as integrations_router
from interlink.console.overview import router as overview_router
from interlink.console.sso_routes import router as sso_router

router = APIRouter()
for part in (public, signed, overview_router, integrations_router):
    router.include_router(part)
router.include_router(sso_router)  # single sign-on (console/sso_routes.py)
