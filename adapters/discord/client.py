"""The Discord bot: interactions in, the core's replies out.

Everything is an interaction (slash command, button, modal), so the bot
needs no privileged intent. Each interaction becomes one neutral
:class:`Incoming`; the core runs off the event loop and its replies are
rendered by :mod:`adapters.discord.render`.

Who sees a reply:

- In a DM nothing is ephemeral (ephemeral messages vanish, and nobody else
  is there anyway).
- In a server, a slash command answers in the channel when the core allows
  the command in groups (``Command.group``); personal commands (practice,
  progress, settings…) answer only the caller (ephemeral).
- In a server, what follows a button press or a typed answer is ephemeral
  (feedback never spoils a question for others; "that button belongs to
  someone else" goes only to the clicker), except a group quiz (``Poll``),
  which is for everyone. The pressed message itself is edited in place.
- ``Text.private`` is always ephemeral in a server.

Where: ``chat_id`` is the DM channel id in a DM, and the *server* (guild) id
in a server: a server is one group for the core, whichever channel it was
used in; ``chat_title`` is the server's name.

Every slash command is deferred at once (the core may take more than the
three seconds Discord allows); buttons and modals get a silent "deferred
update", so nothing is left "thinking". A failure answers the person with
a short apology and is logged with the interaction's id, never its token.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.commands import add_commands
from adapters.discord.endpoints import use_endpoints
from adapters.discord.render import DiscordMessage, render, render_edit
from adapters.discord.views import DYNAMIC_ITEMS, typed_answer
from core.chat.dispatcher import COMMANDS, SORRY
from core.chat.messages import Edit, Incoming, Outgoing, Poll, Text

log = logging.getLogger(__name__)

GONE = "That command no longer exists. Type / to see the current ones, or use /help."
PRIVATE_NOTE = "📬 I've sent you my reply privately."
PUBLIC_NOTE = "📣 My reply is below, for everyone here."


class Handles(Protocol):
    """Anything with the dispatcher's ``handle`` (the real one, or a test stub)."""

    def handle(self, incoming: Incoming) -> list[Outgoing]: ...


