"""What HubSpot's CRM answers look like: records, error bodies, association types, the account."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Obj = dict[str, Any]

# The properties each object type has in the mock (HubSpot has hundreds), and those it shows
# when none are asked for.
KNOWN: Mapping[str, frozenset[str]] = {
    "contacts": frozenset({"email", "firstname", "lastname", "phone", "company", "website",
                           "lifecyclestage", "jobtitle", "city"}),
    "companies": frozenset({"name", "domain", "industry", "phone", "city", "numberofemployees"}),
    "deals": frozenset({"dealname", "amount", "pipeline", "dealstage", "closedate",
                        "hubspot_owner_id"}),
}  # fmt: skip
DEFAULTS: Mapping[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname"),
    "companies": ("name", "domain"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage"),
}
# The modification date property: contacts have their own name for it.
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate",
            "deals": "hs_lastmodifieddate"}  # fmt: skip
# HubSpot's default (unlabeled) association type ids, by (from, to).
ASSOCIATION_TYPES: Mapping[tuple[str, str], int] = {
    ("contacts", "companies"): 279, ("companies", "contacts"): 280,
    ("deals", "contacts"): 3, ("contacts", "deals"): 4,
    ("deals", "companies"): 341, ("companies", "deals"): 342,
}  # fmt: skip
PORTAL_ID = 62515
SCOPES = ("oauth", "crm.objects.contacts.read", "crm.objects.contacts.write",
          "crm.objects.companies.write", "crm.objects.deals.write")  # fmt: skip
_UNAUTHENTICATED = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_MISSING_SCOPES = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)


def hubspot_time(moment: datetime) -> str:
    """HubSpot's times: UTC with milliseconds and `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class HubSpotError(Exception):
    """An answer `{"status": "error", "message", "correlationId", "category", ...}`."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{category}:{message}")),
            "category": category,
            **extra,
        }


def unauthenticated() -> HubSpotError:
    return HubSpotError(401, "INVALID_AUTHENTICATION", _UNAUTHENTICATED)


def missing_scopes(scope: str) -> HubSpotError:
    return HubSpotError(
        403, "MISSING_SCOPES", _MISSING_SCOPES,
        errors=[{"message": "One or more of the following scopes are required.",
                 "context": {"requiredGranularScopes": [scope]}}],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )  # fmt: skip


def object_missing(record_id: str) -> HubSpotError:
    return HubSpotError(
        404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
        context={"id": [record_id]},
    )  # fmt: skip


def invalid_properties(kind: str, names: Iterable[str]) -> HubSpotError:
    problems = [
        f'{{"isValid":false,"message":"Property \\"{name}\\" does not exist",'
        f'"error":"PROPERTY_DOESNT_EXIST","name":"{name}"}}'
        for name in sorted(names)
    ]
    return HubSpotError(
        400, "VALIDATION_ERROR", f"Property values were not valid: [{','.join(problems)}]"
    )


@dataclass
class Record:
    id: str
    kind: str
    properties: dict[str, str]
    created: datetime
    updated: datetime
    associations: set[tuple[str, str]] = field(default_factory=set)

    def json(self, wanted: Iterable[str] | None = None) -> Obj:
        """As HubSpot shows it: the asked (else default) properties, null when unset, with
        `hs_object_id` and the creation and modification dates always."""
        names = list(wanted) if wanted else list(DEFAULTS[self.kind])
        shown: dict[str, str | None] = {name: self.properties.get(name) for name in names}
        shown |= {
            "createdate": hubspot_time(self.created),
            MODIFIED[self.kind]: hubspot_time(self.updated),
            "hs_object_id": self.id,
        }
        return {
            "id": self.id,
            "properties": shown,
            "createdAt": hubspot_time(self.created),
            "updatedAt": hubspot_time(self.updated),
            "archived": False,
        }


def association_json(source: Record, target: Record) -> Obj:
    return {
        "from": {"id": source.id},
        "to": {"id": target.id},
        "associationSpec": {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": ASSOCIATION_TYPES[(source.kind, target.kind)],
        },
    }


def account_json() -> Obj:
    return {
        "portalId": PORTAL_ID,
        "accountType": "STANDARD",
        "timeZone": "US/Eastern",
        "companyCurrency": "USD",
        "additionalCurrencies": [],
        "utcOffset": "-05:00",
        "utcOffsetMilliseconds": -18000000,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }
