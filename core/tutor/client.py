"""The model behind the tutor: any OpenAI-compatible chat endpoint.

OpenAI itself, a local Ollama (``http://127.0.0.1:11434/v1``), vLLM or
llama.cpp's server. The ``openai`` client does its own retries (429, 5xx,
timeouts) with backoff; whatever still fails becomes a :class:`ModelError`
with a short, secret-free reason, and the tutor falls back to offline.

A hanging endpoint must not take the rest of the bot with it, so a model
also guards its callers: at most ``max_concurrent`` calls wait on it at
once (a caller beyond that gets a ``busy`` error at once, so hanging calls
cannot occupy every worker thread), and after a call timed out through all
its retries the model is treated as down for ``cooldown_s`` (calls fail at
once instead of each waiting ``timeout_s × (max_retries + 1)`` again).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import openai

log = logging.getLogger(__name__)
LOCAL_KEY = "not-needed"  # local servers ignore the key, the client wants one
MAX_CONCURRENT = 4  # model calls waiting at once; half the adapters' concurrent updates
COOLDOWN_S = 30.0  # after a timeout, how long the model counts as down
BUSY = "busy"
COOLING_DOWN = "timed out recently"


class ModelError(Exception):
    """The model did not answer; ``reason`` is short and holds no secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


@dataclass(frozen=True)
class Completion:
    """A model reply with its token usage."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatModel:
    """A configured chat model (``model`` name on one endpoint)."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 20.0,
        max_retries: int = 2,
        max_tokens: int = 600,
        max_concurrent: int = MAX_CONCURRENT,
        cooldown_s: float = COOLDOWN_S,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.client = openai.OpenAI(
            base_url=base_url or None,
            api_key=api_key or (LOCAL_KEY if base_url else None),
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self.cooldown_s = cooldown_s
        self._slots = threading.BoundedSemaphore(max(1, max_concurrent))
        self._down_until = 0.0  # time.monotonic() until which the model counts as down

    @classmethod
    def from_settings(cls, llm: Any) -> ChatModel | None:
        """The model of ``settings.llm``; None (offline) when none is configured
        or the client cannot be built (e.g. OpenAI without a key)."""
        if llm is None or not getattr(llm, "model", ""):
            return None
        key = getattr(llm, "api_key", None)
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        try:
            return cls(
                llm.model,
                base_url=getattr(llm, "base_url", "") or None,
                api_key=key or None,
                timeout_s=float(getattr(llm, "timeout_s", 20.0)),
                max_retries=int(getattr(llm, "max_retries", 2)),
                max_tokens=int(getattr(llm, "max_tokens", 600)),
                max_concurrent=int(getattr(llm, "max_concurrent", MAX_CONCURRENT)),
                cooldown_s=float(getattr(llm, "cooldown_s", COOLDOWN_S)),
            )
        except openai.OpenAIError as exc:
            log.warning(
                "AI tutor offline: llm.model is set but the client could not be built (%s); "
                "set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server",
                type(exc).__name__,
            )
            return None

    def complete(
        self,
        messages: list[dict[str, str]],
        max_tokens: int | None = None,
        max_retries: int | None = None,
    ) -> Completion:
        """One chat completion; raises :class:`ModelError` when it fails for good,
        at once when the model is busy or counts as down (see the module's notes).
        ``max_retries`` overrides the configured retries for this call."""
        if time.monotonic() < self._down_until:
            raise ModelError(COOLING_DOWN)
        if not self._slots.acquire(blocking=False):
            raise ModelError(BUSY)
        try:
            return self._complete(messages, max_tokens, max_retries)
        finally:
            self._slots.release()

    def _complete(
        self, messages: list[dict[str, str]], max_tokens: int | None, max_retries: int | None
    ) -> Completion:
        client = (
            self.client
            if max_retries is None
            else self.client.with_options(max_retries=max_retries)
        )
        try:
            resp = client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens or self.max_tokens,
            )
        except openai.APITimeoutError:
            # Every attempt hung: spare the next students the same wait for a while.
            self._down_until = time.monotonic() + self.cooldown_s
            raise ModelError("timeout") from None
        except openai.RateLimitError:
            raise ModelError("rate limited (429)") from None
        except openai.APIStatusError as exc:
            raise ModelError(f"server error ({exc.status_code})") from None
        except openai.APIConnectionError:
            raise ModelError("connection error") from None
        except openai.OpenAIError as exc:
            raise ModelError(type(exc).__name__) from None
        text = ""
        if resp.choices and resp.choices[0].message is not None:
            text = (resp.choices[0].message.content or "").strip()
        usage = resp.usage
        done = Completion(
            text=text,
            model=resp.model or self.model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )
        if not text:
            raise ModelError("empty reply")
        return done
