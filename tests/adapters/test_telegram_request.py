"""The aiohttp backend of python-telegram-bot (adapters/telegram/request.py).

A real ``telegram.Bot`` on :class:`AiohttpRequest` against a small Bot API
stand-in on 127.0.0.1: form fields and uploads arrive as PTB means them,
timeouts become ``TimedOut`` and transport errors ``NetworkError`` (the
outbox and the rate limiter rely on those), the token never reaches a log.
The full adapter runs on it in tests/e2e/telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from adapters.telegram.app import redact_token_in_logs
from adapters.telegram.request import AiohttpRequest, AnswerTimedOut
from adapters.telegram.sender import maybe_delivered
from tests.ports import free_port

TOKEN = "123456:request-test-token"
USER = {"id": 7, "is_bot": True, "first_name": "Bot", "username": "satprep_bot"}


def _message(text: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 42, "type": "private"},
        **({"text": text} if text is not None else {}),
        **extra,
    }


class Stub:
    """Answers getMe, sendMessage and sendPhoto; remembers what arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, Any]]] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form: dict[str, Any] = {}
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                if part.filename:  # type: ignore[union-attr]
                    form[part.name] = (  # type: ignore[union-attr]
                        part.filename,  # type: ignore[union-attr]
                        part.headers.get("Content-Type"),
                        await part.read(),  # type: ignore[union-attr]
                    )
                else:
                    form[part.name] = await part.text()  # type: ignore[union-attr]
        else:
            form = dict(await request.post())
        self.received.append((method, request.content_type, form))
        if self.delay:
            await asyncio.sleep(self.delay)
        if method == "getMe":
            result: Any = USER
        elif method == "sendPhoto":
            result = _message(
                photo=[{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
            )
        else:
            result = _message(form.get("text"))
        return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def stub() -> AsyncIterator[tuple[Stub, str]]:
    server = Stub()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield server, f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


async def test_fields_and_uploads_arrive_as_ptb_sends_them(stub: tuple[Stub, str]) -> None:
    server, base = stub
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        sent = await bot.send_message(42, "Hello <b>Ada</b>", parse_mode="HTML")
        assert sent.text == "Hello <b>Ada</b>" and sent.chat.id == 42
        png = b"\x89PNG\r\n\x1a\nfigure-bytes"
        await bot.send_photo(42, photo=png, filename="q1.png", caption="Figure")
    method, kind, form = server.received[-2]
    assert (method, kind) == ("sendMessage", "application/x-www-form-urlencoded")
    assert form["chat_id"] == "42" and form["parse_mode"] == "HTML"
    method, kind, form = server.received[-1]
    assert (method, kind) == ("sendPhoto", "multipart/form-data")
    assert form["caption"] == "Figure" and form["chat_id"] == "42"
    [(filename, content_type, data)] = [v for v in form.values() if isinstance(v, tuple)]
    assert (filename, content_type, data) == ("q1.png", "image/png", png)


async def test_a_slow_answer_times_out_and_a_closed_port_is_a_network_error(
    stub: tuple[Stub, str],
) -> None:
    server, base = stub
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        server.delay = 2.0
        with pytest.raises(AnswerTimedOut) as late:  # it went out: it may be in the chat
            await bot.send_message(42, "late", read_timeout=0.2)
        assert isinstance(late.value, TimedOut) and maybe_delivered(late.value)
        server.delay = 0.0
        assert (await bot.send_message(42, "on time")).text == "on time"  # still usable
    closed = f"http://127.0.0.1:{free_port()}/bot"
    request = AiohttpRequest(connect_timeout=2.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.post(f"{closed}{TOKEN}/getMe")
        assert not isinstance(refused.value, TimedOut) and not maybe_delivered(refused.value)
        assert "aiohttp.Client" in str(refused.value)
    finally:
        await request.shutdown()


async def test_it_must_be_initialized_and_its_log_hides_the_token(
    stub: tuple[Stub, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, base = stub
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it, as for httpx
        await AiohttpRequest().post(f"{base}{TOKEN}/getMe")
    redact_token_in_logs(TOKEN)
    caplog.set_level(logging.DEBUG, logger="adapters.telegram.request")
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        await bot.send_message(42, "hi")
    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.telegram.request"]
    assert any("/bot<token>/sendMessage" in line and "200" in line for line in lines), lines
    assert all(TOKEN not in line for line in lines)
