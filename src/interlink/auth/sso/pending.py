"""What a SAML sign-in must come back with, kept apart from `saml` so that reading it does not
import pysaml2 (seconds of start-up) where SAML is not configured."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from interlink.auth.sso.errors import SsoRefused

PENDING_FOR_SECONDS = 600


@dataclass(frozen=True)
class PendingSaml:
    """The id of the AuthnRequest sent, which the response's InResponseTo must name."""

    request_id: str
    started_at: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PendingSaml:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            raise SsoRefused("this sign-in was not started here: start it again") from None
