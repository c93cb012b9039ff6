"""A fake Discord on 127.0.0.1: the REST API and the gateway, speaking real JSON.

An aiohttp server that discord.py talks to as if it were discord.com:

- REST under ``/api/v10``: ``GET /users/@me``, ``GET /oauth2/applications/@me``,
  ``GET /gateway`` and ``/gateway/bot``, command bulk overwrites
  (``PUT /applications/{app}/commands`` and the guild variant), interaction
  callbacks, webhook follow-ups and ``@original`` edits and deletes,
  ``POST /users/@me/channels`` and ``POST /channels/{id}/messages`` (JSON or
  multipart with files). Every request is recorded.
- The gateway at ``/gateway`` (websocket): HELLO, IDENTIFY → READY (+
  GUILD_CREATE), heartbeat ACKs, and the dispatches a test injects
  (``INTERACTION_CREATE`` through :meth:`slash`, :meth:`click`, …).

It keeps the messages it "created" so that a test can click a button of a
message the bot sent, and it mimics the Discord behaviour the adapter
relies on: a deferred "thinking" response is replaced by the first follow-up
or an ``@original`` edit; a deferred update makes ``@original`` the pressed
message. Failures (429 with ``retry_after``, 403 with a code) are scripted
with :meth:`fail_next`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "1100000000000000001"
GUILD_ID = "1100000000000000002"
CHANNEL_ID = "1100000000000000003"
GUILD_NAME = "Study Hall"
EPHEMERAL = 64
LOADING = 128
ADMIN_PERMISSIONS = str(1 << 5 | 1 << 11)  # MANAGE_GUILD | SEND_MESSAGES
MEMBER_PERMISSIONS = str(1 << 11)
NOW = "2026-11-02T15:00:00.000000+00:00"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response typed exactly ``application/json``, as Discord sends it."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def user(uid: str, name: str) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
    }


BOT = {**user(APP_ID, "satprep"), "bot": True}


@dataclass
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class Sent:
    """An interaction the test injected, and what the bot answered to it."""

    id: str
    token: str
    type: int
    channel_id: str
    message_id: str | None = None  # the pressed message (components, modals)
    callback: dict[str, Any] | None = None
    original_id: str | None = None  # the message @original refers to
    loading: bool = False


class FakeDiscord:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, Sent] = {}
        self.identifies: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.failures: list[Failure] = []
        self.sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1200000000000000000)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> str:
        return str(next(self._ids))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every request); return it."""

        async def waiting() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(waiting(), timeout)

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex) so."""
        self.failures.append(Failure(method, re.compile(path), status, body, headers or {}, times))

    def rate_limit_next(self, method: str, path: str, retry_after: float = 0.05) -> None:
        """A 429 as Discord sends it (behind Cloudflare: a ``Via`` header)."""
        self.fail_next(
            method,
            path,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            {"Via": "1.1 google", "Retry-After": str(retry_after)},
        )

    # -- queries for tests -------------------------------------------------

    def calls(self, method: str, path: str) -> list[Request]:
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def original(self, interaction: Sent) -> dict[str, Any]:
        """The message ``@original`` of an interaction refers to ({} before any response)."""
        return self.messages.get(interaction.original_id or "", {})

    def sent_to(self, interaction: Sent) -> list[dict[str, Any]]:
        """Messages created by follow-ups (and the @original) of one interaction."""
        return [m for m in self.messages.values() if m.get("_interaction") == interaction.id]

    # -- the gateway -------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data["op"] == 2:
                    self.identifies.append(data["d"])
                    await self._ready(ws, data["d"])
                elif data["op"] == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                await self._notify()
        finally:
            self.sockets.remove(ws)
        return ws

    async def _send_dispatch(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def _ready(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        ready = {
            "v": 10,
            "user": BOT,
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        await self._send_dispatch(ws, "READY", ready)
        await self._send_dispatch(ws, "GUILD_CREATE", self.guild())

    def guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID,
            "name": GUILD_NAME,
            "icon": None,
            "owner_id": "1",
            "features": [],
            "roles": [
                {
                    "id": GUILD_ID,
                    "name": "@everyone",
                    "permissions": MEMBER_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": CHANNEL_ID,
                    "type": 0,
                    "name": "sat-prep",
                    "position": 0,
                    "permission_overwrites": [],
                }
            ],
            "members": [],
            "member_count": 3,
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "unavailable": False,
            "joined_at": NOW,
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
        }

    async def dispatch(self, event: str, data: Any) -> None:
        assert self.sockets, "no gateway connection"
        for ws in list(self.sockets):
            await self._send_dispatch(ws, event, data)

    # -- interactions the test injects ---------------------------------------

    def dm_channel(self, uid: str) -> str:
        return str(int(uid) + 7)  # a stable DM channel id per user

    async def interact(
        self,
        type: int,
        data: dict[str, Any],
        who: dict[str, Any],
        guild: bool = False,
        admin: bool = False,
        message_id: str | None = None,
    ) -> Sent:
        iid = self.snowflake()
        token = f"itoken-{iid}"
        payload: dict[str, Any] = {
            "id": iid,
            "application_id": APP_ID,
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "attachment_size_limit": 8388608,
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "entitlements": [],
        }
        if guild:
            payload |= {
                "guild_id": GUILD_ID,
                "guild_locale": "en-US",
                "channel_id": CHANNEL_ID,
                "channel": {
                    "id": CHANNEL_ID,
                    "type": 0,
                    "guild_id": GUILD_ID,
                    "name": "sat-prep",
                    "position": 0,
                    "permission_overwrites": [],
                },
                "member": {
                    "user": who,
                    "roles": [],
                    "joined_at": NOW,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS,
                },
                "authorizing_integration_owners": {"0": GUILD_ID},
                "context": 0,
            }
        else:
            dm = self.dm_channel(who["id"])
            payload |= {
                "channel_id": dm,
                "channel": {"id": dm, "type": 1, "recipients": [who]},
                "user": who,
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        if message_id is not None:
            payload["message"] = {
                k: v for k, v in self.messages[message_id].items() if not k.startswith("_")
            }
        sent = Sent(iid, token, type, payload["channel_id"], message_id=message_id)
        self.interactions[token] = sent
        await self.dispatch("INTERACTION_CREATE", payload)
        return sent

    async def slash(
        self, name: str, args: str | None = None, *, who: dict[str, Any], **kw: Any
    ) -> Sent:
        """``/name args`` (``name`` may be ``"group sub"``)."""
        options = [] if args is None else [{"name": "args", "type": 3, "value": args}]
        head, _, sub = name.partition(" ")
        if sub:
            options = [{"name": sub, "type": 1, "options": options}]
        data = {"id": self.snowflake(), "name": head, "type": 1, "options": options}
        return await self.interact(2, data, who, **kw)

    async def autocomplete(self, name: str, typed: str, *, who: dict[str, Any]) -> Sent:
        option = {"name": "args", "type": 3, "value": typed, "focused": True}
        data = {"id": self.snowflake(), "name": name, "type": 1, "options": [option]}
        return await self.interact(4, data, who)

    async def click(self, message_id: str, label: str, *, who: dict[str, Any], **kw: Any) -> Sent:
        """Press the button labelled ``label`` on a message the bot sent."""
        custom_id = button(self.messages[message_id], label)["custom_id"]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.interact(3, data, who, message_id=message_id, **kw)

    async def submit_modal(
        self, opened_by: Sent, value: str, *, who: dict[str, Any], **kw: Any
    ) -> Sent:
        """Fill the modal the bot opened in answer to ``opened_by`` and submit it."""
        assert opened_by.callback and opened_by.callback["type"] == 9, opened_by.callback
        modal = opened_by.callback["data"]
        rows = []
        for row in modal["components"]:
            inputs = row["components"] if row["type"] == 1 else [row["component"]]
            rows.append(
                {
                    "type": 1,
                    "components": [
                        {"type": 4, "custom_id": c["custom_id"], "value": value}
                        for c in inputs
                        if c["type"] == 4
                    ],
                }
            )
        data = {"custom_id": modal["custom_id"], "components": rows}
        return await self.interact(5, data, who, message_id=opened_by.message_id, **kw)

    # -- REST ---------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                raw = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(raw)
                else:
                    files[part.name] = (part.filename or "", bytes(raw))  # type: ignore[union-attr]
        elif request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text else None
        req = Request(request.method, path, dict(request.query), body, files)
        self.requests.append(req)
        try:
            for failure in self.failures:
                wanted = failure.times and failure.method == request.method
                if wanted and failure.path.fullmatch(path):
                    failure.times -= 1
                    req.status = failure.status
                    return _json(failure.body, status=failure.status, headers=failure.headers)
            return await self._route(req)
        finally:
            await self._notify()

    async def _route(self, req: Request) -> web.StreamResponse:
        m, p = req.method, req.path
        if m == "GET" and p == "/users/@me":
            return _json(BOT)
        if m == "GET" and p == "/oauth2/applications/@me":
            return _json(self.application())
        if m == "GET" and p in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if match := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", p):
            if m == "PUT":
                return _json(self._overwrite(match[2] or "global", req.json))
            return _json(self.commands.get(match[2] or "global", []))
        if m == "POST" and (match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p)):
            return _json(self._callback(match[2], req))
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/@original)?", p):
            sent = self.interactions[match[2]]
            if match[3] and m == "PATCH":
                return _json(self._edit_original(sent, req))
            if match[3] and m == "DELETE":
                if sent.original_id:
                    self.messages[sent.original_id]["_deleted"] = True
                return web.Response(status=204)
            if not match[3] and m == "POST":
                return _json(self._followup(sent, req))
        if m == "POST" and p == "/users/@me/channels":
            rid = req.json["recipient_id"]
            return _json(
                {
                    "id": self.dm_channel(str(rid)),
                    "type": 1,
                    "recipients": [user(str(rid), f"user{rid}")],
                    "last_message_id": None,
                }
            )
        if m == "POST" and (match := re.fullmatch(r"/channels/(\d+)/messages", p)):
            return _json(self._message(match[1], req))
        req.status = 404
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def application(self) -> dict[str, Any]:
        return {
            "id": APP_ID,
            "name": "SAT Prep",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user("1", "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
        }

    def _overwrite(self, scope: str, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for cmd in payload:
            out.append(
                {
                    "type": 1,
                    "options": [],
                    **cmd,
                    "id": self.snowflake(),
                    "application_id": APP_ID,
                    "version": self.snowflake(),
                    "default_member_permissions": None,
                }
            )
        self.commands[scope] = out
        return out

    def _message(
        self, channel_id: str, req: Request, interaction: Sent | None = None
    ) -> dict[str, Any]:
        payload = req.json or {}
        msg = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": BOT,
            "content": payload.get("content") or "",
            "timestamp": NOW,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(req),
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": payload.get("flags") or 0,
        }
        if interaction is not None:
            msg["webhook_id"] = APP_ID
            msg["_interaction"] = interaction.id
        self.messages[msg["id"]] = msg
        return msg

    def _attachments(self, req: Request) -> list[dict[str, Any]]:
        out = []
        for name, (filename, data) in req.files.items():
            out.append(
                {
                    "id": self.snowflake(),
                    "filename": filename,
                    "size": len(data),
                    "url": f"http://127.0.0.1:{self.port}/attachments/{filename}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{filename}",
                    "_field": name,
                }
            )
        return out

    def _channel_of(self, sent: Sent) -> str:
        return sent.channel_id

    def _callback(self, token: str, req: Request) -> dict[str, Any]:
        sent = self.interactions[token]
        sent.callback = req.json
        kind = req.json["type"]
        data = req.json.get("data") or {}
        response: dict[str, Any] = {"id": sent.id, "type": sent.type}
        result: dict[str, Any] = {"interaction": response}
        if kind == 4:  # a message
            msg = self._message(self._channel_of(sent), Request("POST", "", {}, data), sent)
            sent.original_id = msg["id"]
            result["resource"] = {"type": kind, "message": msg}
        elif kind == 5:  # deferred: a "thinking" placeholder becomes @original
            flags = (data.get("flags") or 0) | LOADING
            msg = self._message(self._channel_of(sent), Request("POST", "", {}, {"flags": flags}))
            msg["_interaction"] = sent.id
            sent.original_id, sent.loading = msg["id"], True
            response |= {"response_message_loading": True}
            response |= {"response_message_ephemeral": bool(flags & EPHEMERAL)}
        elif kind in (6, 7):  # (deferred) update: @original is the pressed message
            sent.original_id = sent.message_id
            if kind == 7 and sent.message_id:
                self._apply_edit(self.messages[sent.message_id], data, req)
        return result

    def _apply_edit(self, msg: dict[str, Any], payload: dict[str, Any], req: Request) -> None:
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = (
                    payload[key] if payload[key] is not None else ([] if key != "content" else "")
                )
        if req.files:
            msg["attachments"] = self._attachments(req)
        msg["edited_timestamp"] = NOW
        msg["flags"] = msg.get("flags", 0) & ~LOADING
        msg.setdefault("_edits", 0)
        msg["_edits"] += 1

    def _edit_original(self, sent: Sent, req: Request) -> dict[str, Any]:
        assert sent.original_id, "edit of @original before any response"
        msg = self.messages[sent.original_id]
        self._apply_edit(msg, req.json or {}, req)
        sent.loading = False
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _followup(self, sent: Sent, req: Request) -> dict[str, Any]:
        if sent.loading and sent.original_id:  # the first follow-up replaces "thinking"
            return self._edit_original(sent, req)
        msg = self._message(self._channel_of(sent), req, sent)
        return {k: v for k, v in msg.items() if not k.startswith("_")}


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components", []) for c in row.get("components", [])]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    for b in buttons(message):
        if b.get("label") == label:
            return b
    raise AssertionError(f"no button {label!r} in {[b.get('label') for b in buttons(message)]}")


def text_of(message: dict[str, Any]) -> str:
    """Content and embed titles/descriptions of a message, for assertions."""
    parts = [message.get("content") or ""]
    for e in message.get("embeds", []):
        parts += [e.get("title") or "", e.get("description") or ""]
    return "\n".join(p for p in parts if p)
