"""Settings, one nested model per concern, read from `INTERLINK_*` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
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


class JwtSettings(BaseSettings):
    model_config = _env("INTERLINK_JWT_")
    secret: SecretStr | None = None
    jwks_url: str | None = None
    algorithms: list[str] = ["HS256"]
    audience: str = "interlink"
    issuer: str = "interlink"
    token_ttl_seconds: int = Field(900, ge=60, le=86_400)


class BootstrapSettings(BaseSettings):
    model_config = _env("INTERLINK_BOOTSTRAP_")
    api_key: SecretStr | None = None
    workspace_name: str = "default"


class LogSettings(BaseSettings):
    model_config = _env("INTERLINK_LOG_")
    format: Literal["auto", "json", "console"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Settings(BaseSettings):
    model_config = _env("INTERLINK_")
    server: ServerSettings = Field(default_factory=ServerSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    vault: VaultSettings = Field(default_factory=VaultSettings)
    transport: TransportSettings = Field(default_factory=TransportSettings)
    jwt: JwtSettings = Field(default_factory=JwtSettings)
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    log: LogSettings = Field(default_factory=LogSettings)

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
