from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from interlink.providers.github.mock_shapes import REPO_URLS
from interlink.testing.descriptions import (
    Description,
    DescriptionMissing,
    Operation,
    load_description,
)

THING = {"$ref": "#/components/schemas/Thing"}
OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"enum": [True]}}}
TINY: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "tiny", "version": "1"},
    "servers": [{"url": "https://api.example.test/api/v1"}],
    "paths": {
        "/things/{id}": {
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "get": {
                "parameters": [{"name": "expand", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": THING}}},
                    "4XX": {"$ref": "#/components/responses/Error"},
                },
            },
            "patch": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Patch"}}
                    },
                },
                "responses": {"204": {"description": "updated"}},
            },
            "delete": {
                "responses": {
                    "204": {"description": "", "content": {"application/json": {"schema": {}}}}
                }
            },
        },
        "/things/mine": {
            "get": {
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": THING}}}
                }
            }
        },
        "/search": {
            "get": {
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": OK}}},
                    "default": {"$ref": "#/components/responses/Error"},
                },
            }
        },
        "/forms": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "email": {"type": "string"},
                                    "metadata": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "expand": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": ""}},
            }
        },
    },
    "components": {
        "parameters": {
            "id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        },
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "note": {"type": "string", "nullable": True},
                    "state": {"type": "string", "nullable": True, "enum": ["open", "closed"]},
                    "owner": {"$ref": "#/components/schemas/Owner"},
                },
            },
            "Owner": {
                "type": "object",
                "required": ["login"],
                "properties": {"login": {"type": "string"}},
            },
            "Patch": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "owner": {"$ref": "#/components/schemas/Owner"},
                    "labels": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                    },
                },
            },
        },
        "responses": {
            "Error": {
                "description": "",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {"message": {"type": "string"}},
                        }
                    }
                },
            }
        },
    },
}


@pytest.fixture(scope="module")
def tiny() -> Description:
    return Description(TINY, "tiny")


def test_a_declared_request_is_faithful(tiny: Description) -> None:
    assert tiny.check_request("GET", "/things/7", {"expand": "owner"}) == []
    assert (
        tiny.check_request("PATCH", "/things/7", body={"name": "x", "labels": [{"name": "a"}]})
        == []
    )
    assert tiny.check_request("patch", "/things/7", body={"name": "x"}) == []


def test_the_server_path_may_stand_in_front(tiny: Description) -> None:
    assert tiny.check_request("GET", "/api/v1/things/7?expand=owner") == []


def test_an_unknown_path_is_flagged(tiny: Description) -> None:
    assert tiny.check_request("GET", "/nothing/here") == ["GET /nothing/here: path not in tiny"]


def test_an_undeclared_method_is_flagged(tiny: Description) -> None:
    assert tiny.check_request("POST", "/things/7") == [
        "POST /things/{id}: method not declared (DELETE, GET, PATCH)"
    ]


def test_a_literal_path_wins_over_a_template(tiny: Description) -> None:
    found = tiny.find("GET", "/things/mine")
    assert isinstance(found, Operation)
    assert found.route.template == "/things/mine"


def test_an_undeclared_query_parameter_is_flagged(tiny: Description) -> None:
    expected = ["GET /things/{id}: query parameter 'expnad' is not declared"]
    assert tiny.check_request("GET", "/things/7", {"expnad": "owner"}) == expected
    assert tiny.check_request("GET", "/things/7?expnad=owner") == expected
    assert tiny.check_request("GET", "/things/7", [("expnad", "owner")]) == expected


def test_a_missing_required_query_parameter_is_flagged(tiny: Description) -> None:
    assert tiny.check_request("GET", "/search", {"q": "x"}) == []
    assert tiny.check_request("GET", "/search") == [
        "GET /search: required query parameter 'q' is missing"
    ]


def test_undeclared_body_fields_are_flagged_at_any_depth(tiny: Description) -> None:
    body = {"name": "x", "colour": "red", "owner": {"logn": "a"}, "labels": [{"nam": "b"}]}
    assert tiny.check_request("PATCH", "/things/7", body=body) == [
        "PATCH /things/{id}: body field 'colour' is not declared",
        "PATCH /things/{id}: body field 'labels.[].nam' is not declared",
        "PATCH /things/{id}: body field 'owner.logn' is not declared",
    ]


