"""GitHub: X-Hub-Signature-256 over the raw body; X-GitHub-Delivery and the body itself
de-duplicate; the unsigned X-GitHub-Event must agree with the body's shape."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import data, error
from tests.hooks.conftest import (
    SECRET,
    count_hooks,
    create_integration,
    flip_bit,
    github_signed,
    provider_events,
    stored_hooks,
)

BODY = json.dumps({"action": "opened", "issue": {"number": 7, "title": "Hello"}}).encode()


PUSH = {
    "ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40, "created": False,
    "deleted": False, "forced": False, "base_ref": None, "compare": "https://github.com/o/r",
    "commits": [], "head_commit": None, "pusher": {"name": "octocat"},
}  # fmt: skip
COMMENT = {"action": "created", "issue": {"number": 7}, "comment": {"id": 1, "body": "+1"}}


async def test_a_signed_hook_is_stored_and_becomes_an_event(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 200, response.text
    accepted = data(response)
    assert accepted["event"] == "provider.github.issues.opened"
    assert accepted["duplicate"] is False
    assert accepted["id"].startswith("hook_")
    [hook] = await stored_hooks(app)
    assert hook.body == BODY
    assert hook.delivery_id == "d-1"
    assert hook.headers["x-github-event"] == "issues"
    [event] = await provider_events(client, github)
    assert event["event"] == "provider.github.issues.opened"
    assert event["data"]["hook_id"] == accepted["id"]
    assert event["data"]["body"]["issue"]["number"] == 7
    assert event["data"]["event"] == "issues.opened"
    assert SECRET not in json.dumps(event)


async def test_a_duplicate_delivery_is_accepted_and_processed_once(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    first = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    again = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    assert first.status_code == again.status_code == 200
    assert data(again)["duplicate"] is True
    assert await count_hooks(app) == 1
    assert len(await provider_events(client, github)) == 1


async def test_an_event_without_action_is_named_by_the_event_alone(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    body = json.dumps(PUSH).encode()
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=body, headers=github_signed(body, event="push")
    )
    assert data(response)["event"] == "provider.github.push"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-GitHub-Delivery": "d-2"},  # a new delivery id
        # and an event name no published shape contradicts (one that does is 401, below)
        {"X-GitHub-Delivery": "d-3", "X-GitHub-Event": "an_event_added_later"},
    ],
)
async def test_a_replayed_body_is_a_duplicate_whatever_its_unsigned_headers(
    app: FastAPI,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    github: str,
    headers: dict[str, str],
) -> None:
    first = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    assert data(first)["duplicate"] is False

    replay = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers={**github_signed(BODY), **headers}
    )

    assert replay.status_code == 200
    assert data(replay)["duplicate"] is True
    assert await count_hooks(app) == 1
    [event] = await provider_events(client, github)
    assert event["event"] == "provider.github.issues.opened"


@pytest.mark.parametrize("missing", ["X-GitHub-Delivery", "X-GitHub-Event"])
async def test_a_hook_without_the_headers_github_always_sends_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str, missing: str
) -> None:
    headers = github_signed(BODY)
    del headers[missing]
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=BODY, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (COMMENT, "issues"),  # a comment's body carries its issue too
        ({"action": "opened", "issue": {"number": 7}}, "pull_request"),
        ({"action": "opened", "issue": {"number": 7}}, "push"),
        ({"action": "opened", "issue": {"number": 7}}, "repository"),
        (PUSH, "ping"),
    ],
)
async def test_an_event_name_the_signed_body_cannot_be_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str, payload: dict[str, object], event: str
) -> None:
    body = json.dumps(payload).encode()
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=body, headers=github_signed(body, event=event)
    )
    assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize(
    ("payload", "event", "name"),
    [
        (COMMENT, "issue_comment", "issue_comment.created"),
        ({"action": "labeled", "issue": {}, "label": {}}, "issues", "issues.labeled"),
        ({"zen": "Keep it simple.", "hook_id": 1, "hook": {}}, "ping", "ping"),
        ({"action": "started"}, "watch", "watch.started"),
        (
            {"action": "anything"},
            "an_event_github_adds_later",
            "an_event_github_adds_later.anything",
        ),
    ],
)
async def test_an_event_name_the_body_agrees_with_is_accepted(
    anonymous: httpx.AsyncClient, github: str, payload: dict[str, object], event: str, name: str
) -> None:
    body = json.dumps(payload).encode()
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=body, headers=github_signed(body, event=event)
    )
    assert response.status_code == 200, response.text
    assert data(response)["event"] == f"provider.github.{name}"


async def test_a_form_encoded_hook_is_read(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    body = urlencode({"payload": BODY.decode()}).encode()
    headers = {**github_signed(body), "Content-Type": "application/x-www-form-urlencoded"}
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=body, headers=headers)
    assert data(response)["event"] == "provider.github.issues.opened"


@pytest.mark.parametrize(
    "change",
    ["body_bit", "signature_bit", "other_secret", "no_signature", "sha1_scheme"],
)
async def test_a_wrong_signature_is_401_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str, change: str
) -> None:
    body, headers = BODY, github_signed(BODY)
    if change == "body_bit":
        body = flip_bit(BODY, 10)
    elif change == "signature_bit":
        digest = bytes.fromhex(headers["X-Hub-Signature-256"][7:])
        headers["X-Hub-Signature-256"] = "sha256=" + flip_bit(digest).hex()
    elif change == "other_secret":
        headers = github_signed(BODY, secret="another secret")
    elif change == "no_signature":
        del headers["X-Hub-Signature-256"]
    else:
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].replace("sha256", "sha1")
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=body, headers=headers)
    assert response.status_code == 401
    assert error(response)["code"] == "UNAUTHENTICATED"
    assert await count_hooks(app) == 0
    assert await provider_events(client, github) == []


@pytest.mark.parametrize(
    "header",
    ["garbage", "sha256=", "sha256=zz", "sha256=abc", "=", "sha256=" + "0" * 64, "sha256=é"],
)
async def test_a_malformed_signature_header_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str, header: str
) -> None:
    headers: dict[str, str | bytes] = {
        **github_signed(BODY),
        "X-Hub-Signature-256": header.encode(),
    }
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=BODY, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0


async def test_an_integration_without_a_webhook_secret_refuses_hooks(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    bare = await create_integration(client, "github", {"access_token": "ghp_abc"})
    response = await anonymous.post(
        f"/api/v1/hooks/{bare}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 401


async def test_the_secret_is_masked_in_the_integration(
    client: httpx.AsyncClient, github: str
) -> None:
    shown = data(await client.get(f"/api/v1/integrations/{github}"))
    assert SECRET not in json.dumps(shown)
