"""discord.py, pointed at the Discord mock, does what our actions do and what a user does next over
HTTP; every answer it gets from the API fits Discord's published description (when it is
cached), save the gaps the mock names. discord.py takes no base URL: `Route.BASE` is patched."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord.http import HTTPClient, Route, handle_message_parameters

from interlink.testing import DiscordMock, Fault, RunningMock, serve_mock
from interlink.testing.descriptions import DescriptionMissing, load_description
from tests.providers.conftest import answer_problems

CHANNEL = 1200000000000000001
EMBED = {"title": "Deploy", "description": "v1.2.3 is live", "color": 5763719}


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningMock[DiscordMock]]:
    """The mock as discord.py's Discord; once the test is done, every answer the API gave fits
    Discord's description (the CDN serving attachments is not the API)."""
    async with serve_mock(DiscordMock()) as running:
        monkeypatch.setattr(Route, "BASE", running.api_url)
        yield running
    description = load_description("discord")
    if not isinstance(description, DescriptionMissing):
        api = [call for call in running.mock.calls if call.path.startswith("/api/v10/")]
        assert answer_problems(description, running.mock.description_gaps, api) == []


@pytest.fixture
async def client(served: RunningMock[DiscordMock]) -> AsyncIterator[discord.Client]:
    """A bot logged in over HTTP (no gateway): /users/@me, then its application."""
    bot = discord.Client(intents=discord.Intents.none())
    await bot.login(served.mock.token)
    yield bot
    await bot.close()


async def test_the_http_client_sends_and_edits_as_our_actions_do(
    served: RunningMock[DiscordMock],
) -> None:
    http = HTTPClient(discord.utils.MISSING)
    me = await http.static_login(served.mock.token)
    try:
        with handle_message_parameters(content="Deployed", embed=discord.Embed.from_dict(EMBED),
                                       nonce="op_1") as sent_params:  # fmt: skip
            sent = await http.send_message(CHANNEL, params=sent_params)
        with handle_message_parameters(content="Rolled back") as edit_params:
            edited = await http.edit_message(CHANNEL, int(sent["id"]), params=edit_params)
    finally:
        await http.close()

    assert (me["username"], me["bot"]) == ("interlink-mock-bot", True)
    assert (sent["content"], sent["nonce"]) == ("Deployed", "op_1")
    assert sent["embeds"][0]["type"] == "rich"
    assert (edited["id"], edited["content"]) == (sent["id"], "Rolled back")
    assert edited["edited_timestamp"] is not None


async def test_a_bot_works_a_channel_with_attachments(
    served: RunningMock[DiscordMock], client: discord.Client
) -> None:
    channel = await client.fetch_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel)
    report = discord.File(io.BytesIO(b"ok\r\n\x00\xff"), filename="report.bin", description="raw")

    message = await channel.send("Deployed", embed=discord.Embed.from_dict(EMBED), file=report)
    edited = await message.edit(content="Rolled back")
    fetched = await channel.fetch_message(message.id)
    [attachment] = fetched.attachments
    data = await attachment.read()
    await fetched.delete()

    assert client.user is not None
    assert client.application_id == client.user.id
    assert (channel.name, channel.guild.id) == ("channel-1", 1000000000000000001)
    assert (edited.content, fetched.content) == ("Rolled back", "Rolled back")
    assert fetched.embeds[0].title == "Deploy"
    assert (attachment.filename, attachment.description) == ("report.bin", "raw")
    assert data == b"ok\r\n\x00\xff"
    assert attachment.url.startswith(served.url + "/attachments/")  # back at the mock
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(message.id)
    assert gone.value.code == 10008


async def test_a_webhook_sends_edits_and_deletes_its_messages(
    served: RunningMock[DiscordMock],
) -> None:
    mock = served.mock
    async with aiohttp.ClientSession() as session:
        hook = discord.Webhook.partial(int(mock.webhook_id), mock.webhook_token, session=session)
        sent = await hook.send("From the hook", username="Deployer", wait=True)  # wait=1
        edited = await sent.edit(content="Edited by the hook")
        await hook.send("No wait")  # no wait: 204, no message
        await sent.delete()
        wrong = discord.Webhook.partial(int(mock.webhook_id), "wrong", session=session)
        with pytest.raises(discord.HTTPException) as refused:
            await wrong.send("x", wait=True)

    assert (sent.author.name, sent.webhook_id) == ("Deployer", int(mock.webhook_id))
    assert edited.content == "Edited by the hook"
    assert [m["content"] for m in mock.messages[mock.channel_ids[0]].values()] == ["No wait"]
    assert (refused.value.status, refused.value.code) == (401, 50027)


async def test_discords_refusals_are_discord_py_errors(
    served: RunningMock[DiscordMock], client: discord.Client
) -> None:
    channel = client.get_partial_messageable(CHANNEL)
    hooked = await discord.Webhook.partial(int(served.mock.webhook_id), served.mock.webhook_token,
                                           client=client).send("hook", wait=True)  # fmt: skip
    served.mock.faults.add(Fault.forbidden(), times=1)

    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("refused")
    with pytest.raises(discord.Forbidden) as not_its_own:
        await channel.get_partial_message(hooked.id).edit(content="not the bot's")
    with pytest.raises(discord.NotFound) as unknown:
        await client.get_partial_messageable(1200000000000000999).send("nowhere")
    with pytest.raises(discord.LoginFailure):
        await discord.Client(intents=discord.Intents.none()).login("wrong-token")

    assert (forbidden.value.code, not_its_own.value.code, unknown.value.code) == (
        50013,
        50005,
        10003,
    )


async def test_discord_py_waits_out_a_429_and_sends_again(
    served: RunningMock[DiscordMock], client: discord.Client
) -> None:
    served.mock.faults.add(Fault.rate_limited(retry_after=0.01), times=1)  # Via: a rate limit

    message = await client.get_partial_messageable(CHANNEL).send("after the limit")

    posts = served.mock.calls.filter("POST", f"/api/v10/channels/{CHANNEL}/messages")
    assert [call.answer.status for call in posts if call.answer] == [429, 200]
    assert message.content == "after the limit"
