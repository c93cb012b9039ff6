"""The Discord adapter (discord.py): slash commands, buttons and modals.

Entry points for ``bot``: :func:`build_client` / :func:`run` (the bot),
:func:`sync_commands` (the CLI's deliberate command sync), and
:class:`DiscordSender` / :func:`open_sender` (pushes). See docs/discord.md.
"""

from adapters.discord.client import (
    build_client,
    run,
    serve,
    sync_commands,
    sync_commands_async,
)
from adapters.discord.endpoints import reset_endpoints, use_endpoints
from adapters.discord.sender import DiscordSender, open_sender

__all__ = [
    "DiscordSender",
    "build_client",
    "open_sender",
    "reset_endpoints",
    "run",
    "serve",
    "sync_commands",
    "sync_commands_async",
    "use_endpoints",
]
