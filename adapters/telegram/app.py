"""The Telegram bot: updates in, the core's replies out, in polling or webhook mode.

Each handler turns an update into a neutral :class:`Incoming`, runs the
core's dispatcher off the event loop and renders the replies. The wiring
is at the bottom: :func:`build_application` registers the handlers,
:func:`running` starts one in the configured mode inside an event loop the
caller owns, and :func:`run` is the blocking entry point for one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    Chat,
    Update,
    User,
)
from telegram.constants import FloodLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from adapters.telegram.render import BOLD, PollRefs, Renderer, Source
from adapters.telegram.request import AiohttpRequest
from adapters.telegram.sender import TelegramSender, record_unreachable
from core.chat.dispatcher import COMMANDS, App, Dispatcher
from core.chat.messages import ChatKind, Incoming, Outgoing, Text

if TYPE_CHECKING:
    from bot.settings import Settings, TelegramSettings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.POLL_ANSWER]
SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
ALERT_LIMIT = 200
REJECTED = (
    "the Bot API rejected telegram.token (env SATPREP_TELEGRAM_TOKEN): check it with BotFather"
)


MAX_DOCUMENT_BYTES = 1_000_000


class TelegramConfigError(Exception):
    """The Telegram settings cannot work; the message names the key to fix."""


def chat_kind(chat: Chat) -> ChatKind:
    return "group" if chat.type in (Chat.GROUP, Chat.SUPERGROUP) else "dm"


def _who(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.full_name}


def _where(chat: Chat) -> dict[str, Any]:
    kind = chat_kind(chat)
    return {
        "chat_id": str(chat.id),
        "chat_kind": kind,
        "chat_title": chat.title if kind == "group" else None,
    }


def _plain(text: str) -> str:
    return BOLD.sub(r"\1", text)


class TelegramHandlers:
    """The update handlers, sharing the dispatcher, the renderer and the poll map."""

    def __init__(self, dispatcher: Dispatcher, renderer: Renderer) -> None:
        self.dispatcher = dispatcher
        self.renderer = renderer
        self.token = ""  # set by build_application; only used to redact logs

    async def dispatch(self, incoming: Incoming) -> list[Outgoing]:
        # The core is synchronous SQLAlchemy: keep it off the event loop.
        return await asyncio.to_thread(self.dispatcher.handle, incoming)

    async def reply(
        self, chat_id: int | str, out: list[Outgoing], source: Source | None, group: bool
    ) -> None:
        try:
            await self.renderer.render(chat_id, out, source=source, is_group=group)
        except Forbidden:
            app = self.dispatcher.app
            await record_unreachable(app.db, str(chat_id), app.clock())
            log.info("telegram: chat %s blocked the bot while we replied", chat_id)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command or free text (in groups only what privacy mode lets through)."""
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot or message.text is None:
            return
        where = _where(message.chat)
        admin = False
        if where["chat_kind"] == "group" and message.text.startswith("/"):
            admin = await self.is_admin(context, message.chat.id, user.id)
        incoming = Incoming.parse(
            PLATFORM,
            str(user.id),
            message.text,
            event_id=str(update.update_id),
            is_chat_admin=admin,
            **_who(user),
            **where,
        )
        out = await self.dispatch(incoming)
        await self.reply(message.chat.id, out, None, incoming.chat_kind == "group")

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A file in a private chat (e.g. answers made offline, for /sync): its
        caption is the command (default /sync), its bytes the attachment."""
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot or message.document is None:
            return
        doc = message.document
        if doc.file_size is not None and doc.file_size > MAX_DOCUMENT_BYTES:
            await self.reply(
                message.chat.id, [Text("That file is too large: send at most 1 MB.")], None, False
            )
            return
        data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
        incoming = Incoming.parse(
            PLATFORM,
            str(user.id),
            message.caption or "/sync",
            event_id=str(update.update_id),
            attachment=data,
            **_who(user),
            **_where(message.chat),
        )
        out = await self.dispatch(incoming)
        await self.reply(message.chat.id, out, None, False)

    async def is_admin(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
    ) -> bool:
        """Whether the sender administers the group (asked per group command:
        group admins configure the question of the day and moderate posts)."""
        try:
            member = await context.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info(
                "telegram: could not check admin rights in %s: %s", chat_id, type(exc).__name__
            )
            return False
        return member.status in ("administrator", "creator")

    async def on_other_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command no CommandHandler took: the core says it does not know it."""
        message = update.message
        if message is None or message.text is None:
            return
        head = message.text.split(maxsplit=1)[0]
        _, at, addressee = head.partition("@")
        if at and addressee.lower() != (context.bot.username or "").lower():
            return  # meant for another bot in the group
        await self.on_message(update, context)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: the payload goes to the core, which checks it against the caller."""
        query = update.callback_query
        if query is None:
            return
        answered = False
        try:
            message = query.message
            if message is None:  # inline-mode buttons: we never send those
                return
            incoming = Incoming(
                PLATFORM,
                str(query.from_user.id),
                action=query.data or "",
                event_id=str(update.update_id),
                **_who(query.from_user),
                **_where(message.chat),
            )
            out = await self.dispatch(incoming)
            if (
                len(out) == 1
                and isinstance(out[0], Text)
                and out[0].private
                and not out[0].buttons
                and len(_plain(out[0].text)) <= ALERT_LIMIT
            ):
                # Only the presser sees it: no message in a shared chat.
                await query.answer(_plain(out[0].text), show_alert=True)
                answered = True
                return
            source = Source(message.chat.id, message.message_id)
            await self.reply(message.chat.id, out, source, incoming.chat_kind == "group")
        finally:
            if not answered:
                try:
                    await query.answer()  # stop the button's spinner, always
                except BadRequest as exc:  # too old, or answered already
                    log.debug("telegram: callback answer failed: %s", exc)

    async def on_poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A vote in a group quiz: the core hears its own ref and the option's index."""
        answer = update.poll_answer
        if answer is None or answer.user is None or not answer.option_ids:
            return  # an anonymous voter chat, or a retracted vote
        found = self.renderer.poll_refs.get(answer.poll_id)
        if found is None:
            # Posted by another process (a restart, another webhook worker, the
            # scheduler): the core knows the poll by the id the sender recorded.
            ref, chat_id = answer.poll_id, str(answer.user.id)
        else:
            ref, chat_id = found
        group = chat_id.startswith("-")
        incoming = Incoming(
            PLATFORM,
            str(answer.user.id),
            chat_id,
            chat_kind="group" if group else "dm",
            poll_ref=ref,
            poll_option=answer.option_ids[0],
            event_id=str(update.update_id),
            **_who(answer.user),
        )
        out = await self.dispatch(incoming)
        if group:
            # The native quiz already shows the voter whether they were right;
            # a private reply in the group would give the answer away to all.
            out = [m for m in out if not (isinstance(m, Text) and m.private)]
        await self.reply(chat_id, out, None, group)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with context (never the token), and tell the person something went wrong."""
        error = context.error
        update_id = getattr(update, "update_id", None)
        chat = update.effective_chat if isinstance(update, Update) else None
        details = "".join(traceback.format_exception(error)) if error else "no exception"
        if self.token:
            details = details.replace(self.token, "<token>")
        log.error(
            "telegram: update %s in chat %s failed:\n%s",
            update_id,
            chat.id if chat else None,
            details,
        )
        if chat is not None:
            try:
                await context.bot.send_message(chat.id, SORRY)
            except TelegramError as exc:
                log.warning("telegram: could not tell chat %s about the failure: %s", chat.id, exc)


def command_menu() -> tuple[list[BotCommand], list[BotCommand]]:
    """(private chats, group chats) menus from the core's registry, hidden ones left out."""
    private, group = [], []
    for name, cmd in COMMANDS.items():
        if cmd.hidden or not COMMAND_NAME.match(name):
            continue
        entry = BotCommand(name, (cmd.help or name)[:256])
        private.append(entry)
        if cmd.group:
            group.append(entry)
    return private, group


