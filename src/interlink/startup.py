"""What a process does before it serves: migrate, open (or first make) the keyring and check it
against the data, and on the very first start create the default workspace and its admin key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from interlink.auth import keys
from interlink.auth.service import AuthService
from interlink.auth.tokens import TokenVerifier
from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.db import Database, describe_failure
from interlink.migrations.runner import upgrade
from interlink.vault.keyring import Keyring, VaultError
from interlink.vault.lifecycle import VaultKeys
from interlink.webhooks.service import reseal_webhook_secrets


class StartupError(Exception):
    """The service cannot start; the message says what to fix."""


@dataclass(frozen=True)
class Startup:
    """What a start found or made: the keyring (and its key file, if this start created it),
    and on the very first start the default workspace and its admin key."""

    keyring: Keyring
    created_key_file: Path | None
    workspace_id: str | None = None
    admin_key: str | None = None  # only on the start that created the first workspace


async def prepare(settings: Settings, clock: Clock) -> Startup:
    if settings.uses_embedded_database:
        settings.server.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    bootstrap_key = settings.bootstrap.api_key
    if bootstrap_key is not None and not keys.looks_like_key(bootstrap_key.get_secret_value()):
        raise StartupError(
            "INTERLINK_BOOTSTRAP_API_KEY must start with sk_ and be 20 to 200 characters"
        )
    db = Database(settings.database_url, pool_size=1)
    try:
        await upgrade(settings.database_url)
        async with db.transaction() as session:
            opened = await VaultKeys(clock).open(session, settings)
        async with db.transaction() as session:  # values earlier versions stored in clear
            await reseal_webhook_secrets(session, opened.keyring, set())
        async with db.transaction() as session:
            auth = AuthService(clock, TokenVerifier(settings.jwt))
            if await auth.has_workspaces(session):
                return Startup(opened.keyring, opened.created_file)
            new = await auth.create_workspace(
                session,
                settings.bootstrap.workspace_name,
                admin_key=bootstrap_key.get_secret_value() if bootstrap_key else None,
            )
    except VaultError as exc:
        raise StartupError(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise StartupError(
            f"cannot use the database ({describe_failure(exc)}): check INTERLINK_DATABASE_URL "
            "and that the database server is up"
        ) from None
    finally:
        await db.dispose()
    return Startup(opened.keyring, opened.created_file, new.workspace.id, new.admin_key.plaintext)
