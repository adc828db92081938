"""structlog for our logs and the stdlib's (uvicorn, SQLAlchemy): JSON in production, readable in a
terminal, the request id on every line, and a last step that masks anything shaped like a secret
and the values of the credential a call under way carries."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from interlink.config import LogSettings
from interlink.core.secrets import is_secret_name, mask_by_name, scrub_active

MASK = "••••"
_HANDLER_NAME = "interlink"
_NOT_MASKED = frozenset({"event", "level", "timestamp", "logger"})
# Query parameters that carry secrets under names `is_secret_name` does not know.
_SECRET_PARAMS = frozenset({"key", "code", "sig", "signature", "jwt", "auth"})


def _query_value(found: re.Match[str]) -> str:
    separator, name, _ = found.groups()
    if is_secret_name(name) or name.lower() in _SECRET_PARAMS:
        return f"{separator}{name}={MASK}"
    return found.group(0)


_SECRET_TEXT: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # Our own secrets by their prefix: API keys, workflow trigger tokens, webhook secrets.
    (re.compile(r"sk_[A-Za-z0-9_\-]{8,}"), "sk_" + MASK),
    (re.compile(r"wft_[A-Za-z0-9_\-]{8,}"), "wft_" + MASK),
    (re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"), "whsec_" + MASK),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1" + MASK),
    (re.compile(r"v1\.[A-Za-z0-9_\-]{1,40}\.[A-Za-z0-9_\-]{16,}"), "v1." + MASK),
    (re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), "jwt." + MASK),
    # A URL's query parameter named like a secret (`?access_token=...`, `&key=...`).
    (re.compile(r"([?&;])([^=&#;\s\"']+)=([^&#;\s\"']*)"), _query_value),
]


def scrub_text(text: str) -> str:
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def redact(_: Any, __: str, event: EventDict) -> EventDict:
    for key, value in list(event.items()):
        masked = key not in _NOT_MASKED and is_secret_name(key)
        event[key] = MASK if masked else scrub_active(mask_by_name(value, MASK, text=scrub_text))
    return event


def configure(settings: LogSettings) -> None:
    as_json = settings.format == "json" or (settings.format == "auto" and not sys.stderr.isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(settings.level.upper())
    for noisy in ("uvicorn.access", "sqlalchemy.engine", "alembic", "dbos"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
