"""The Salesforce mock's org: its two sObject types (Account, Contact) and their fields, its
seeded records, and how records, descriptions and errors look as Salesforce writes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from interlink.testing.base import json_response

Obj = dict[str, Any]


class SalesforceError(Exception):
    """A Salesforce error answer: `[{"message", "errorCode", "fields"?}]` with its status."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        error: Obj = {"message": message, "errorCode": code}
        if fields is not None:
            error["fields"] = fields
        self.body = [error]

    def answer(self, headers: Mapping[str, str] | None = None) -> web.Response:
        return json_response(self.body, status=self.status, headers=headers)


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str = "string"  # Salesforce's field type: id, string, reference, picklist, ...
    length: int = 0
    nillable: bool = True
    writable: bool = True
    reference_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class SObjectDef:
    name: str
    label: str
    plural: str
    prefix: str
    fields: tuple[FieldDef, ...]
    required: tuple[str, ...] = ()
    field_names: Mapping[str, FieldDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", {f.name.lower(): f for f in self.fields})

    def field(self, name: str) -> FieldDef | None:
        return self.field_names.get(name.lower())


_SYSTEM = (
    FieldDef("Id", "Record ID", "id", 18, nillable=False, writable=False),
    FieldDef("OwnerId", "Owner ID", "reference", 18, False, True, ("User",)),
    FieldDef("CreatedDate", "Created Date", "datetime", nillable=False, writable=False),
    FieldDef("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, writable=False),
)
ACCOUNT = SObjectDef(
    "Account", "Account", "Accounts", "001",
    (
        _SYSTEM[0],
        FieldDef("Name", "Account Name", length=255, nillable=False),
        FieldDef("Type", "Account Type", "picklist", 255, picklist=("Prospect", "Customer")),
        FieldDef("Industry", "Industry", "picklist", 255, picklist=("Energy", "Technology")),
        FieldDef("Phone", "Account Phone", "phone", 40),
        FieldDef("Website", "Website", "url", 255),
        FieldDef("NumberOfEmployees", "Employees", "int"),
        FieldDef("BillingCity", "Billing City", length=40),
        *_SYSTEM[1:],
    ),
    required=("Name",),
)  # fmt: skip
CONTACT = SObjectDef(
    "Contact", "Contact", "Contacts", "003",
    (
        _SYSTEM[0],
        FieldDef("FirstName", "First Name", length=40),
        FieldDef("LastName", "Last Name", length=80, nillable=False),
        FieldDef("Name", "Full Name", length=121, nillable=False, writable=False),
        FieldDef("Email", "Email", "email", 80),
        FieldDef("Title", "Title", length=128),
        FieldDef("AccountId", "Account ID", "reference", 18, reference_to=("Account",)),
        *_SYSTEM[1:],
    ),
    required=("LastName",),
)  # fmt: skip
SOBJECTS = {s.name.lower(): s for s in (ACCOUNT, CONTACT)}
OWNER_ID = "005Mo0000000001AAA"
_INDUSTRIES = ("Energy", "Technology")


def record_id(sobject: SObjectDef, number: int) -> str:
    return f"{sobject.prefix}Mo{number:010d}AAA"


def timestamp(moment: datetime) -> str:
    """As Salesforce writes a datetime: `2024-01-01T00:00:00.000+0000`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def seeded_values(sobject: SObjectDef, number: int) -> Obj:
    if sobject is ACCOUNT:
        return {
            "Name": f"Seeded Account {number}",
            "Type": "Customer" if number % 2 else "Prospect",
            "Industry": _INDUSTRIES[number % 2],
            "Phone": f"(555) 010-{number:04d}",
            "Website": f"https://account{number}.example.com",
            "NumberOfEmployees": 10 * number,
            "BillingCity": "San Francisco",
        }
    account = record_id(ACCOUNT, (number - 1) % 5 + 1)
    return {
        "FirstName": "Seeded",
        "LastName": f"Contact {number}",
        "Email": f"contact{number}@example.com",
        "Title": "Buyer",
        "AccountId": account,
    }


def derived(sobject: SObjectDef, values: Mapping[str, Any]) -> Obj:
    """The fields Salesforce computes from others: a Contact's Name."""
    if sobject is not CONTACT:
        return {}
    return {"Name": " ".join(str(values[n]) for n in ("FirstName", "LastName") if values.get(n))}


def record_json(
    version: str, sobject: SObjectDef, values: Mapping[str, Any], names: list[str] | None = None
) -> Obj:
    """A record with its `attributes`, all its fields or `names` (in that order)."""
    shown = names or [f.name for f in sobject.fields]
    url = f"/services/data/{version}/sobjects/{sobject.name}/{values['Id']}"
    record: Obj = {"attributes": {"type": sobject.name, "url": url}}
    for name in shown:
        definition = sobject.field(name)
        assert definition is not None
        record[definition.name] = values.get(definition.name)
    return record


def describe_json(version: str, sobject: SObjectDef) -> Obj:
    base = f"/services/data/{version}/sobjects/{sobject.name}"
    flags = ("createable", "updateable", "deletable", "undeletable", "queryable",
             "retrieveable", "searchable", "layoutable", "triggerable", "replicateable",
             "mergeable", "feedEnabled", "mruEnabled")  # fmt: skip
    return {
        "name": sobject.name,
        "label": sobject.label,
        "labelPlural": sobject.plural,
        "keyPrefix": sobject.prefix,
        "custom": False,
        "customSetting": False,
        "activateable": False,
        "hasSubtypes": False,
        "isSubtype": False,
        **dict.fromkeys(flags, True),
        "fields": [_field_json(f) for f in sobject.fields],
        "childRelationships": [],
        "recordTypeInfos": [],
        "supportedScopes": [{"label": "All accounts", "name": "everything"}],
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def _field_json(definition: FieldDef) -> Obj:
    soap = {"id": "tns:ID", "reference": "tns:ID", "int": "xsd:int", "datetime": "xsd:dateTime"}
    return {
        "name": definition.name,
        "label": definition.label,
        "type": definition.type,
        "soapType": soap.get(definition.type, "xsd:string"),
        "length": definition.length,
        "nillable": definition.nillable,
        "createable": definition.writable,
        "updateable": definition.writable,
        "custom": False,
        "filterable": True,
        "sortable": True,
        "unique": False,
        "externalId": False,
        "calculated": False,
        "referenceTo": list(definition.reference_to),
        "relationshipName": definition.name[:-2] if definition.reference_to else None,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in definition.picklist
        ],
    }
