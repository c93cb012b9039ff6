"""A fake Telegram Bot API on 127.0.0.1, for end-to-end tests of the adapter.

It speaks the Bot API's HTTP (``/bot<token>/<method>``, form or multipart
parameters, ``{"ok": true, "result": …}`` answers) for the methods the
adapter uses, shaped as Bot API ``BOT_API_VERSION`` (python-telegram-bot
22.8's). It records every call, holds updates for ``getUpdates`` (offset and
long-poll timeout semantics) or posts them to the registered webhook like
Telegram does, and lets a test script failures (429 with ``retry_after``,
403 blocked, a proxy's HTML 502 page, an outage while a predicate holds, …)
and late answers (a call done, its answer held past the client's timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

BOT_API_VERSION = "10.0"  # telegram.constants.BOT_API_VERSION of python-telegram-bot 22.8

# Parameters that stay text even when they look like JSON (a typed "42").
TEXT_PARAMS = {
    "text",
    "caption",
    "question",
    "explanation",
    "url",
    "secret_token",
    "callback_query_id",
    "parse_mode",
    "explanation_parse_mode",
    "action",
    "type",
    "photo",
    "document",
    "language_code",
}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200
    result: Any = None  # what the fake answered (a sent Message as a dict, True, …)
    at: float = 0.0  # time.monotonic() when the answer was ready


@dataclass
class Failure:
    """A scripted error: the next ``times`` calls of ``method`` (matching ``when``) fail."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None
    body: str | None = None  # a raw text/html body instead of the JSON error (a proxy's page)


@dataclass
class Stall:
    """The next ``times`` calls of ``method`` do what they ask, then answer ``seconds`` late."""

    method: str
    seconds: float
    times: int = 1


