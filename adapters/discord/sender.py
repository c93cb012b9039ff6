"""Pushes: direct messages the bot starts (reminders, reports).

``chat_id`` is the person's Discord user id, or the DM channel id the core
recorded for them (``Identity.dm_chat_id``); either way the DM channel is
opened through REST (``POST /users/@me/channels``, which returns the
existing one) and the messages are sent into it. Only REST is used, so a
scheduler process can push DMs without a gateway connection.

A ``chat_id`` that is a server (guild) id the connected client knows, as
group events report it, posts in that server's system channel, else its
first text channel the bot may write in.

discord.py waits out 429s itself (``retry_after``). A closed DM (403, code
50007) marks the identity unreachable and raises :class:`Unreachable`;
Discord's 5xx and a rate limit too long to wait raise :class:`RetryLater`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from sqlalchemy import or_, select

from adapters.discord.client import intents, token_of
from adapters.discord.endpoints import use_endpoints
from adapters.discord.render import render, render_edit
from core.chat.delivery import RetryLater, Unreachable
from core.chat.dispatcher import App
from core.chat.messages import Edit, Outgoing
from core.db.models import Identity
from core.services.identities import mark_unreachable

CANNOT_DM = 50007
UNKNOWN_USER = 10013


class DiscordSender:
    """:class:`core.chat.delivery.Sender` for Discord, over a logged-in client's REST."""

    platform = "discord"

    def __init__(self, client: discord.Client, app: App) -> None:
        self.client = client
        self.app = app

    async def send(self, chat_id: str, messages: list[Outgoing]) -> None:
        """DM ``messages`` to the person behind ``chat_id`` (or post them in a server)."""
        guild = self.client.get_guild(int(chat_id))
        if guild is not None:
            await self._post(_post_channel(guild), messages)
            return
        user_id = await asyncio.to_thread(self._user_id, chat_id)
        try:
            await self._post(await self.client.create_dm(discord.Object(int(user_id))), messages)
        except discord.Forbidden as exc:
            if exc.code == CANNOT_DM:
                await asyncio.to_thread(self._mark_unreachable, user_id)
                raise Unreachable(f"discord user {user_id} does not accept DMs") from None
            raise
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_USER:
                await asyncio.to_thread(self._mark_unreachable, user_id)
                raise Unreachable(f"discord user {user_id} does not exist") from None
            raise

    async def _post(self, channel: discord.abc.Messageable, messages: list[Outgoing]) -> None:
        try:
            for msg in messages:
                rendered = [render_edit(msg)] if isinstance(msg, Edit) else render(msg)
                for part in rendered:
                    await channel.send(**part.send_kwargs())
        except discord.RateLimited as exc:
            raise RetryLater("discord rate limit", after=exc.retry_after) from None
        except discord.DiscordServerError as exc:
            raise RetryLater(f"discord answered {exc.status}") from None

    async def close(self) -> None:
        """Close the client (for a sender made by :func:`open_sender`)."""
        await self.client.close()

    def _user_id(self, chat_id: str) -> str:
        with self.app.db.uow() as s:
            found = s.scalar(
                select(Identity.external_id).where(
                    Identity.platform == "discord",
                    or_(Identity.dm_chat_id == chat_id, Identity.external_id == chat_id),
                )
            )
        return found or chat_id

    def _mark_unreachable(self, user_id: str) -> None:
        with self.app.db.uow() as s:
            mark_unreachable(s, "discord", user_id, self.app.clock())


def _post_channel(guild: discord.Guild) -> discord.TextChannel:
    """Where a push to a server goes: its system channel, else the first text
    channel the bot may write in (the core does not record a channel yet)."""
    candidates = [guild.system_channel, *sorted(guild.text_channels, key=lambda c: c.position)]
    for channel in candidates:
        if channel is None:
            continue
        if guild.me is None or channel.permissions_for(guild.me).send_messages:
            return channel
    raise Unreachable(f"no channel in discord server {guild.id} where the bot may write")


async def open_sender(settings: Any, app: App) -> DiscordSender:
    """A sender with its own REST-only client (a scheduler process); ``close()`` it."""
    use_endpoints(settings.discord.api_url, settings.discord.gateway_url)
    client = discord.Client(intents=intents())
    await client.login(token_of(settings))
    return DiscordSender(client, app)
