"""Fixtures: the fake Discord, and the real adapter (discord.py) connected to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import pytest
from pydantic import SecretStr

from adapters.discord import build_client, reset_endpoints
from bot.settings import DiscordSettings, Settings
from core.chat.dispatcher import App, Dispatcher
from tests.chat.conftest import app, clock, db, synthetic_template  # noqa: F401  (fixtures)
from tests.e2e.discord.fake_discord import FakeDiscord

TOKEN = "fake-bot-token.abc.def"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()
    reset_endpoints()


@pytest.fixture
def settings(fake: FakeDiscord) -> Callable[..., Settings]:
    def make(**discord_kw: Any) -> Settings:
        conf = {"token": SecretStr(TOKEN), "api_url": fake.api_url} | discord_kw
        return Settings(discord=DiscordSettings(**conf))

    return make


class Running:
    """Starts clients against the fake and closes every one of them at the end."""

    def __init__(self) -> None:
        self.started: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(self, settings: Settings, dispatcher: Any) -> discord.Client:
        # The default 2 s wait for more guilds after the last GUILD_CREATE is
        # pointless against a fake with one guild.
        client = build_client(settings, dispatcher, guild_ready_timeout=0.05)
        task = asyncio.create_task(client.start(TOKEN))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=15, return_when="FIRST_COMPLETED")
        if task in done:
            ready.cancel()
            task.result()  # raises what went wrong
        assert ready in done, "the client did not reach READY"
        self.started.append((client, task))
        return client

    async def stop(self, client: discord.Client) -> None:
        for pair in list(self.started):
            if pair[0] is client:
                self.started.remove(pair)
                await client.close()
                await asyncio.wait_for(pair[1], 10)

    async def close(self) -> None:
        for client, _ in list(self.started):
            await self.stop(client)


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    clients = Running()
    yield clients
    await clients.close()


@pytest.fixture
def dispatcher(app: App) -> Dispatcher:  # noqa: F811
    return Dispatcher(app)


@pytest.fixture
async def bot(
    running: Running, settings: Callable[..., Settings], dispatcher: Dispatcher
) -> discord.Client:
    return await running.start(settings(), dispatcher)


@pytest.fixture
async def stub_bot(running: Running, settings: Callable[..., Settings]) -> discord.Client:
    """The bot over a stub core that answers "ok": for tests that need no database."""
    from core.chat.messages import Text
    from tests.e2e.discord.helpers import Stub

    return await running.start(settings(), Stub([Text("ok")]))
