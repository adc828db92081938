"""What GitHub's webhook payloads carry, by event type: the top-level fields GitHub's published
payload schemas (octokit/webhooks, `payload-schemas/api.github.com`) require in every action of
the event, the envelope fields (`action`, `repository`, `sender`, `installation`,
`organization`, `enterprise`) left out. Event types whose every field is an envelope field map to
an empty set.

GitHub signs the body only, not the `X-GitHub-Event` header: these shapes let the verifier check
that the event a header names is one the signed body can be (`event_agrees`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUIRED_FIELDS: Mapping[str, frozenset[str]] = {
    "branch_protection_configuration": frozenset(),
    "branch_protection_rule": frozenset({"rule"}),
    "check_run": frozenset({"check_run"}),
    "check_suite": frozenset({"check_suite"}),
    "code_scanning_alert": frozenset({"alert", "commit_oid", "ref"}),
    "commit_comment": frozenset({"comment"}),
    "create": frozenset({"description", "master_branch", "pusher_type", "ref", "ref_type"}),
    "custom_property": frozenset({"definition"}),
    "custom_property_values": frozenset({"new_property_values", "old_property_values"}),
    "delete": frozenset({"pusher_type", "ref", "ref_type"}),
    "dependabot_alert": frozenset({"alert"}),
    "deploy_key": frozenset({"key"}),
    "deployment": frozenset({"deployment", "workflow", "workflow_run"}),
    "deployment_protection_rule": frozenset(),
    "deployment_review": frozenset({"since", "workflow_run"}),
    "deployment_status": frozenset({"deployment", "deployment_status"}),
    "discussion": frozenset({"discussion"}),
    "discussion_comment": frozenset({"comment", "discussion"}),
    "fork": frozenset({"forkee"}),
    "github_app_authorization": frozenset(),
    "gollum": frozenset({"pages"}),
    "installation": frozenset(),
    "installation_repositories": frozenset(
        {"repositories_added", "repositories_removed", "repository_selection", "requester"}
    ),
    "installation_target": frozenset({"account", "changes", "target_type"}),
    "issue_comment": frozenset({"comment", "issue"}),
    "issues": frozenset({"issue"}),
    "label": frozenset({"label"}),
    "marketplace_purchase": frozenset({"effective_date", "marketplace_purchase"}),
    "member": frozenset({"member"}),
    "membership": frozenset({"member", "scope", "team"}),
    "merge_group": frozenset({"merge_group"}),
    "meta": frozenset({"hook", "hook_id"}),
    "milestone": frozenset({"milestone"}),
    "org_block": frozenset({"blocked_user"}),
    "organization": frozenset(),
    "package": frozenset({"package"}),
    "page_build": frozenset({"build", "id"}),
    "ping": frozenset({"hook", "hook_id", "zen"}),
    "project": frozenset({"project"}),
    "project_card": frozenset({"project_card"}),
    "project_column": frozenset({"project_column"}),
    "projects_v2_item": frozenset({"projects_v2_item"}),
    "public": frozenset(),
    "pull_request": frozenset({"number", "pull_request"}),
    "pull_request_review": frozenset({"pull_request", "review"}),
    "pull_request_review_comment": frozenset({"comment", "pull_request"}),
    "pull_request_review_thread": frozenset({"pull_request", "thread"}),
    "push": frozenset(
        {
            "after",
            "base_ref",
            "before",
            "commits",
            "compare",
            "created",
            "deleted",
            "forced",
            "head_commit",
            "pusher",
            "ref",
        }
    ),
    "registry_package": frozenset({"registry_package"}),
    "release": frozenset({"release"}),
    "repository": frozenset(),
    "repository_dispatch": frozenset({"branch", "client_payload"}),
    "repository_import": frozenset({"status"}),
    "repository_vulnerability_alert": frozenset({"alert"}),
    "secret_scanning_alert": frozenset({"alert"}),
    "secret_scanning_alert_location": frozenset({"alert", "location"}),
    "security_advisory": frozenset({"security_advisory"}),
    "sponsorship": frozenset({"sponsorship"}),
    "star": frozenset({"starred_at"}),
    "status": frozenset(
        {
            "branches",
            "commit",
            "context",
            "created_at",
            "description",
            "id",
            "name",
            "sha",
            "state",
            "target_url",
            "updated_at",
        }
    ),
    "team": frozenset({"team"}),
    "team_add": frozenset({"team"}),
    "watch": frozenset(),
    "workflow_dispatch": frozenset({"inputs", "ref", "workflow"}),
    "workflow_job": frozenset({"workflow_job"}),
    "workflow_run": frozenset({"workflow", "workflow_run"}),
}


def event_of(payload: Any) -> str:
    """The most specific event whose required fields `payload` carries; `sample` (an event
    GitHub does not send, taken as named) when none."""
    fields = frozenset(payload) if isinstance(payload, dict) else frozenset()
    fitting = [(len(need), event) for event, need in REQUIRED_FIELDS.items() if need <= fields]
    return max(fitting)[1] if fitting else "sample"


def event_agrees(event: str, fields: frozenset[str]) -> bool:
    """Whether a body with these top-level `fields` can be an `event` hook: it carries every
    field the event requires, and not all the fields of an event that requires more (a
    comment's body, which carries its `issue` too, is not an `issues` event). Event types not
    in the table (GitHub adds some) are taken as named."""
    required = REQUIRED_FIELDS.get(event)
    if required is None:
        return True
    if not required <= fields:
        return False
    return not any(required < other <= fields for other in REQUIRED_FIELDS.values())
