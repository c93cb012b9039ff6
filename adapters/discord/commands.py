"""The core's command registry as Discord application (slash) commands.

The mapping rule, so a new core command needs no adapter change:

- Every visible core command (``COMMANDS``, hidden aliases skipped) becomes
  a slash command of the same name with one optional string option
  ``args`` (what follows the command in a typed chat), described by the
  command's usage.
- A core command named ``<group>_<sub>`` whose ``<group>`` is a key of
  :data:`GROUPS` becomes the subcommand ``/<group> <sub>`` (``group_join`` →
  ``/group join``, ``tutor_ask`` → ``/tutor ask``). A core command named
  exactly ``<group>`` then becomes ``/<group> <GROUPS[group].bare>``
  (Discord forbids a command and a group of one name). A group with no
  ``<group>_…`` command stays a plain command.
- ``/practice`` (and any command in :data:`AUTOCOMPLETE`) suggests topics as
  you type: sections, domains and skills by name or code.

Commands are registered with Discord only by :func:`sync_commands` (the CLI
``satprep discord sync``), never on every start: a sync is rate limited and
Discord caches commands anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord
from discord import app_commands

from core.chat.dispatcher import COMMANDS, Command
from core.content.taxonomy import DOMAINS, SECTION_NAMES, SKILLS

DESCRIPTION_LIMIT = 100
MAX_CHOICES = 25


@dataclass(frozen=True)
class Group:
    description: str
    bare: str  # the subcommand a core command named exactly like the group becomes


GROUPS: dict[str, Group] = {
    "group": Group("Study groups in this server", "show"),
    "tutor": Group("The AI tutor", "ask"),
}

OnCommand = Callable[[discord.Interaction, str, str], Awaitable[None]]


def slash_path(name: str, names: set[str] | None = None) -> tuple[str | None, str]:
    """``(group, subcommand)`` or ``(None, name)`` for a core command name."""
    names = set(names if names is not None else visible_commands())
    head, sep, rest = name.partition("_")
    if sep and head in GROUPS and rest:
        return head, rest
    if name in GROUPS and any(n.startswith(name + "_") for n in names):
        return name, GROUPS[name].bare
    return None, name


def visible_commands() -> dict[str, Command]:
    """The commands /help lists (aliases and hidden ones left out)."""
    import core.chat.handlers  # noqa: F401  (importing registers them; Dispatcher does too)

    return {name: cmd for name, cmd in COMMANDS.items() if not cmd.hidden}


def topic_choices(current: str) -> list[app_commands.Choice[str]]:
    """Sections, domains and skills whose name or code contains what was typed."""
    typed = current.strip().lower()
    options: list[tuple[str, str]] = [
        (f"{SECTION_NAMES[code]} (whole section)", code) for code in SECTION_NAMES
    ]
    options += [(f"{d.name} ({SECTION_NAMES[d.section]})", d.code) for d in DOMAINS.values()]
    options += [(f"{k.name} ({DOMAINS[k.domain].name})", k.code) for k in SKILLS.values()]
    hits = [
        app_commands.Choice(name=label[:DESCRIPTION_LIMIT], value=code)
        for label, code in options
        if not typed or typed in label.lower() or typed in code
    ]
    return hits[:MAX_CHOICES]


async def _topics(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return topic_choices(current)


AUTOCOMPLETE = {"practice": _topics}


def _describe(text: str) -> str:
    text = text.strip() or "-"
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def _slash_command(cmd: Command, name: str, on_command: OnCommand) -> app_commands.Command:
    core_name = cmd.name

    async def callback(interaction: discord.Interaction, args: str | None = None) -> None:
        await on_command(interaction, core_name, args or "")

    usage = f"Optional: {cmd.usage}" if cmd.usage else "Optional: anything you'd type after it"
    callback = app_commands.describe(args=_describe(usage))(callback)
    slash = app_commands.Command(name=name, description=_describe(cmd.help), callback=callback)
    if core_name in AUTOCOMPLETE:
        slash.autocomplete("args")(AUTOCOMPLETE[core_name])
    return slash


def add_commands(tree: app_commands.CommandTree, on_command: OnCommand) -> list[str]:
    """Add a slash command per visible core command to ``tree``; return their paths."""
    commands = visible_commands()
    groups: dict[str, app_commands.Group] = {}
    paths = []
    for core_name, cmd in sorted(commands.items()):
        group, name = slash_path(core_name, set(commands))
        slash = _slash_command(cmd, name, on_command)
        if group is None:
            tree.add_command(slash)
            paths.append(name)
            continue
        if group not in groups:
            groups[group] = app_commands.Group(name=group, description=GROUPS[group].description)
            tree.add_command(groups[group])
        groups[group].add_command(slash)
        paths.append(f"{group} {name}")
    return paths
