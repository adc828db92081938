"""The bundle (format version 1) and the answers of export and import."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interlink.core.schemas import UtcTime

FORMAT_VERSION = 1
Policy = Literal["skip", "overwrite", "rename"]
Action = Literal["create", "update", "skip", "conflict"]
Kind = Literal[
    "custom_provider", "credential", "integration", "ai_route", "workflow", "webhook_endpoint"
]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CredentialItem(Item):
    id: str
    name: str
    description: str | None = None
    type: str
    provider: str | None = None
    allowed_hosts: list[str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    secret_fields: list[str] = Field(description="The names of its secret fields")


class IntegrationItem(Item):
    id: str
    name: str
    description: str | None = None
    type: str
    configuration: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: Literal["configured", "active", "inactive"] = "configured"
    credential_id: str | None = Field(None, description="A shared credential of the bundle")
    secret_fields: list[str] = Field(
        default_factory=list, description="The fields of its own (inline) credentials"
    )


class WorkflowItem(Item):
    id: str
    name: str
    description: str | None = None
    is_public: bool = False
    enabled: bool = True
    triggers: list[dict[str, Any]] = Field(default_factory=list)
    versions: list[dict[str, Any]] = Field(min_length=1, description="Definitions, oldest first")


class RetryPolicyItem(Item):
    max_attempts: int | None = None
    backoff_ms: int | None = None


class WebhookEndpointItem(Item):
    id: str
    name: str | None = None
    description: str | None = None
    url: str
    events: list[str]
    headers: dict[str, str] = Field(default_factory=dict, description="Those that are no secret")
    secret_headers: list[str] = Field(default_factory=list)
    retry_policy: RetryPolicyItem | None = None
    enabled: bool = True


class CustomProviderItem(Item):
    key: str
    versions: list[dict[str, Any]] = Field(min_length=1, description="Declarations, oldest first")


class RouteVersionItem(Item):
    description: str = ""
    policy: dict[str, Any]


class AiRouteItem(Item):
    name: str
    versions: list[RouteVersionItem] = Field(min_length=1)


class Kdf(Item):
    name: Literal["argon2id"] = "argon2id"
    salt: str = Field(description="base64")
    iterations: int = Field(ge=1, le=64)
    memory_kib: int = Field(ge=8 * 1024, le=4 * 1024 * 1024)
    lanes: int = Field(ge=1, le=64)


class SealedSecrets(Item):
    kdf: Kdf
    cipher: Literal["AES-256-GCM"] = "AES-256-GCM"
    nonce: str = Field(description="base64, 12 bytes")
    ciphertext: str = Field(description="base64 of the sealed JSON of every secret, with its tag")


class Bundle(Item):
    format_version: int
    created_at: UtcTime
    server_version: str
    workspace_id: str
    secrets: SealedSecrets | None = Field(
        None, description="Every secret sealed under the exporter's passphrase; null: left out"
    )
    custom_providers: list[CustomProviderItem] = Field(default_factory=list)
    credentials: list[CredentialItem] = Field(default_factory=list)
    integrations: list[IntegrationItem] = Field(default_factory=list)
    ai_routes: list[AiRouteItem] = Field(default_factory=list)
    workflows: list[WorkflowItem] = Field(default_factory=list)
    webhook_endpoints: list[WebhookEndpointItem] = Field(default_factory=list)


class Secrets(BaseModel):
    """What `SealedSecrets` holds once opened, by the source id of each item."""

    credentials: dict[str, dict[str, Any]] = Field(default_factory=dict)
    integrations: dict[str, dict[str, Any]] = Field(default_factory=dict)
    webhook_secrets: dict[str, str] = Field(default_factory=dict)
    webhook_headers: dict[str, dict[str, str]] = Field(default_factory=dict)


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passphrase: str | None = Field(
        None, min_length=12, max_length=1024, repr=False,
        description="Include every secret, sealed under this passphrase (12 characters or more)",
    )  # fmt: skip


class PlanItem(BaseModel):
    kind: Kind
    name: str = Field(description="Its name (a custom provider's key) in the bundle")
    source_id: str | None = None
    action: Action = Field(
        description="create: new; update: changed as the bundle says; skip: nothing to do "
        "(the same already, or the policy skipped a conflict); conflict: exists and differs, "
        "left as it is (policy `skip`)"
    )
    target_id: str | None = Field(None, description="Its id here (none for one not yet created)")
    target_name: str | None = Field(None, description="Its name here, when renamed")
    changes: list[str] = Field(default_factory=list, description="The fields that differ")
    needs_secret: list[str] = Field(
        default_factory=list, description="Secret fields the bundle left out: give them after"
    )


class ImportResult(BaseModel):
    dry_run: bool
    on_conflict: Policy
    format_version: int
    counts: dict[str, int]
    items: list[PlanItem]
