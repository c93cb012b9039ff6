"""A local fake of an OpenAI-compatible server, for driving the real ``openai`` client.

An aiohttp app on 127.0.0.1 (in its own thread, so synchronous code under
test can call it) implements ``POST /v1/chat/completions``. Tests script
the replies in order (text, token usage, a delay, an HTTP status such as
429 or 500); with nothing scripted it answers a default hint. Every request
body is recorded, so tests assert on exactly what the model would have seen.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

DEFAULT_TEXT = "What is the question really asking you to find?"


@dataclass
class Scripted:
    """One scripted reply."""

    text: str = DEFAULT_TEXT
    status: int = 200
    delay: float = 0.0
    prompt_tokens: int = 50
    completion_tokens: int = 20


@dataclass
class FakeOpenAI:
    """The running fake: its base URL, the queue of replies and what it received."""

    base_url: str = ""
    script: list[Scripted] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def reply(self, text: str = DEFAULT_TEXT, **kw: Any) -> FakeOpenAI:
        """Queue a successful reply (``prompt_tokens``, ``completion_tokens``, ``delay``)."""
        self.script.append(Scripted(text=text, **kw))
        return self

    def fail(self, status: int, times: int = 1) -> FakeOpenAI:
        """Queue ``times`` error responses with HTTP ``status`` (e.g. 429, 500)."""
        self.script += [Scripted(status=status) for _ in range(times)]
        return self

    def stall(self, delay: float) -> FakeOpenAI:
        """Queue a reply that comes only after ``delay`` seconds."""
        self.script.append(Scripted(delay=delay))
        return self

    def request_text(self, i: int = -1) -> str:
        """Everything request ``i`` sent in its messages, joined."""
        return "\n".join(m["content"] for m in self.requests[i]["messages"])

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        step = self.script.pop(0) if self.script else Scripted()
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status != 200:
            kind = "rate_limit_exceeded" if step.status == 429 else "server_error"
            return web.json_response(
                {"error": {"message": f"scripted {step.status}", "type": kind, "code": kind}},
                status=step.status,
                headers={"retry-after-ms": "5"},  # keeps the client's backoff short
            )
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": step.prompt_tokens,
                    "completion_tokens": step.completion_tokens,
                    "total_tokens": step.prompt_tokens + step.completion_tokens,
                },
            }
        )


@pytest.fixture(name="fake_openai")
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """A running fake server (torn down after the test)."""
    fake = FakeOpenAI()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake._completions)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.base_url = f"http://127.0.0.1:{port}/v1"
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the fake OpenAI server did not start"
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def body_json(fake: FakeOpenAI, i: int = -1) -> str:
    """Request ``i`` as raw JSON text (to search for anything that leaked)."""
    return json.dumps(fake.requests[i])
