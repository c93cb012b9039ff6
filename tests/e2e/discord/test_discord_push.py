"""Pushes (DMs the bot starts), rate limits, command sync and sharding."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord
import pytest
from sqlalchemy import select

from adapters.discord import DiscordSender, open_sender, sync_commands
from adapters.discord.commands import slash_path, visible_commands
from bot.settings import Settings
from core.chat.delivery import Unreachable
from core.chat.dispatcher import Dispatcher
from core.chat.messages import Image, Text
from core.db.models import Identity
from tests.e2e.discord.conftest import Running
from tests.e2e.discord.fake_discord import APP_ID, CHANNEL_ID, GUILD_ID, FakeDiscord, text_of
from tests.e2e.discord.helpers import ALICE, Stub

pytestmark = pytest.mark.network

CLOSED_DMS = {"message": "Cannot send messages to this user", "code": 50007}


async def _say_hello(fake: FakeDiscord) -> None:
    """Alice uses the bot in a DM once, so the core knows her and her DM channel."""
    sent = await fake.slash("help", who=ALICE)
    await fake.wait_for(lambda: "/practice" in text_of(fake.original(sent)))


async def test_a_push_waits_out_a_429_and_succeeds(
    fake: FakeDiscord, settings: Callable[..., Settings], dispatcher: Dispatcher
) -> None:
    sender = await open_sender(settings(), dispatcher.app)  # REST only, no gateway
    try:
        dm = fake.dm_channel(ALICE["id"])
        fake.rate_limit_next("POST", rf"/channels/{dm}/messages", retry_after=0.05)
        chart = Image(b"\x89PNG fake", caption="Your week", filename="week.png")
        await sender.send(ALICE["id"], [Text("Your *weekly* report"), chart])
    finally:
        await sender.close()
    posts = fake.calls("POST", rf"/channels/{dm}/messages")
    assert [p.status for p in posts] == [429, 200, 200]  # retried once, after retry_after
    assert posts[1].json["content"] == "Your **weekly** report"
    assert posts[2].files["files[0]"] == ("week.png", b"\x89PNG fake")
    (opened,) = fake.calls("POST", "/users/@me/channels")
    assert str(opened.json["recipient_id"]) == ALICE["id"]
    assert not fake.sockets  # a sender never opens the gateway


async def test_closed_dms_mark_the_identity_unreachable(
    fake: FakeDiscord, bot: discord.Client, dispatcher: Dispatcher
) -> None:
    await _say_hello(fake)
    sender = DiscordSender(bot, dispatcher.app)
    dm = fake.dm_channel(ALICE["id"])
    fake.fail_next("POST", rf"/channels/{dm}/messages", 403, CLOSED_DMS)
    with pytest.raises(Unreachable):
        await sender.send(dm, [Text("Time for today's practice")])  # the recorded DM channel
    with dispatcher.app.db.uow() as s:
        identity = s.scalars(select(Identity).where(Identity.external_id == ALICE["id"])).one()
        assert identity.dm_chat_id == dm
        assert identity.reachable is False and identity.unreachable_since is not None


async def test_sync_registers_every_command(
    fake: FakeDiscord, settings: Callable[..., Settings]
) -> None:
    names = await asyncio.to_thread(sync_commands, settings(), GUILD_ID)
    core = visible_commands()
    assert set(names) == {slash_path(n, set(core))[0] or n for n in core}
    assert {"practice", "help", "progress"} <= set(names)
    (put,) = fake.calls("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    practice = next(c for c in put.json if c["name"] == "practice")
    (option,) = practice["options"]
    assert option["name"] == "args" and option["type"] == 3 and option["autocomplete"] is True
    assert not option["required"] and option["description"] == "Optional: [topic]"
    assert not fake.sockets and not fake.calls("PUT", rf"/applications/{APP_ID}/commands")
    await asyncio.to_thread(sync_commands, settings())  # global this time
    assert fake.calls("PUT", rf"/applications/{APP_ID}/commands")


async def test_sharded_client_reaches_ready(
    fake: FakeDiscord, running: Running, settings: Callable[..., Settings]
) -> None:
    client = await running.start(settings(sharded=True), Stub([Text("ok")]))
    assert isinstance(client, discord.AutoShardedClient)
    assert fake.identifies[0]["shard"] == [0, 1]  # the count /gateway/bot recommended
    sent = await fake.slash("help", who=ALICE)
    await fake.wait_for(lambda: text_of(fake.original(sent)) == "ok")


async def test_a_configured_gateway_url_is_used_as_is(
    fake: FakeDiscord, running: Running, settings: Callable[..., Settings]
) -> None:
    await running.start(settings(gateway_url=fake.gateway_url), Stub([]))
    assert not fake.calls("GET", "/gateway/bot") and fake.identifies


async def test_a_push_to_a_server_posts_in_its_channel(
    fake: FakeDiscord, bot: discord.Client, dispatcher: Dispatcher
) -> None:
    sender = DiscordSender(bot, dispatcher.app)
    await sender.send(GUILD_ID, [Text("Question of the day is up!")])
    (post,) = fake.calls("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert post.json["content"] == "Question of the day is up!"
    assert not fake.calls("POST", "/users/@me/channels")
