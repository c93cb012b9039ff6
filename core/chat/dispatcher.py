"""The dispatcher: one incoming event → one unit of work → outgoing messages.

Commands register themselves with :func:`command`; button tokens route by
their kind with :func:`action`; free text goes to whatever the user's state
expects (an onboarding answer, a typed answer to the current question).
Every event runs in one transaction: a :class:`UserError` or a crash rolls
it back, so bad input changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from core.chat.errors import UserError
from core.chat.messages import Incoming, Outgoing, Text
from core.chat.tokens import Pressed, resolve
from core.db.engine import Database
from core.db.models import Identity, InboundEvent, User
from core.db.types import utcnow

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on our side and nothing was saved. Please try again."
MAX_INPUT = 4000


@dataclass
class Context:
    """What a handler works with: the transaction, the caller and the event."""

    s: Session
    user: User
    identity: Identity
    incoming: Incoming
    now: datetime
    app: App

    @property
    def args(self) -> str:
        return self.incoming.args


Handler = Callable[[Context], list[Outgoing]]
ActionHandler = Callable[[Context, Pressed], list[Outgoing]]
TextHandler = Callable[[Context, str], list[Outgoing] | None]


@dataclass(frozen=True)
class Command:
    """A chat command as ``/help`` lists it."""

    name: str
    handler: Handler
    help: str
    usage: str = ""
    group: bool = False  # allowed in group chats
    section: str = "Practice"
    hidden: bool = False


COMMANDS: dict[str, Command] = {}
ACTIONS: dict[str, ActionHandler] = {}
TEXT_ROUTES: list[TextHandler] = []
POLL_ROUTES: list[Handler] = []


def command(
    name: str,
    help: str,
    usage: str = "",
    group: bool = False,
    section: str = "Practice",
    aliases: tuple[str, ...] = (),
    hidden: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a command handler under ``name`` (and its aliases)."""

    def register(fn: Handler) -> Handler:
        cmd = Command(name, fn, help, usage, group, section, hidden)
        COMMANDS[name] = cmd
        for alias in aliases:
            COMMANDS[alias] = Command(alias, fn, help, usage, group, section, hidden=True)
        return fn

    return register


def action(kind: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register the handler of button tokens of ``kind``."""

    def register(fn: ActionHandler) -> ActionHandler:
        ACTIONS[kind] = fn
        return fn

    return register


def poll_route(fn: Handler) -> Handler:
    """Register the handler of answers to group quiz polls (``Incoming.poll_ref``)."""
    POLL_ROUTES.append(fn)
    return fn


def text_route(fn: TextHandler) -> TextHandler:
    """Register a free-text handler; it returns None when the text is not for it."""
    TEXT_ROUTES.append(fn)
    return fn


@dataclass
class App:
    """The dependencies handlers need, built once by ``bot`` (the composition root).

    ``clock`` is injectable so that tests can move time; ``services`` holds
    optional collaborators (the item bank, the AI tutor) by name.
    """

    db: Database
    clock: Callable[[], datetime] = utcnow
    services: dict[str, Any] = field(default_factory=dict)

    def service(self, name: str) -> Any:
        return self.services[name]


class Dispatcher:
    """Turns each :class:`Incoming` into replies inside one transaction."""

    def __init__(self, app: App) -> None:
        self.app = app
        _load_handlers()

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one event; never raises for bad input, and never half-commits."""
        if _too_long(incoming):
            return [Text("That message is too long for me. Please keep it under 4,000 characters.")]
        try:
            return self._handle(incoming)
        except _Duplicate:
            return []
        except UserError as exc:
            # A refused button press is shown only to the presser where the
            # platform can (a group must not see someone's stale click).
            return [Text(exc.message, private=incoming.action is not None)]
        except Exception:
            log.exception(
                "handling %s event from %s:%s failed",
                incoming.command or ("action" if incoming.action else "text"),
                incoming.platform,
                incoming.user_id,
            )
            return [Text(SORRY)]

    def _handle(self, incoming: Incoming) -> list[Outgoing]:
        for attempt in range(2):
            try:
                with self.app.db.uow() as s:
                    now = self.app.clock()
                    if incoming.event_id is not None:
                        s.add(InboundEvent(platform=incoming.platform, event_id=incoming.event_id))
                        try:
                            s.flush()
                        except IntegrityError:
                            raise _Duplicate() from None
                    identity = _resolve_identity(s, incoming, now)
                    ctx = Context(s, identity.user, identity, incoming, now, self.app)
                    try:
                        return _route(ctx)
                    except UserError:
                        s.rollback()
                        raise
            except IntegrityError:
                # Two first contacts of one person raced to create the user;
                # the second attempt finds the row the first one made.
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


class _Duplicate(Exception):
    pass


def _too_long(incoming: Incoming) -> bool:
    return len(incoming.text or "") > MAX_INPUT or len(incoming.args) > MAX_INPUT


def _resolve_identity(s: Session, incoming: Incoming, now: datetime) -> Identity:
    identity = s.scalar(
        select(Identity)
        .options(joinedload(Identity.user))  # one round trip for both rows
        .where(Identity.platform == incoming.platform, Identity.external_id == incoming.user_id)
    )
    if identity is None:
        user = User(
            display_name=(incoming.display_name or incoming.username or "")[:64], created_at=now
        )
        s.add(user)
        s.flush()
        identity = Identity(
            user_id=user.user_id,
            platform=incoming.platform,
            external_id=incoming.user_id,
            username=incoming.username,
            dm_chat_id=incoming.chat_id if incoming.chat_kind == "dm" else None,
            created_at=now,
        )
        s.add(identity)
        s.flush()
        return identity
    if incoming.chat_kind == "dm" and identity.dm_chat_id != incoming.chat_id:
        identity.dm_chat_id = incoming.chat_id
    if not identity.reachable and incoming.chat_kind == "dm":
        # They wrote to us, so they can be reached again.
        identity.reachable = True
        identity.unreachable_since = None
    if incoming.username and identity.username != incoming.username:
        identity.username = incoming.username
    return identity


def _route(ctx: Context) -> list[Outgoing]:
    incoming = ctx.incoming
    if incoming.poll_ref is not None:
        if not POLL_ROUTES:
            return []
        return POLL_ROUTES[0](ctx)
    if incoming.action is not None:
        pressed = resolve(ctx.s, incoming.action, ctx.user.user_id, ctx.now)
        handler = ACTIONS.get(pressed.row.kind)
        if handler is None:
            raise UserError(
                "That button no longer does anything. Send /help to see what you can do."
            )
        return handler(ctx, pressed)
    if incoming.command is not None:
        cmd = COMMANDS.get(incoming.command)
        if cmd is None:
            raise UserError(
                f"I don't know the command /{incoming.command[:32]}. Send /help for the list."
            )
        if incoming.chat_kind == "group" and not cmd.group:
            raise UserError(f"/{cmd.name} works in a private chat with me. Message me directly.")
        return cmd.handler(ctx)
    text = (incoming.text or "").strip()
    if incoming.chat_kind == "group":
        return []  # groups talk among themselves; only commands are for us
    for route in TEXT_ROUTES:
        out = route(ctx, text)
        if out is not None:
            return out
    return [
        Text(
            "I didn't catch that. Send /practice to get a question, or /help for everything I can do."
        )
    ]


def _load_handlers() -> None:
    """Import the modules whose decorators register commands and actions."""
    import core.chat.handlers  # noqa: F401
