"""The providers that ship with Interlink, by folder: adding one is its folder plus one line."""

from __future__ import annotations

BUILTIN_PROVIDERS = (
    "http",
    "github",
    "slack",
    "stripe",
    "discord",
    "smtp",
    "jira",
    "telegram",
    "zendesk",
    "google_workspace",
    "hubspot",
    "salesforce",
    "microsoft_365",
    "gemini",
    "anthropic",
    "openai",
    "ollama",
)
