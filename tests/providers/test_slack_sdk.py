"""slack_sdk, pointed at the Slack mock, does what our actions do and what a user does next; every
answer it gets in a test fits Slack's published description (when it is cached), save the gaps
the mock names."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from interlink.core.clock import FrozenClock
from interlink.testing import RunningMock, SlackMock, serve_mock, serve_mock_in_thread
from interlink.testing.calls import Call
from interlink.testing.descriptions import Description, DescriptionMissing, load_description
from tests.providers.conftest import answer_problems
from tests.testing.conftest import START

GENERAL = "C00000001"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy* done"}}]


@pytest.fixture
def served() -> Iterator[RunningMock[SlackMock]]:
    """The mock; once the test is done, every answer it gave fits Slack's description."""
    with serve_mock_in_thread(SlackMock(clock=FrozenClock(START))) as running:
        yield running
    description = load_description("slack")
    if not isinstance(description, DescriptionMissing):
        calls = [as_declared(description, call) for call in running.mock.calls]
        assert answer_problems(description, running.mock.description_gaps, calls) == []


def as_declared(description: Description, call: Call) -> Call:
    """The call by the verb the description declares: Slack takes every method by GET or POST,
    slack_sdk POSTs most, the description names one."""
    if isinstance(description.find(call.method, call.path), str):
        return dataclasses.replace(call, method="GET" if call.method == "POST" else "POST")
    return call


@pytest.fixture
def slack(served: RunningMock[SlackMock]) -> WebClient:
    return WebClient(token=served.mock.token, base_url=served.api_url + "/")


def test_the_bot_posts_threads_edits_and_reacts(slack: WebClient) -> None:
    me = slack.auth_test()
    sent = slack.chat_postMessage(channel=GENERAL, text="Deploy done", blocks=BLOCKS)
    reply = slack.chat_postMessage(channel="#general", text="Details", thread_ts=sent["ts"])
    edited = slack.chat_update(channel=GENERAL, ts=sent["ts"], text="Rolled back")
    slack.reactions_add(channel=GENERAL, timestamp=sent["ts"], name="eyes")

    history = slack.conversations_history(channel=GENERAL)
    bot = slack.users_info(user=me["user_id"])

    assert (me["user"], me["team"]) == ("interlink-bot", "Interlink Mock")
    assert reply["message"]["thread_ts"] == sent["ts"]
    assert (edited["ts"], edited["text"]) == (sent["ts"], "Rolled back")
    [head] = history["messages"]  # the reply stays in its thread
    assert (head["text"], head["reply_count"], head["blocks"]) == ("Rolled back", 1, BLOCKS)
    assert head["reactions"] == [{"name": "eyes", "users": [me["user_id"]], "count": 1}]
    assert bot["user"]["is_bot"] is True
    assert bot["user"]["profile"]["bot_id"] == me["bot_id"]


def test_the_sdks_iteration_follows_the_cursor(slack: WebClient) -> None:
    pages = [  # the SDK reads each page into the same response: keep what each one held
        [channel["name"] for channel in page["channels"]]
        for page in slack.conversations_list(limit=40, exclude_archived=True)
    ]

    names = [name for page in pages for name in page]
    assert [len(page) for page in pages] == [40, 40, 40, 12]
    assert len(set(names)) == 132  # 150, less 15 private and 3 other archived
    assert names[:2] == ["general", "random"]
    assert slack.conversations_info(channel=GENERAL)["channel"]["is_general"] is True


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda s: s.chat_postMessage(channel="C0NOWHERE", text="hi"), "channel_not_found"),
        (lambda s: s.chat_update(channel=GENERAL, ts="1.000001", text="x"), "message_not_found"),
        (lambda s: s.users_info(user="U0NOBODY"), "user_not_found"),
    ],
)
def test_slacks_ok_false_is_a_slack_api_error(slack: WebClient, call: object, code: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        call(slack)  # type: ignore[operator]

    assert raised.value.response["error"] == code


def test_a_reaction_twice_and_a_wrong_token(
    served: RunningMock[SlackMock], slack: WebClient
) -> None:
    ts = slack.chat_postMessage(channel=GENERAL, text="hi")["ts"]
    slack.reactions_add(channel=GENERAL, timestamp=ts, name="eyes")
    wrong = WebClient(token="xoxb-wrong", base_url=served.api_url + "/")

    with pytest.raises(SlackApiError) as again:
        slack.reactions_add(channel=GENERAL, timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError) as refused:
        wrong.auth_test()

    assert again.value.response["error"] == "already_reacted"
    assert refused.value.response["error"] == "invalid_auth"


async def test_the_async_client_too() -> None:
    async with serve_mock(SlackMock(messages={"general": ["Deploy started"]})) as running:
        slack = AsyncWebClient(token=running.mock.token, base_url=running.api_url + "/")

        sent = await slack.chat_postMessage(channel=GENERAL, text="Deploy done")
        pages = [len(page["channels"]) async for page in await slack.conversations_list(limit=100)]
        history = await slack.conversations_history(channel=GENERAL, limit=1)

    assert sent["channel"] == GENERAL
    assert pages == [100, 35]
    assert [m["text"] for m in history["messages"]] == ["Deploy done"]
    assert history["has_more"] is True