def test_a_body_of_the_wrong_type_is_flagged(tiny: Description) -> None:
    assert tiny.check_request("PATCH", "/things/7", body={"name": 5}) == [
        "PATCH /things/{id} request body: at name: 5 is not of type 'string'"
    ]


def test_a_required_body_is_flagged_when_absent(tiny: Description) -> None:
    assert tiny.check_request("PATCH", "/things/7") == [
        "PATCH /things/{id}: request body is required"
    ]
    assert tiny.check_request("GET", "/things/7", body={"a": 1}) == [
        "GET /things/{id}: takes no request body"
    ]


def test_form_fields_count_by_their_name_before_the_brackets(tiny: Description) -> None:
    form = {"email": "a@b.test", "metadata[order]": "7", "expand[]": "x"}
    assert tiny.check_request("POST", "/forms", body=form) == []
    assert tiny.check_request("POST", "/forms", body=[("emial", "a@b.test")]) == [
        "POST /forms: body field 'emial' is not declared"
    ]


def test_a_good_answer_passes(tiny: Description) -> None:
    thing = {"id": "7", "name": "seven", "note": None, "state": None, "owner": {"login": "o"}}
    assert tiny.check_response("GET", "/things/7", 200, thing) == []
    assert tiny.check_response("PATCH", "/things/7", 204) == []
    assert tiny.check_response("DELETE", "/things/7", 204) == []


def test_an_enum_value_outside_the_list_is_flagged(tiny: Description) -> None:
    thing = {"id": "7", "name": "seven", "state": "gone"}
    assert tiny.check_response("GET", "/things/7", 200, thing) == [
        "GET /things/{id} → 200: at state: 'gone' is not one of ['open', 'closed']"
    ]


def test_errors_under_default_pass_only_when_the_description_says_so(tiny: Description) -> None:
    error = {"message": "bad query"}
    assert tiny.check_response("GET", "/search", 200, error) == [
        "GET /search → 200: at (body): 'ok' is a required property"
    ]
    slack_like = Description(TINY, "slack-like", errors_in_default=True)
    assert slack_like.check_response("GET", "/search", 200, error) == []
    assert slack_like.check_response("GET", "/search", 200, {"ok": False}) != []


def test_an_answer_missing_a_required_field_is_flagged(tiny: Description) -> None:
    assert tiny.check_response("GET", "/things/7", 200, {"id": "7", "owner": {}}) == [
        "GET /things/{id} → 200: at (body): 'name' is a required property",
        "GET /things/{id} → 200: at owner: 'login' is a required property",
    ]


def test_a_status_range_through_a_reference_is_used(tiny: Description) -> None:
    assert tiny.check_response("GET", "/things/7", 404, {"message": "gone"}) == []
    assert tiny.check_response("GET", "/things/7", 404, {}) == [
        "GET /things/{id} → 404: at (body): 'message' is a required property"
    ]


def test_an_undeclared_status_is_flagged(tiny: Description) -> None:
    assert tiny.check_response("GET", "/things/7", 500, {}) == [
        "GET /things/{id} → 500: status not declared (200, 4XX)"
    ]
    assert tiny.check_response("GET", "/things/7", 200) == [
        "GET /things/{id} → 200: a JSON body is declared but none was given"
    ]


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("", "", None, None),
        ("GET", "/things/7", {"expand": object()}, {1, 2}),
        ("PATCH", "/things/7", [("a",)], b"\xff"),
        ("PATCH", "/things/7", None, [[["deep"]]]),
        ("POST", "/forms", None, "email=x"),
    ],
)
def test_bad_input_gives_problems_not_exceptions(
    tiny: Description, method: str, path: str, query: Any, body: Any
) -> None:
    assert isinstance(tiny.check_request(method, path, query, body), list)
    assert isinstance(tiny.check_response(method, path, 200, body), list)


def test_openapi_31_nullability_is_understood() -> None:
    document = copy.deepcopy(TINY)
    document["openapi"] = "3.1.0"
    document["components"]["schemas"]["Thing"]["properties"]["note"] = {"type": ["string", "null"]}
    description = Description(document, "tiny31")
    thing = {"id": "7", "name": "seven", "note": None}
    assert description.check_response("GET", "/things/7", 200, thing) == []
    assert description.check_response("GET", "/things/7", 200, thing | {"note": 3}) == [
        "GET /things/{id} → 200: at note: 3 is not of type 'string', 'null'"
    ]