async def set_command_menu(application: Application) -> None:
    """Publish the command menu (called at start-up)."""
    private, group = command_menu()
    await application.bot.set_my_commands(private, scope=BotCommandScopeDefault())
    if group:
        await application.bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())


def _section(settings: Settings | TelegramSettings) -> TelegramSettings:
    return getattr(settings, "telegram", settings)  # type: ignore[return-value]


def file_url(api_url: str) -> str:
    """``…/bot`` → ``…/file/bot`` (where Telegram serves files)."""
    base, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{base}/file/{tail}" if sep else api_url + "/file"


class RedactToken(logging.Filter):
    """Replaces the token in log records: request logs show the URL, which holds it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        return True


# Loggers that print request URLs (``…/bot<token>/sendMessage``).
URL_LOGGERS = (
    "adapters.telegram.request",
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
)


def redact_token_in_logs(token: str) -> None:
    """Install :class:`RedactToken` once per token on the loggers that see URLs."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) and f.token == token for f in logger.filters):
            logger.addFilter(RedactToken(token))


def build_application(
    settings: Settings | TelegramSettings,
    dispatcher: Dispatcher,
    *,
    concurrent_updates: int = 8,
    rate_limit_retries: int = 3,
    poll_refs: PollRefs | None = None,
    overall_rate: float = FloodLimit.MESSAGES_PER_SECOND,
) -> Application:
    """The python-telegram-bot Application with every handler registered.

    ``concurrent_updates`` bounds the updates handled at once (each holds a
    worker thread of the core while it runs).

    ``overall_rate`` caps the requests to chats per second of this process
    (Telegram's ≈30 messages/s per bot); several webhook workers sharing one
    token share that budget, so each could get its part. 0 lifts the cap.
    """
    tg = _section(settings)
    if tg.token is None or not tg.token.get_secret_value():
        raise TelegramConfigError("telegram.token (env SATPREP_TELEGRAM_TOKEN) is not set")
    token = tg.token.get_secret_value()
    redact_token_in_logs(token)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(tg.api_url)
        .base_file_url(file_url(tg.api_url))
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .rate_limiter(AIORateLimiter(overall_max_rate=overall_rate, max_retries=rate_limit_retries))
        .concurrent_updates(concurrent_updates)
        .updater(None)  # updates come through running(): confirmed once handled
        .post_init(set_command_menu)
        .build()
    )
    handlers = TelegramHandlers(dispatcher, Renderer(application.bot, poll_refs or PollRefs()))
    handlers.token = token
    application.bot_data["satprep"] = handlers

    new_messages = filters.UpdateType.MESSAGE
    names = sorted(name for name in COMMANDS if COMMAND_NAME.match(name))
    application.add_handler(CommandHandler(names, handlers.on_message, filters=new_messages))
    application.add_handler(
        MessageHandler(new_messages & filters.COMMAND, handlers.on_other_command)
    )
    application.add_handler(
        MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, handlers.on_message)
    )
    application.add_handler(
        MessageHandler(
            new_messages & filters.Document.ALL & filters.ChatType.PRIVATE, handlers.on_document
        )
    )
    application.add_handler(CallbackQueryHandler(handlers.on_callback))
    application.add_handler(PollAnswerHandler(handlers.on_poll_answer))
    application.add_error_handler(handlers.on_error)
    return application


