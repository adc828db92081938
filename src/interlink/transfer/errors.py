"""The errors of export and import."""

from __future__ import annotations

from interlink.core.errors import InvalidRequest


class BundleVersionUnsupported(InvalidRequest):
    """The bundle's format version is not the one this server reads."""

    code = "BUNDLE_VERSION_UNSUPPORTED"


class InvalidBundle(InvalidRequest):
    """The bundle is malformed: `details` names each bad field."""

    code = "INVALID_BUNDLE"


class WrongPassphrase(InvalidRequest):
    """The passphrase does not open the bundle's secrets (or they were altered)."""

    code = "WRONG_PASSPHRASE"
