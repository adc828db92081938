"""Settings, one nested model per concern, read from `INTERLINK_*` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_RATE = re.compile(r"^\s*(0|\d+\s*/\s*(second|minute|hour|day))\s*$")


def _env(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", env_file=None)


class ServerSettings(BaseSettings):
    model_config = _env("INTERLINK_")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    data_dir: Path = Path(".interlink")
    allow_private_urls: bool = False
    graceful_shutdown_seconds: int = Field(30, ge=0, le=600)


class DatabaseSettings(BaseSettings):
    model_config = _env("INTERLINK_DATABASE_")
    url: str | None = None  # None: SQLite file `interlink.db` in the data dir
    pool_size: int = Field(10, ge=1, le=100)
    # How long a process keeps an API key, integration or credential it has read. Its own
    # changes apply at once; another process's changes within this time. 0 turns it off.
    cache_seconds: float = Field(5.0, ge=0, le=300)


class RedisSettings(BaseSettings):
    model_config = _env("INTERLINK_REDIS_")
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _check_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("must start with redis:// or rediss://")
        return value


class ApiSettings(BaseSettings):
    model_config = _env("INTERLINK_API_")
    rate_limit: str = "100/minute"
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_json_depth: int = Field(32, ge=4, le=256)
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        if not _RATE.match(value):
            raise ValueError("use a count per period such as '100/minute', or '0' for no limit")
        return value.replace(" ", "")


class VaultSettings(BaseSettings):
    model_config = _env("INTERLINK_VAULT_")
    # "kid:base64key,kid2:base64key"; when unset, the key file in the data dir is used.
    keys: SecretStr | None = None
    active_key: str | None = None
    key_file: Path | None = None


class TransportSettings(BaseSettings):
    """Outbound calls: how long a call may wait for rate budget, the breaker, retry hints."""

    model_config = _env("INTERLINK_TRANSPORT_")
    max_wait_seconds: float = Field(10.0, ge=0, le=600)
    max_retry_after_seconds: float = Field(60.0, ge=0, le=3600)
    default_timeout_seconds: float = Field(30.0, gt=0, le=300)
    breaker_threshold: int = Field(5, ge=1, le=1000)
    breaker_cooldown_seconds: float = Field(30.0, gt=0, le=3600)
    # A synchronous operation still running this long after it started lost its process: the
    # sweep records it as interrupted (outcome unknown). Longer than any call with its retries.
    interrupted_after_seconds: float = Field(900.0, ge=60, le=86_400)


class JobsSettings(BaseSettings):
    """Durable work (DBOS): workers, executor ids, queues, schedules, retention."""

    model_config = _env("INTERLINK_JOBS_")
    # `interlink serve` runs a worker in its own process unless this is false.
    embedded_worker: bool = True
    # Unique per live process. Unset: a stable id kept in the data dir (one slot per process).
    executor_id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[\w.:-]+$")
    # Pinned: a worker resumes only the pending work of its own version. Change it on purpose.
    application_version: str = Field("interlink-2", min_length=1, max_length=100)
    pool_size: int = Field(5, ge=2, le=50)  # DBOS's own connections, per worker process
    polling_interval_seconds: float = Field(1.0, ge=0.01, le=60)
    partition_concurrency: int = Field(10, ge=1, le=1000)  # per integration, when not configured
    heartbeat_seconds: float = Field(10.0, ge=0.1, le=600)
    executor_dead_after_seconds: float = Field(60.0, ge=1, le=86_400)
    retention_hours: float = Field(24.0 * 7, ge=0.01, le=24 * 365)
    health_check_interval_seconds: int = Field(300, ge=10, le=7 * 86_400)
    health_sweep_cron: str = "0 * * * * *"  # seconds-first cron: when due checks are looked for
    cleanup_cron: str = "0 17 * * * *"
    workflow_concurrency: int = Field(50, ge=1, le=10_000)  # executions at once, per worker
    workflow_schedule_cron: str = "0 * * * * *"  # when workflows' schedule triggers are looked at
    workflow_event_poll_seconds: float = Field(1.0, gt=0, le=60)  # the event follower, at most
    # Bounds of a workflow's templates, conditions and JMESPath searches (workflows/sandbox.py):
    # CPU time per compile and per evaluation, memory per render, what one render may produce,
    # and the sandbox processes that run them, per process of the service.
    workflow_template_cpu_seconds: float = Field(2.0, ge=0.1, le=60)
    workflow_template_memory_mb: int = Field(256, ge=32, le=16_384)
    workflow_template_max_chars: int = Field(1_000_000, ge=1000, le=64_000_000)
    workflow_template_processes: int = Field(2, ge=1, le=64)
    shutdown_seconds: float = Field(20.0, gt=0, le=3600)  # `worker` exits by then after SIGTERM


class WebhookSettings(BaseSettings):
    """Outgoing webhooks: the dispatcher, delivery timeouts, rotation grace, auto-disable."""

    model_config = _env("INTERLINK_WEBHOOKS_")
    dispatcher_enabled: bool = True  # run the delivery dispatcher inside `interlink serve`
    timeout_seconds: float = Field(15.0, gt=0, le=300)
    rotation_grace_hours: float = Field(24.0, ge=0, le=24 * 30)
    disable_after_hours: float = Field(120.0, gt=0, le=24 * 365)  # failing continuously
    poll_interval_seconds: float = Field(1.0, gt=0, le=60)
    batch_size: int = Field(50, ge=1, le=1000)
    max_in_flight: int = Field(200, ge=1, le=10_000)
    per_endpoint_concurrency: int = Field(10, ge=1, le=1000)
    lease_seconds: float = Field(60.0, gt=0, le=3600)  # beyond the timeout: a claim's life
    response_body_bytes: int = Field(2048, ge=0, le=65_536)


class MetricsSettings(BaseSettings):
    """Prometheus metrics: `GET /metrics` on the API, and a port of its own for a worker."""

    model_config = _env("INTERLINK_METRICS_")
    enabled: bool = True
    # When set, `/metrics` (API and worker) wants `Authorization: Bearer <token>`.
    token: SecretStr | None = None
    # Label the circuit-breaker gauge with integration ids (one series per integration).
    per_integration: bool = False
    # `interlink worker` serves `/metrics` on this port when set (`--metrics-port`).
    port: int | None = Field(None, ge=1, le=65535)
    host: str = "127.0.0.1"


class JwtSettings(BaseSettings):
    model_config = _env("INTERLINK_JWT_")
    secret: SecretStr | None = None
    jwks_url: str | None = None
    algorithms: list[str] = ["HS256"]
    audience: str = "interlink"
    issuer: str = "interlink"
    token_ttl_seconds: int = Field(900, ge=60, le=86_400)


class SsoRule(BaseModel):
    """One rule of single sign-on: an identity whose `claim` equals `equals` (any element of a
    list claim; or matches the glob `matches`) signs in to `workspace` with `scopes`."""

    model_config = ConfigDict(extra="forbid")
    claim: str = Field(min_length=1)
    equals: str | None = None
    matches: str | None = None
    workspace: str = Field(pattern=r"^ws_")
    scopes: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_test(self) -> SsoRule:
        if (self.equals is None) == (self.matches is None):
            raise ValueError("a rule takes exactly one of `equals` and `matches`")
        return self


class OidcSettings(BaseSettings):
    model_config = _env("INTERLINK_SSO_OIDC_")
    issuer: str | None = None  # https://login.example.com/realms/acme; discovery is read from it
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scopes: list[str] = ["openid", "email", "profile"]
    redirect_url: str | None = None  # https://interlink.example.com/console/sso/oidc/callback
    display_name: str = "single sign-on"
    # Audiences of IdP tokens accepted as API bearer tokens; the client id when empty.
    api_audiences: list[str] = []
    algorithms: list[str] = ["RS256", "ES256", "PS256", "EdDSA"]
    timeout_seconds: float = Field(10, gt=0, le=60)


class LdapSettings(BaseSettings):
    model_config = _env("INTERLINK_SSO_LDAP_")
    url: str | None = None  # ldap://dc1.example.com:389 or ldaps://...:636
    start_tls: bool = False
    ca_file: Path | None = None  # trusted CAs for LDAPS and StartTLS; the system's when unset
    bind_dn: str | None = None  # a service account that finds the user's DN...
    bind_password: SecretStr | None = None
    user_base: str | None = None
    user_filter: str = "(uid={username})"
    user_dn_template: str | None = None  # ...or the DN itself: uid={username},ou=people,dc=...
    group_attribute: str | None = "memberOf"  # groups from this attribute of the user...
    group_base: str | None = None  # ...and/or from a search under this base
    group_filter: str = "(member={dn})"
    email_attribute: str = "mail"
    name_attribute: str = "cn"
    timeout_seconds: int = Field(10, ge=1, le=60)


class SamlSettings(BaseSettings):
    model_config = _env("INTERLINK_SSO_SAML_")
    idp_metadata_url: str | None = None  # the IdP's metadata: entity id, SSO URL, signing cert
    sp_entity_id: str | None = None  # this service provider's entity id, as the IdP knows it
    acs_url: str | None = None  # https://interlink.example.com/console/sso/saml/acs
    display_name: str = "SAML single sign-on"
    xmlsec_binary: Path = Path("/usr/bin/xmlsec1")
    timeout_seconds: int = Field(10, ge=1, le=60)


class SsoSettings(BaseSettings):
    """Single sign-on (docs/sso.md): OpenID Connect, LDAP, and the rules that map identities."""

    model_config = _env("INTERLINK_SSO_")
    rules: list[SsoRule] = []
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    ldap: LdapSettings = Field(default_factory=LdapSettings)
    saml: SamlSettings = Field(default_factory=SamlSettings)


class BootstrapSettings(BaseSettings):
    model_config = _env("INTERLINK_BOOTSTRAP_")
    api_key: SecretStr | None = None
    workspace_name: str = "default"


class LogSettings(BaseSettings):
    model_config = _env("INTERLINK_LOG_")
    format: Literal["auto", "json", "console"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"


class ConsoleSettings(BaseSettings):
    """The web console at `/console`: its sessions and how it sits behind a proxy."""

    model_config = _env("INTERLINK_CONSOLE_")
    enabled: bool = True
    # A session ends after this long without a request, and this long after it was opened.
    idle_timeout_seconds: int = Field(1800, ge=60, le=7 * 86_400)
    absolute_timeout_seconds: int = Field(43_200, ge=300, le=30 * 86_400)
    # Read `X-Forwarded-Prefix` (the path a reverse proxy serves the service under). Only behind
    # a proxy that sets it on every request: a client could otherwise choose the links' prefix.
    trust_forwarded_prefix: bool = False


class Settings(BaseSettings):
    model_config = _env("INTERLINK_")
    server: ServerSettings = Field(default_factory=ServerSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    vault: VaultSettings = Field(default_factory=VaultSettings)
    transport: TransportSettings = Field(default_factory=TransportSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    jwt: JwtSettings = Field(default_factory=JwtSettings)
    sso: SsoSettings = Field(default_factory=SsoSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @property
    def database_url(self) -> str:
        if self.db.url:
            return self.db.url
        return f"sqlite:///{(self.server.data_dir / 'interlink.db').resolve()}"

    @property
    def vault_key_file(self) -> Path:
        return self.vault.key_file or self.server.data_dir / "vault.key"

    @property
    def uses_embedded_database(self) -> bool:
        return self.db.url is None
