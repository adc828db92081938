from __future__ import annotations

from typing import Any

from pydantic import Field

from interlink.core.schemas import ApiOutput, UtcTime
from interlink.custom_providers.models import CustomProviderVersion
from interlink.providers.custom.declaration import Declaration


class CustomProviderOut(ApiOutput):
    key: str
    name: str
    version: int = Field(description="This declaration's version; integrations pin one")
    actions: list[str]
    declaration: dict[str, Any]
    created_at: UtcTime = Field(description="When this version was saved")
    created_by: str

    @classmethod
    def of(cls, row: CustomProviderVersion) -> CustomProviderOut:
        return cls(
            key=row.key,
            name=row.name,
            version=row.version,
            actions=sorted(row.declaration.get("actions", {})),
            declaration=row.declaration,
            created_at=row.created_at,
            created_by=row.created_by,
        )


class CustomProviderDeleted(ApiOutput):
    key: str
    deleted: bool = True


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """`schema` with its `#/$defs/...` references replaced by what they name (the OpenAPI
    document holds it inline, where `$defs` would not resolve)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    return schema


_SCHEMA = Declaration.model_json_schema()
# The body of POST and PUT, as the OpenAPI document shows it; checked by `declaration.read`.
DECLARATION_SCHEMA: dict[str, Any] = _inlined(_SCHEMA, _SCHEMA.get("$defs", {}))
