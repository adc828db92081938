"""Interlink: a self-hosted integration layer.

Direct interfaces load on first use, so `import interlink` stays light:
`from interlink import GitHubIntegration, GitHubIntegrationConfiguration`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_DIRECT = {
    f"{prefix}{name}{suffix}"
    for name in ("GitHub", "Slack", "Stripe", "Discord", "Jira", "Smtp", "Http")
    for prefix, suffix in (
        ("", "Integration"),
        ("Async", "Integration"),
        ("", "IntegrationConfiguration"),
    )
}


def __getattr__(name: str) -> Any:
    if name in _DIRECT:
        import interlink.direct

        return getattr(interlink.direct, name)
    raise AttributeError(f"module 'interlink' has no attribute {name!r}")
