"""Why single sign-on did not sign someone in. Messages name what failed, never a secret."""

from __future__ import annotations

from interlink.core.errors import ExternalServiceError, InvalidRequest, Unauthenticated


class SsoRefused(Unauthenticated):
    """Single sign-on refused this identity."""


class SsoUnavailable(ExternalServiceError):
    """The identity provider or the directory could not be reached or answered unreadably."""


class SsoNotConfigured(InvalidRequest):
    """This way of signing in is not configured on this server."""