def test_swagger_2_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Swagger 2\.0"):
        Description({"swagger": "2.0", "paths": {}}, "old")


def test_a_missing_description_says_how_to_get_it(tmp_path: Path) -> None:
    outcome = load_description("nothing", tmp_path)
    assert isinstance(outcome, DescriptionMissing)
    assert "scripts/fetch_api_descriptions.py" in outcome.reason


def test_an_unusable_description_is_missing_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    (tmp_path / "broken.json").write_text("{")
    old = load_description("old", tmp_path)
    broken = load_description("broken", tmp_path)
    assert isinstance(old, DescriptionMissing)
    assert "Swagger 2.0" in old.reason
    assert isinstance(broken, DescriptionMissing)


def test_a_yaml_description_loads_once(tmp_path: Path) -> None:
    lines = [
        "openapi: 3.0.0",
        "info: {title: y, version: '1'}",
        "paths:",
        "  /ping:",
        "    get:",
        "      responses: {'204': {description: pong}}",
    ]
    (tmp_path / "yml.yaml").write_text("\n".join(lines))
    first = load_description("yml", tmp_path)
    assert isinstance(first, Description)
    assert first.check_request("GET", "/ping") == []
    assert load_description("yml", tmp_path) is first


# The providers' own descriptions, when scripts/fetch_api_descriptions.py has cached them.


def provider(key: str) -> Description:
    description = load_description(key)
    if isinstance(description, DescriptionMissing):
        pytest.skip(description.reason)
    return description


def github_repository(owner: str, name: str) -> dict[str, Any]:
    api = f"https://api.github.com/repos/{owner}/{name}"
    user = f"https://api.github.com/users/{owner}"
    return {
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": {
            "login": owner,
            "id": 1,
            "node_id": "MDQ6VXNlcjE=",
            "avatar_url": "https://github.com/images/error/octocat_happy.gif",
            "gravatar_id": "",
            "url": user,
            "html_url": f"https://github.com/{owner}",
            "followers_url": f"{user}/followers",
            "following_url": f"{user}/following{{/other_user}}",
            "gists_url": f"{user}/gists{{/gist_id}}",
            "starred_url": f"{user}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{user}/subscriptions",
            "organizations_url": f"{user}/orgs",
            "repos_url": f"{user}/repos",
            "events_url": f"{user}/events{{/privacy}}",
            "received_events_url": f"{user}/received_events",
            "type": "User",
            "site_admin": False,
        },
        "private": False,
        "html_url": f"https://github.com/{owner}/{name}",
        "description": "This your first repo!",
        "fork": False,
        "url": api,
        **{f"{key}_url": api + tail for key, tail in REPO_URLS.items()},
        "clone_url": f"https://github.com/{owner}/{name}.git",
        "git_url": f"git:github.com/{owner}/{name}.git",
        "ssh_url": f"git@github.com:{owner}/{name}.git",
        "svn_url": f"https://svn.github.com/{owner}/{name}",
        "mirror_url": None,
        "homepage": "https://github.com",
        "language": None,
        "forks": 9,
        "forks_count": 9,
        "stargazers_count": 80,
        "watchers": 80,
        "watchers_count": 80,
        "size": 108,
        "default_branch": "main",
        "open_issues": 0,
        "open_issues_count": 0,
        "topics": ["octocat"],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "license": None,
        "pushed_at": "2011-01-26T19:06:43Z",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:14:43Z",
        "network_count": 0,
        "subscribers_count": 42,
    }


def test_github_repository_requests_and_answers() -> None:
    github = provider("github")
    assert github.check_request("GET", "/repos/octocat/hello-world") == []
    assert github.check_request("GET", "/repos/o/r/issues", {"state": "open", "per_page": 30}) == []
    issue = {"title": "Found a bug", "body": "It breaks", "labels": ["bug"]}
    assert github.check_request("POST", "/repos/o/r/issues", body=issue) == []
    repository = github_repository("octocat", "hello-world")
    assert github.check_response("GET", "/repos/octocat/hello-world", 200, repository) == []
    del repository["full_name"]
    assert github.check_response("GET", "/repos/octocat/hello-world", 200, repository) == [
        "GET /repos/{owner}/{repo} → 200: at (body): 'full_name' is a required property"
    ]


