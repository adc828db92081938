"""An endpoint's custom headers: every value is sealed in the vault like the endpoint's secret
(AES-256-GCM; the workspace, the endpoint id and the header's name as associated data), opened
only to be sent, and shown masked when the header's name says it carries a credential.

Stored form: `{"Authorization": {"sealed": "v1.<key id>.<token>"}, ...}`. Rows written before
values were sealed hold plain strings: they are sent as they are, and sealed by `reseal` (run at
start and by `interlink vault rotate-key`) or by the endpoint's next update.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from interlink.core.errors import InvalidRequest
from interlink.core.secrets import is_secret_name
from interlink.vault.keyring import DecryptionFailed, KeyMissing, Keyring, key_id_of
from interlink.vault.masking import MASK

SEALED = "sealed"
# Header names that carry credentials beyond the names the project treats as secret everywhere
# (`X-Auth`, `Ocp-Apim-Subscription-Key`, `X-Session`, `X-Hub-Signature`).
_CREDENTIAL_HEADER = re.compile(r"auth|key|signature|session", re.IGNORECASE)

Stored = Mapping[str, Any]  # name -> {"sealed": token}, or a plain string in rows of old


def is_credential(name: str) -> bool:
    return is_secret_name(name) or _CREDENTIAL_HEADER.search(name) is not None


def credential_values(headers: Mapping[str, str]) -> list[str]:
    """The values of credential headers, and their part after a scheme (`Bearer <token>`), as
    they could come back in what an endpoint answers."""
    found = []
    for name, value in headers.items():
        if is_credential(name):
            found.extend([value, value.partition(" ")[2]])
    return found


def header_aad(workspace_id: str, endpoint_id: str, name: str) -> str:
    return f"webhook:{workspace_id}:{endpoint_id}:header:{name.lower()}"


class EndpointHeaders:
    """The headers of one endpoint, with the keyring that seals and opens them."""

    def __init__(self, keyring: Keyring, workspace_id: str, endpoint_id: str) -> None:
        self.keyring = keyring
        self.workspace_id = workspace_id
        self.endpoint_id = endpoint_id

    def seal(self, given: Mapping[str, str], stored: Stored) -> dict[str, Any]:
        """The stored form of `given`. A value given as the mask keeps the value stored under
        that name (a response read and sent back unchanged keeps its secrets)."""
        previous = {name.lower(): value for name, value in stored.items()}
        sealed: dict[str, Any] = {}
        for name, value in given.items():
            if value != MASK:
                sealed[name] = self._seal(name, value)
            elif name.lower() in previous:
                kept = previous[name.lower()]
                sealed[name] = self._seal(name, kept) if isinstance(kept, str) else kept
            else:
                raise InvalidRequest(
                    f"Header {name!r} has no stored value to keep: give its value",
                    details=[{"field": f"headers.{name}", "in": "body",
                              "message": "the mask keeps a stored value only"}],
                )  # fmt: skip
        return sealed

    def open(self, stored: Stored) -> dict[str, str]:
        """The values to send (raises DecryptionFailed or KeyMissing)."""
        return {name: self._open(name, value) for name, value in stored.items()}

    def shown(self, stored: Stored) -> dict[str, str]:
        """The headers as the API shows them: credentials masked, the others in clear."""
        return {name: self._shown(name, value) for name, value in stored.items()}

    def reseal(self, stored: Stored, old: set[str]) -> tuple[dict[str, Any], int]:
        """`stored` with values sealed under a key in `old`, or not sealed at all, sealed under
        the active key; and how many changed."""
        changed, count = dict(stored), 0
        for name, value in stored.items():
            if isinstance(value, str):
                changed[name] = self._seal(name, value)
            elif key_id_of(value[SEALED]) in old:
                aad = header_aad(self.workspace_id, self.endpoint_id, name)
                changed[name] = {SEALED: self.keyring.reseal(value[SEALED], aad)}
            else:
                continue
            count += 1
        return changed, count

    def _seal(self, name: str, value: str) -> dict[str, str]:
        aad = header_aad(self.workspace_id, self.endpoint_id, name)
        return {SEALED: self.keyring.seal(value.encode(), aad)}

    def _open(self, name: str, value: Any) -> str:
        if isinstance(value, str):
            return value
        aad = header_aad(self.workspace_id, self.endpoint_id, name)
        return self.keyring.open(value[SEALED], aad).decode()

    def _shown(self, name: str, value: Any) -> str:
        if is_credential(name):
            return MASK
        try:
            return self._open(name, value)
        except (DecryptionFailed, KeyMissing):
            return MASK