class _Html(HTMLParser):
    """Telegram's HTML parse mode: allowed tags only, balanced; text + bold entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.stack: list[tuple[str, int]] = []
        self.entities: list[dict[str, Any]] = []

    @staticmethod
    def _utf16(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"'
            )
        self.stack.append((tag, self._utf16(self.text)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unmatched end tag "{tag}"')
        _, start = self.stack.pop()
        kind = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}.get(tag, tag)
        self.entities.append(
            {"type": kind, "offset": start, "length": self._utf16(self.text) - start}
        )

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _Html()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed start tag")
    return parser.text, parser.entities


class FakeBotApi:
    """The fake server. ``await start()``, point the bot at :attr:`api_url`, ``await stop()``."""

    def __init__(
        self, token: str = "123456:TEST-fake-token", username: str = "SatPrepTestBot"
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0])
        self.me = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "SAT Prep",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.stalls: list[Stall] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.polls: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.chat_member_status = "member"
        self.files: dict[str, bytes] = {}  # file_id → content, for getFile and downloads
        self.closing = False  # answer long polls at once (lets a test stop the bot fast)
        # Called with each finished Call (a load generator's per-chat bookkeeping);
        # ``keep_calls = False`` stops the ever-growing ``calls`` list on long runs.
        self.listeners: list[Callable[[Call], None]] = []
        self.keep_calls = True
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self.confirmed = 0  # the highest getUpdates offset received: updates below it are done
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server --------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes, as the Bot API's file server gives them after getFile."""
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return await self._not_found(request)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _endpoint(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await self._read_params(request)
        method = request.match_info["method"]
        name = method.lower()
        call = Call(method, params, files)
        raw: str | None = None
        try:
            failure = self._scripted(name, params)
            if failure is not None:
                raw = failure.body
                raise ApiError(
                    failure.status,
                    failure.description,
                    {"retry_after": failure.retry_after}
                    if failure.retry_after is not None
                    else None,
                )
            handler = getattr(self, f"_m_{name}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if name == "getupdates":  # a long poll: waits for updates
                result = await handler(params)
            else:
                result = handler(params, files)
            body: dict[str, Any] = {"ok": True, "result": result}
            call.result = result
        except ApiError as exc:
            call.status = exc.status
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        await self._record(call)
        stall = self._stalled(name) if call.status == 200 else None
        if stall is not None:
            await asyncio.sleep(stall.seconds)
        if raw is not None:
            return web.Response(text=raw, status=call.status, content_type="text/html")
        return web.json_response(body, status=call.status)

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            return dict(await request.json()), files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename or key, value.file.read())
                continue
            params[key] = self._decode(key, str(value))
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name in files:
                    files[key] = files[name]
        return params, files

    @staticmethod
    def _decode(key: str, value: str) -> Any:
        if key in TEXT_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    def _stalled(self, name: str) -> Stall | None:
        for stall in self.stalls:
            if stall.method.lower() == name and stall.times > 0:
                stall.times -= 1
                return stall
        return None

    def _scripted(self, name: str, params: dict[str, Any]) -> Failure | None:
        for failure in self.failures:
            if (
                failure.method.lower() == name
                and failure.times > 0
                and (failure.when is None or failure.when(params))
            ):
                failure.times -= 1
                return failure
        return None

    async def _record(self, call: Call) -> None:
        assert self._changed is not None
        call.at = time.monotonic()
        for listener in self.listeners:
            listener(call)
        async with self._changed:
            if self.keep_calls:
                self.calls.append(call)
            self._changed.notify_all()

    # -- what a test does -----------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
        body: str | None = None,
    ) -> Failure:
        """Script the next ``times`` calls of ``method`` to fail like Telegram does
        (``when`` filters on the call's parameters; ``body`` replaces the JSON error
        with a raw HTML page, as a proxy in front of the API sends)."""
        failure = Failure(method, status, description, retry_after, times, when, body)
        self.failures.append(failure)
        return failure

    def outage(
        self,
        method: str,
        status: int,
        description: str,
        active: Callable[[], bool],
        retry_after: int | None = None,
        body: str | None = None,
    ) -> Failure:
        """Fail every call of ``method`` while ``active()`` holds (say, a minute of a
        test's clock), however many there are."""
        return self.fail(
            method,
            status,
            description,
            retry_after,
            times=10**9,
            when=lambda params: active(),
            body=body,
        )

    def stall(self, method: str, seconds: float, times: int = 1) -> Stall:
        """The next ``times`` calls of ``method`` take effect (a message is sent) but
        are answered only ``seconds`` later, as when a reply is lost to a timeout."""
        stall = Stall(method, seconds, times)
        self.stalls.append(stall)
        return stall

    def user(
        self, user_id: int, first_name: str = "Ada", username: str | None = None
    ) -> dict[str, Any]:
        """A person, with their private chat registered."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        if username:
            user["username"] = username
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        return user

    def group(self, chat_id: int, title: str = "SAT study group") -> dict[str, Any]:
        """A supergroup chat (ids of groups are negative)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def _update(self, **kind: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **kind}

    def text_update(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A message a person typed (commands carry their bot_command entity, as on Telegram)."""
        chat = chat or self.chats[user["id"]]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(head)}]
        self.messages[(chat["id"], message["message_id"])] = message
        return self._update(message=message)

    def callback_update(
        self, user: dict[str, Any], message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        """A press of a button of ``message`` (``data`` may be anything: clients can forge it)."""
        query = {
            "id": str(next(self._ids) * 7919),
            "from": user,
            "message": message,
            "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
        }
        return self._update(callback_query=query)

    def document_update(
        self, user: dict[str, Any], content: bytes, file_name: str, caption: str | None = None
    ) -> dict[str, Any]:
        """A file a person sent (kept for getFile and the download)."""
        chat = self.chats[user["id"]]
        file_id = f"doc{next(self._ids)}"
        self.files[file_id] = content
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": file_name,
                "mime_type": "application/json",
                "file_size": len(content),
            },
        }
        if caption:
            message["caption"] = caption
        self.messages[(chat["id"], message["message_id"])] = message
        return self._update(message=message)

    def poll_answer_update(
        self, user: dict[str, Any], poll_id: str, option_ids: list[int]
    ) -> dict[str, Any]:
        """A vote in a non-anonymous poll."""
        answer = {
            "poll_id": poll_id,
            "user": user,
            "option_ids": option_ids,
            "option_persistent_ids": [f"opt{i}" for i in option_ids],  # Bot API 9.6
        }
        return self._update(poll_answer=answer)

    async def enqueue(self, update: dict[str, Any]) -> None:
        """Hold ``update`` for the next getUpdates."""
        assert self._changed is not None
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    async def release_polls(self, closing: bool = True) -> None:
        """End waiting long polls now (and answer new ones at once) while ``closing``."""
        assert self._changed is not None
        async with self._changed:
            self.closing = closing
            self._changed.notify_all()

    async def deliver(self, update: dict[str, Any], secret: str | None = None) -> int:
        """POST ``update`` to the registered webhook like Telegram; returns the HTTP status."""
        assert self.webhook is not None, "no webhook is set"
        token = self.webhook.get("secret_token") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.webhook["url"],
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response,
        ):
            return response.status

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait (bounded) until ``predicate()`` holds; fail the test otherwise."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def calls_to(self, method: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method.lower() == method.lower()]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent (successfully) into ``chat_id``, oldest first."""
        return [
            m
            for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
            if c == chat_id and m.get("from", {}).get("id") == self.me["id"]
        ]

    # -- Bot API methods --------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return self.chats[chat_id]

    def _text_and_entities(
        self, params: dict[str, Any], key: str
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get(key) or ""
        if str(params.get("parse_mode", "")).upper() == "HTML":
            return parse_html(raw)
        return raw, []

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not isinstance(markup, dict):
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _new_message(
        self, chat: dict[str, Any], params: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {k: self.me[k] for k in ("id", "is_bot", "first_name", "username")},
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # only inline keyboards are echoed back
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _m_getme(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return self.me

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        assert self._changed is not None
        async with self._changed:
            if offset:  # confirms every update before it
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self.confirmed = max(self.confirmed, offset)
            if not self._updates and timeout > 0 and not self.closing:
                with contextlib.suppress(TimeoutError):  # an empty answer after the timeout
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self.closing),
                        timeout,
                    )
            return self._updates[:limit]

    def _m_setwebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def _m_deletewebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _m_setmycommands(self, params: dict[str, Any], files: Any) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if (
                not 1 <= len(command["command"]) <= 32
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = (params.get("scope") or {"type": "default"})["type"]
        self.commands[scope] = commands
        return True

    def _m_sendmessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = self._text_and_entities(params, "text")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_message(chat, params, **content)

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def _m_editmessagetext(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._edit_target(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._text_and_entities(params, "text")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        message["entities"] = entities
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _m_editmessagereplymarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._edit_target(params)
        markup = params.get("reply_markup")
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _m_answercallbackquery(self, params: dict[str, Any], files: Any) -> bool:
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption, entities = self._text_and_entities(params, "caption")
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        content: dict[str, Any] = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content

    def _upload(
        self, key: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> tuple[str, bytes]:
        if key not in files:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        return files[key]

    def _m_sendphoto(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        chat = self._chat(params)
        _, data = self._upload("photo", params, files)
        if not data.startswith(b"\x89PNG") and not data.startswith(b"\xff\xd8"):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        n = next(self._ids)
        photo = [
            {
                "file_id": f"photo{n}-{size}",
                "file_unique_id": f"u{n}{size}",
                "width": size,
                "height": size * 3 // 4,
                "file_size": len(data),
            }
            for size in (90, 320, 800)
        ]
        return self._new_message(chat, params, photo=photo, **self._caption(params))

    def _m_senddocument(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        chat = self._chat(params)
        filename, data = self._upload("document", params, files)
        n = next(self._ids)
        document = {
            "file_id": f"doc{n}",
            "file_unique_id": f"ud{n}",
            "file_name": filename,
            "mime_type": "application/octet-stream",
            "file_size": len(data),
        }
        return self._new_message(chat, params, document=document, **self._caption(params))

    def _m_sendchataction(self, params: dict[str, Any], files: Any) -> bool:
        self._chat(params)
        return True

    def _m_sendpoll(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat = self._chat(params)
        options = [
            o["text"] if isinstance(o, dict) else str(o) for o in params.get("options") or []
        ]
        if not 2 <= len(options) <= 12:
            raise ApiError(400, "Bad Request: poll must have at least 2 option")
        question = params.get("question") or ""
        if not 1 <= len(question) <= 300:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        poll_type = params.get("type") or "regular"
        poll: dict[str, Any] = {
            "id": str(5_000_000_000 + next(self._ids)),
            "question": question,
            "options": [
                {"text": o, "voter_count": 0, "persistent_id": f"opt{i}"}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": poll_type,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", False)),  # Bot API 9.6
            "members_only": bool(params.get("members_only", False)),  # Bot API 10.0
        }
        if poll_type == "quiz":
            # Bot API 9.6 replaced correct_option_id by the list correct_option_ids.
            correct = params.get("correct_option_ids")
            if correct is None and "correct_option_id" in params:
                correct = [params["correct_option_id"]]
            if not correct or any(not 0 <= int(i) < len(options) for i in correct):
                raise ApiError(400, "Bad Request: wrong correct option id specified")
            poll["correct_option_ids"] = [int(i) for i in correct]
            explanation = params.get("explanation") or ""
            if len(explanation) > 200:
                raise ApiError(400, "Bad Request: explanation is too long")
            if explanation:
                poll["explanation"] = explanation
        self.polls[poll["id"]] = poll
        return self._new_message(chat, params, poll=poll)

    def _m_getfile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    def _m_getchatmember(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        self._chat(params)
        user_id = int(params["user_id"])
        user = {"id": user_id, "is_bot": False, "first_name": "Member"}
        if self.chat_member_status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        return {"status": "member", "user": user}