def intents() -> discord.Intents:
    """Guilds only: interactions need no other intent, and no privileged one."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def incoming_for(interaction: discord.Interaction, **what: Any) -> Incoming:
    """The neutral event for an interaction (``what``: command/args, action, text…)."""
    user = interaction.user
    if interaction.guild_id is not None:
        guild = interaction.guild
        # Discord resolves the member's permissions into the interaction; the
        # role-based guild permissions are a fallback (roles may not be cached).
        perms = getattr(user, "guild_permissions", None)
        admin = interaction.permissions.manage_guild or bool(perms and perms.manage_guild)
        where: dict[str, Any] = {
            "chat_id": str(interaction.guild_id),
            "chat_kind": "group",
            "chat_title": getattr(guild, "name", None),
            "is_chat_admin": admin,
        }
    else:
        where = {"chat_id": str(interaction.channel_id or user.id), "chat_kind": "dm"}
    return Incoming(
        "discord",
        str(user.id),
        event_id=str(interaction.id),
        username=user.name,
        display_name=user.display_name,
        **where,
        **what,
    )


async def answer_sorry(interaction: discord.Interaction, error: BaseException, what: str) -> None:
    """Log a failure with its context and tell the person, instead of leaving them hanging."""
    log.error(
        "discord %s interaction %s from user %s failed",
        what,
        interaction.id,
        getattr(interaction.user, "id", "?"),
        exc_info=error,
    )
    await _say(interaction, SORRY)


async def _say(interaction: discord.Interaction, text: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except Exception as exc:  # expired, or the client is closing: nothing more to do
        log.warning("could not answer discord interaction %s: %r", interaction.id, exc)


class Replies:
    """Sends the core's replies to one deferred interaction, in order.

    ``thinking``: a slash command's deferred "thinking" message, which the
    first reply of the same visibility replaces. For a button or a modal
    the original message is the pressed one, which an :class:`Edit` replaces.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        *,
        thinking: bool,
        private_by_default: bool,
    ) -> None:
        self.interaction = interaction
        self.in_guild = interaction.guild_id is not None
        self.thinking = thinking
        self.private_by_default = private_by_default and self.in_guild

    def _private(self, msg: Outgoing, rendered: DiscordMessage) -> bool:
        if not self.in_guild or isinstance(msg, Poll):
            return False
        return rendered.private or self.private_by_default

    async def send(self, out: list[Outgoing], retire_pressed: bool = False) -> None:
        """Send ``out``; ``retire_pressed``: drop the pressed message's buttons when
        the core moved on to a new question without editing it (a typed answer)."""
        pressed = self.interaction.message is not None
        if (
            retire_pressed
            and pressed
            and _moved_on(out)
            and not any(isinstance(m, Edit) for m in out)
        ):
            await self.interaction.edit_original_response(view=None)
        for msg in out:
            if isinstance(msg, Edit) and not self.thinking:
                await self.interaction.edit_original_response(**render_edit(msg).edit_kwargs())
                continue
            if isinstance(msg, Edit):  # nothing was pressed: show it as a message
                msg = Text(msg.text, buttons=msg.buttons)
            for rendered in render(msg):
                await self._deliver(rendered, self._private(msg, rendered))
        if self.thinking:  # the core had nothing to say (a redelivered event)
            await self.interaction.delete_original_response()

    async def _deliver(self, rendered: DiscordMessage, private: bool) -> None:
        if self.thinking:
            self.thinking = False
            if private == self.private_by_default or not self.in_guild:
                await self.interaction.edit_original_response(**rendered.edit_kwargs())
                return
            # The visibility differs from the deferred one, which cannot change: say
            # where the reply is, and send it as a follow-up of the right kind.
            note = PRIVATE_NOTE if private else PUBLIC_NOTE
            await self.interaction.edit_original_response(content=note)
        await self.interaction.followup.send(**rendered.send_kwargs(), ephemeral=private, wait=True)


def _moved_on(out: list[Outgoing]) -> bool:
    """Whether a typed answer was taken: anything but a lone plain text (a correction
    such as "use digits", after which the same question stays open)."""
    if not out:
        return False
    lone = len(out) == 1 and isinstance(out[0], Text) and not out[0].buttons
    return not lone


class DiscordChat:
    """Turns interactions into core events and the core's replies into messages."""

    def __init__(self, dispatcher: Handles) -> None:
        self.dispatcher = dispatcher

    async def _run(self, incoming: Incoming) -> list[Outgoing]:
        return await asyncio.to_thread(self.dispatcher.handle, incoming)

    async def on_command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        """A slash command: defer, ask the core, answer."""
        try:
            cmd = COMMANDS.get(name)
            private = interaction.guild_id is not None and not (cmd is not None and cmd.group)
            await interaction.response.defer(ephemeral=private, thinking=True)
            out = await self._run(incoming_for(interaction, command=name, args=args.strip()))
            await Replies(interaction, thinking=True, private_by_default=private).send(out)
        except Exception as exc:
            await answer_sorry(interaction, exc, f"/{name}")

    async def _component(self, interaction: discord.Interaction, what: str, **event: Any) -> None:
        try:
            await interaction.response.defer()  # a silent "deferred update"
            out = await self._run(incoming_for(interaction, **event))
            replies = Replies(interaction, thinking=False, private_by_default=True)
            await replies.send(out, retire_pressed="text" in event)
        except Exception as exc:
            await answer_sorry(interaction, exc, what)

    async def on_action(self, interaction: discord.Interaction, payload: str) -> None:
        """A core button: its payload goes to the core, which checks it against the clicker."""
        await self._component(interaction, "button", action=payload)

    async def on_typed(self, interaction: discord.Interaction, text: str) -> None:
        """A typed answer from the modal."""
        await self._component(interaction, "modal", text=text)

    async def on_poll(self, interaction: discord.Interaction, ref: str, option: int) -> None:
        """An answer to a group quiz."""
        await self._component(interaction, "poll", poll_ref=ref, poll_option=option)

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            await _say(interaction, GONE)  # a command synced earlier and since removed
            return
        await answer_sorry(interaction, error, "slash command")


