"""The catalog of connector types, as `GET /connectors?available=true` shows it: each type's
facts and its actions' input and output schemas (a workspace's custom providers too, each with
its `provider` key)."""

from __future__ import annotations

from interlink.providers.kit.action import Connector
from interlink.providers.kit.types import IntegrationType
from interlink.providers.registry import Registry
from interlink.providers.schemas import ActionSchema, ConnectorType, OAuthEndpoints


def catalog(registry: Registry) -> list[ConnectorType]:
    listed = []
    for type_ in registry.types():
        spec = registry.spec(type_)
        assert spec is not None
        listed.append(entry(spec, registry.connector(type_)))
    return listed


def entry(
    spec: IntegrationType, connector: type[Connector] | None, provider: str | None = None
) -> ConnectorType:
    actions = connector.actions.values() if connector else ()
    return ConnectorType(
        type=spec.type,
        provider=provider,
        name=spec.name,
        description=spec.description,
        category=connector.category if connector else "other",
        auth_methods=list(spec.auth_methods),
        default_api_url=spec.default_api_url,
        api_url_hint=spec.api_url_hint,
        docs_url=spec.docs_url,
        oauth=OAuthEndpoints.model_validate(spec.oauth) if spec.oauth else None,
        actions=[
            ActionSchema(
                name=a.name,
                description=a.summary,
                inputSchema=a.input_model.model_json_schema(),
                outputSchema=a.output_model.model_json_schema(),
            )
            for a in actions
        ],
    )