def test_slack_post_message() -> None:
    slack = provider("slack")
    assert (
        slack.check_request("POST", "/chat.postMessage", body={"channel": "C1", "text": "hi"}) == []
    )
    assert slack.check_request("POST", "/api/chat.postMessage", body={"channel": "C1"}) == []
    answer = {
        "ok": True,
        "channel": "C1H9RESGL",
        "ts": "1503435956.000247",
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "text": "Here's a message for you",
            "ts": "1503435956.000247",
            "username": "ecto1",
            "bot_id": "B19LU7CSY",
        },
    }
    assert slack.check_response("POST", "/chat.postMessage", 200, answer) == []
    assert slack.check_response("POST", "/chat.postMessage", 200, {"ok": True}) != []
    failed = {"ok": False, "error": "channel_not_found"}
    assert slack.check_response("POST", "/chat.postMessage", 200, failed) == []
    assert slack.check_response("POST", "/chat.postMessage", 200, failed | {"error": "nope"})


def test_stripe_customers() -> None:
    stripe = provider("stripe")
    form = {"email": "jenny@example.com", "name": "Jenny", "metadata[order]": "6735"}
    assert stripe.check_request("POST", "/v1/customers", body=form) == []
    assert stripe.check_request("GET", "/v1/customers/cus_1", {"expand[]": "sources"}) == []
    customer = {
        "id": "cus_NffrFeUfNV2Hib",
        "object": "customer",
        "balance": 0,
        "created": 1680893993,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": "jenny@example.com",
        "invoice_prefix": "0759376C",
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"order": "6735"},
        "name": "Jenny",
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    assert stripe.check_response("POST", "/v1/customers", 200, customer) == []
    assert stripe.check_response("POST", "/v1/customers", 200, customer | {"created": "x"})


def test_jira_create_issue_and_myself() -> None:
    jira = provider("jira")
    fields = {
        "project": {"key": "ENG"},
        "issuetype": {"name": "Task"},
        "summary": "Something broke",
    }
    assert jira.check_request("POST", "/rest/api/3/issue", body={"fields": fields}) == []
    assert jira.check_request("POST", "/rest/api/3/issue", {"notify": "false"}, {"fields": {}}) == [
        "POST /rest/api/3/issue: query parameter 'notify' is not declared"
    ]
    created = {
        "id": "10000",
        "key": "ENG-24",
        "self": "https://x.atlassian.net/rest/api/3/issue/10000",
    }
    assert jira.check_response("POST", "/rest/api/3/issue", 201, created) == []
    me = {
        "self": "https://x.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g",
        "accountId": "5b10a2844c20165700ede21g",
        "accountType": "atlassian",
        "emailAddress": "mia@example.com",
        "displayName": "Mia Krystof",
        "active": True,
        "timeZone": "Australia/Sydney",
        "avatarUrls": {"48x48": "https://avatar.example/48.png"},
    }
    assert jira.check_response("GET", "/rest/api/3/myself", 200, me) == []
    assert jira.check_response("GET", "/rest/api/3/myself", 200, me | {"active": "yes"})


def discord_user() -> dict[str, Any]:
    return {
        "id": "80351110224678912",
        "username": "nelly",
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": "Nelly",
        "primary_guild": None,
        "bot": True,
    }


def test_discord_messages() -> None:
    discord = provider("discord")
    body = {"content": "hello", "nonce": "abc", "enforce_nonce": True}
    assert discord.check_request("POST", "/channels/41771983423143937/messages", body=body) == []
    assert discord.check_request("POST", "/api/v10/channels/1/messages", body={"txt": "x"}) == [
        "POST /channels/{channel_id}/messages: body field 'txt' is not declared"
    ]
    assert (
        discord.check_request("POST", "/webhooks/1/tok", {"wait": "true"}, {"content": "x"}) == []
    )
    message = {
        "id": "334385199974967042",
        "channel_id": "41771983423143937",
        "type": 0,
        "content": "hello",
        "author": discord_user(),
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "timestamp": "2017-07-11T17:27:07.299000+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "nonce": "abc",
    }
    assert discord.check_response("POST", "/channels/1/messages", 200, message) == []
    del message["author"]
    assert discord.check_response("POST", "/channels/1/messages", 200, message) == [
        "POST /channels/{channel_id}/messages → 200: at (body): 'author' is a required property"
    ]
    me = discord_user() | {"mfa_enabled": False, "locale": "en-US"}
    del me["primary_guild"]
    assert discord.check_response("GET", "/users/@me", 200, me) == []