class _SatPrep:
    """What both client classes share: the command tree, the buttons, the bridge."""

    satprep: DiscordChat
    tree: app_commands.CommandTree
    command_paths: list[str]
    ask_gateway: bool

    def _install(self, dispatcher: Handles, ask_gateway: bool) -> None:
        self.satprep = DiscordChat(dispatcher)
        self.tree = app_commands.CommandTree(self)  # type: ignore[arg-type]
        self.command_paths = add_commands(self.tree, self.satprep.on_command)
        self.tree.error(self.satprep.on_tree_error)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # type: ignore[attr-defined]
        self.ask_gateway = ask_gateway

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Typed answers from the modal, whichever process opened it."""
        text = typed_answer(interaction)
        if text is not None:
            await self.satprep.on_typed(interaction, text)


class SatPrepClient(_SatPrep, discord.Client):
    async def setup_hook(self) -> None:
        if self.ask_gateway:  # no gateway configured: ask the REST API, as Discord advises
            _, url, _ = await self.http.get_bot_gateway()
            use_endpoints(discord.http.Route.BASE, url)


class SatPrepShardedClient(_SatPrep, discord.AutoShardedClient):
    """Sharded: discord.py asks ``GET /gateway/bot`` for the shard count and URL."""


def build_client(settings: Any, dispatcher: Handles, **options: Any) -> discord.Client:
    """The bot client (not started), sharded when ``settings.discord.sharded``.

    ``options`` go to discord.py's client (e.g. ``guild_ready_timeout``).
    """
    conf = settings.discord
    use_endpoints(conf.api_url, conf.gateway_url)
    kw: dict[str, Any] = {"intents": intents(), **options}
    if conf.application_id:
        kw["application_id"] = int(conf.application_id)
    client = SatPrepShardedClient(**kw) if conf.sharded else SatPrepClient(**kw)
    client._install(dispatcher, ask_gateway=not conf.gateway_url)
    return client


def token_of(settings: Any) -> str:
    if settings.discord.token is None:
        raise SystemExit("SATPREP_DISCORD_TOKEN is not set: the Discord bot needs its token")
    return str(settings.discord.token.get_secret_value())


async def serve(settings: Any, dispatcher: Handles) -> None:
    """Run the bot inside a running event loop until cancelled; the client is closed."""
    client = build_client(settings, dispatcher)
    try:
        await client.start(token_of(settings))
    finally:
        if not client.is_closed():
            await client.close()


def run(settings: Any, dispatcher: Handles) -> None:
    """Run the Discord bot until stopped (blocking); logging stays as ``bot`` set it up."""
    build_client(settings, dispatcher).run(token_of(settings), log_handler=None)


async def sync_commands_async(settings: Any, guild_id: int | str | None = None) -> list[str]:
    """Register the slash commands with Discord (globally, or in one server at once)."""
    use_endpoints(settings.discord.api_url, settings.discord.gateway_url)
    client = discord.Client(intents=intents())
    tree = app_commands.CommandTree(client)

    async def never(interaction: discord.Interaction, name: str, args: str) -> None:
        raise AssertionError("a sync-only tree does not run commands")

    add_commands(tree, never)
    async with client:
        await client.login(token_of(settings))
        guild = discord.Object(int(guild_id)) if guild_id else None
        if guild is not None:  # a test server: the same commands, registered there only
            tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
    return sorted(c.name for c in synced)


def sync_commands(settings: Any, guild_id: int | str | None = None) -> list[str]:
    """Blocking :func:`sync_commands_async`, for the CLI (``satprep discord sync``)."""
    return asyncio.run(sync_commands_async(settings, guild_id))
