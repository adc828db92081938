"""The requests of seed 000 ("Integration Management"), as written there."""

from __future__ import annotations

from typing import Any

CREATE: dict[str, Any] = {
    "name": "GitHub Integration",
    "description": "Integration with GitHub API for repository data access",
    "type": "github",
    "configuration": {
        "api_url": "https://api.github.com",
        "auth_method": "oauth",
        "request_timeout": 30,
        "rate_limit_per_hour": 5000,
    },
    "credentials": {"access_token": "ghp_abcdefghijklmnopqrstuvwxyz", "token_type": "bearer"},
    "metadata": {"department": "engineering", "owner": "data-team", "version": "1.0"},
}

UPDATE: dict[str, Any] = {
    "name": "GitHub Enterprise Integration",
    "description": "Integration with GitHub Enterprise API for repository data access",
    "configuration": {
        "api_url": "https://github.enterprise.example.com/api/v3",
        "auth_method": "oauth",
        "request_timeout": 60,
        "rate_limit_per_hour": 10000,
    },
    "metadata": {"department": "engineering", "owner": "data-team", "version": "1.1"},
}

NEW_CREDENTIALS: dict[str, Any] = {
    "credentials": {"access_token": "ghp_newabcdefghijklmnopqrstuvwxyz", "token_type": "bearer"}
}

JIRA: dict[str, Any] = {
    "name": "JIRA Integration",
    "description": "Integration with JIRA API for issue tracking",
    "type": "jira",
    "configuration": {"api_url": "https://example.atlassian.net", "auth_method": "basic"},
    "credentials": {"username": "bot@example.com", "password": "jira-api-token-123"},
    "metadata": {"department": "engineering", "owner": "data-team", "version": "1.1"},
}

MASK = "•" * 26