def sender_for(application: Application) -> TelegramSender:
    """A push sender sharing the application's bot (and its rate limiter) and poll map."""
    handlers: TelegramHandlers = application.bot_data["satprep"]
    app = handlers.dispatcher.app
    return TelegramSender(
        application.bot, app.db, poll_refs=handlers.renderer.poll_refs, clock=app.clock
    )


def build_sender(settings: Settings | TelegramSettings, app: App) -> TelegramSender:
    """A push sender with a bot of its own, for a process without the Application
    (``satprep scheduler``). Use it from one event loop; ``await sender.close()`` at the end."""
    tg = _section(settings)
    if tg.token is None or not tg.token.get_secret_value():
        raise TelegramConfigError("telegram.token (env SATPREP_TELEGRAM_TOKEN) is not set")
    redact_token_in_logs(tg.token.get_secret_value())
    bot = ExtBot(
        tg.token.get_secret_value(),
        base_url=tg.api_url,
        base_file_url=file_url(tg.api_url),
        request=AiohttpRequest(),
        # No retries inside a send: a 429 reaches the outbox as RetryLater at
        # once, and the outbox waits retry_after for every row of the platform.
        rate_limiter=AIORateLimiter(max_retries=0),
    )
    return TelegramSender(bot, app.db, clock=app.clock)


