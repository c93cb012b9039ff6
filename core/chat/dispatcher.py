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

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from core.chat.errors import UserError
from core.chat.messages import Incoming, Outgoing, Text
from core.chat.tokens import Pressed, resolve, store_pending
from core.db.engine import Database
from core.db.models import Identity, InboundEvent, User
from core.db.plain import write_dirty
from core.db.types import utcnow

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on our side and nothing was saved. Please try again."
# The connection to the database dropped while the event was being committed:
# the retry found it stored (SAVED_REPLY_LOST), or could not tell (UNSURE).
SAVED_REPLY_LOST = (
    "Got it, that was saved, but my connection to the database dropped before I could "
    "answer. Sorry! Send /help if you're not sure where you were."
)
UNSURE = (
    "Sorry, my connection to the database dropped while I was saving that, so I can't "
    "tell whether it was saved. Please try again in a moment."
)
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
        what = incoming.command or ("action" if incoming.action else "text")
        try:
            return self._handle(incoming)
        except _Duplicate as dup:
            # A redelivered event is ignored; but when this very call lost its
            # connection during COMMIT and the retry found the event stored, the
            # person never saw the reply: tell them it was saved.
            return [Text(SAVED_REPLY_LOST)] if dup.args and dup.args[0] else []
        except UserError as exc:
            # A refused button press is shown only to the presser where the
            # platform can (a group must not see someone's stale click).
            return [Text(exc.message, private=incoming.action is not None)]
        except _Unsure as exc:
            log.warning(
                "database connection lost while committing %s event from %s:%s (%s)",
                what, incoming.platform, incoming.user_id, _first_line(exc.__cause__),
            )  # fmt: skip
            return [Text(UNSURE)]
        except DBAPIError as exc:
            # Lost or refused connections (a restart, a failover) come in bursts
            # and say all there is in their first line; anything else is a bug.
            if exc.connection_invalidated or (
                isinstance(exc, OperationalError) and exc.statement is None
            ):
                log.warning(
                    "database unavailable for %s event from %s:%s: %s",
                    what, incoming.platform, incoming.user_id, _first_line(exc),
                )  # fmt: skip
            else:
                log.exception(
                    "handling %s event from %s:%s failed", what, incoming.platform, incoming.user_id
                )
            return [Text(SORRY)]
        except Exception:
            log.exception(
                "handling %s event from %s:%s failed", what, incoming.platform, incoming.user_id
            )
            return [Text(SORRY)]

    def _handle(self, incoming: Incoming) -> list[Outgoing]:
        """Run the event in one transaction, again once after each of two failures:

        * an :class:`IntegrityError`: two first contacts of one person raced
          to create the user; the second attempt finds the row the first made;
        * a lost connection (SQLAlchemy reports ``connection_invalidated``: a
          pooled connection the server closed, e.g. after a restart, with or
          without ``pool_pre_ping``). Before COMMIT the transaction died with
          the connection, so a fresh attempt is safe. During COMMIT the outcome
          is unknown: the attempt is repeated only when the event has an id,
          whose InboundEvent row then tells (stored: :data:`SAVED_REPLY_LOST`);
          without an id it could be applied twice, so the person is told
          (:data:`UNSURE`).
        """
        raced = reconnected = uncertain = False
        while True:
            committing = False
            try:
                with self.app.db.uow() as s:
                    now = self.app.clock()
                    if incoming.event_id is not None:
                        try:
                            s.connection().execute(
                                _INBOUND,
                                {
                                    "platform": incoming.platform,
                                    "event_id": incoming.event_id,
                                    "received_at": now,
                                },
                            )
                        except IntegrityError:
                            raise _Duplicate(uncertain) from None
                        uncertain = False  # not stored before: the lost COMMIT did not land
                    identity = _resolve_identity(s, incoming, now)
                    ctx = Context(s, identity.user, identity, incoming, now, self.app)
                    try:
                        out = _route(ctx)
                    except UserError:
                        s.rollback()
                        raise
                    store_pending(s)
                    write_dirty(s)  # changed rows as plain UPDATEs: the flush has nothing left
                    s.flush()  # what is left to send is the COMMIT itself
                    committing = True
                return out
            except DBAPIError as exc:
                if exc.connection_invalidated and not reconnected:
                    if committing and incoming.event_id is None:
                        raise _Unsure() from exc
                    reconnected = True
                    uncertain = uncertain or committing
                    log.warning("database connection lost (%s); retrying once", _first_line(exc))
                    continue
                if isinstance(exc, IntegrityError) and not raced:
                    raced = True
                    continue
                if uncertain or (committing and exc.connection_invalidated):
                    raise _Unsure() from exc
                raise


class _Duplicate(Exception):
    pass


class _Unsure(Exception):
    """The connection was lost during COMMIT and the outcome could not be learned."""


def _first_line(exc: BaseException | None) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().split("\n", 1)[0][:200]


def _too_long(incoming: Incoming) -> bool:
    return len(incoming.text or "") > MAX_INPUT or len(incoming.args) > MAX_INPUT


_INBOUND = insert(InboundEvent.__table__)
"""The event's row (unique per platform and id): a plain insert, built once."""

_IDENTITY = (
    select(Identity)
    .options(joinedload(Identity.user))  # one round trip for both rows
    .where(
        Identity.platform == bindparam("platform"),
        Identity.external_id == bindparam("external_id"),
    )
)
"""Built once: every event runs it (building a statement costs as much as running it)."""


def _resolve_identity(s: Session, incoming: Incoming, now: datetime) -> Identity:
    identity = s.scalar(_IDENTITY, {"platform": incoming.platform, "external_id": incoming.user_id})
    if identity is None:
        user = User(
            display_name=(incoming.display_name or incoming.username or "")[:64], created_at=now
        )
        s.add(user)
        s.flush()
        identity = Identity(
            user=user,  # set, so that reading it costs no query
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
