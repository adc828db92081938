"""The errors of the gateway."""

from __future__ import annotations

from interlink.core.errors import NotFound


class ModelNotFound(NotFound):
    """No route or model of that name."""

    code = "MODEL_NOT_FOUND"