def webhook_options(settings: Settings | TelegramSettings) -> dict[str, Any]:
    """Arguments of ``start_webhook``/``run_webhook`` from the settings, checked."""
    tg = _section(settings)
    if not tg.webhook_url:
        raise TelegramConfigError(
            "telegram.webhook_url (env SATPREP_TELEGRAM_WEBHOOK_URL) must be set in webhook mode"
        )
    secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else ""
    if not SECRET.match(secret):
        raise TelegramConfigError(
            "telegram.webhook_secret (env SATPREP_TELEGRAM_WEBHOOK_SECRET) must be set in "
            "webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return {
        "listen": tg.webhook_listen,
        "port": tg.webhook_port,
        "url_path": urlsplit(tg.webhook_url).path.strip("/"),
        "webhook_url": tg.webhook_url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


@asynccontextmanager
async def running(
    application: Application,
    settings: Settings | TelegramSettings,
    poll_timeout: float = 30.0,
) -> AsyncIterator[Application]:
    """Run ``application`` in the configured mode inside the caller's event loop."""
    tg = _section(settings)
    options = webhook_options(tg) if tg.mode == "webhook" else None
    try:
        await application.initialize()
    except InvalidToken:
        raise TelegramConfigError(REJECTED) from None
    try:
        await set_command_menu(application)
        await application.start()
        try:
            if options is not None:
                async with _webhook_server(application, options):
                    yield application
            else:
                async with _polling(application, poll_timeout):
                    yield application
        finally:
            await application.stop()
    finally:
        await application.shutdown()


# Updates are confirmed to Telegram only once handled. python-telegram-bot's
# Updater confirms them when they are queued (webhook: the 200 goes out at
# once; polling: the next getUpdates moves the offset past the whole batch),
# so a process killed mid-batch would lose what it had queued. Handling first
# is safe to repeat: the core drops an update whose id it has already stored.


async def _handle(application: Application, update: Update) -> None:
    """Handle one update, at most ``concurrent_updates`` at a time (the
    Application's update processor), and return when it is done."""
    await application.update_processor.process_update(update, application.process_update(update))


@asynccontextmanager
async def _webhook_server(application: Application, options: dict[str, Any]) -> AsyncIterator[None]:
    """Serve the webhook; answer 200 after the update is handled (500 if it crashed)."""
    from aiohttp import web

    secret = options["secret_token"]

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:  # not an update: nothing to redeliver
            log.warning("telegram: ignored a webhook body that is not an update")
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await _handle(application, update)
        return web.Response()

    server = web.Application(client_max_size=2**20)
    server.router.add_post("/" + options["url_path"], receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, options["listen"], options["port"]).start()
        await application.bot.set_webhook(
            url=options["webhook_url"],
            secret_token=secret,
            allowed_updates=options["allowed_updates"],
        )
        yield
    finally:
        await runner.cleanup()


@asynccontextmanager
async def _polling(application: Application, timeout: float) -> AsyncIterator[None]:
    """Long polling that moves the offset past a batch only when it is handled.

    A batch is handled concurrently across chats and in order within a chat.
    """
    await application.bot.delete_webhook()
    stop = asyncio.Event()

    async def handle_chat(updates: list[Update]) -> None:
        for update in updates:
            await _handle(application, update)

    async def loop() -> None:
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                updates = await application.bot.get_updates(
                    offset=offset,
                    timeout=int(timeout),
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=timeout + 10,
                )
                failures = 0
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.warning("telegram: getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            by_chat: dict[object, list[Update]] = {}
            for update in updates:
                chat = update.effective_chat.id if update.effective_chat else update.update_id
                by_chat.setdefault(chat, []).append(update)
            await asyncio.gather(*(handle_chat(batch) for batch in by_chat.values()))
            if updates:
                offset = max(u.update_id for u in updates) + 1

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
