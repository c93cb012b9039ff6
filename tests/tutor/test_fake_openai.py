"""The fake OpenAI-compatible server itself, driven by the real ``openai`` client."""

from __future__ import annotations

import openai
import pytest

from core.tutor.client import ChatModel, ModelError
from tests.tutor.fake_openai import DEFAULT_TEXT, FakeOpenAI


def _model(fake: FakeOpenAI, **kw: object) -> ChatModel:
    return ChatModel("m", base_url=fake.base_url, api_key="k", **kw)  # type: ignore[arg-type]


MSG = [{"role": "user", "content": "hi"}]


def test_records_bodies_and_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("hello", prompt_tokens=7, completion_tokens=3)
    done = _model(fake_openai, max_tokens=99).complete(MSG)
    assert (done.text, done.prompt_tokens, done.completion_tokens) == ("hello", 7, 3)
    assert fake_openai.requests[0]["messages"] == MSG
    assert fake_openai.requests[0]["max_tokens"] == 99 and fake_openai.requests[0]["model"] == "m"
    assert _model(fake_openai).complete(MSG).text == DEFAULT_TEXT


@pytest.mark.parametrize("status", [429, 500, 503])
def test_errors_retried_by_the_client(fake_openai: FakeOpenAI, status: int) -> None:
    fake_openai.fail(status).reply("ok")
    assert _model(fake_openai, max_retries=1).complete(MSG).text == "ok"
    assert len(fake_openai.requests) == 2


def test_errors_after_retries_become_model_errors(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(500, times=3)
    with pytest.raises(ModelError, match=r"server error \(500\)"):
        _model(fake_openai, max_retries=2).complete(MSG)
    fake_openai.stall(1.0)
    with pytest.raises(ModelError, match="timeout"):
        _model(fake_openai, max_retries=0, timeout_s=0.2).complete(MSG)


def test_connection_refused_is_a_model_error() -> None:
    model = ChatModel("m", base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    with pytest.raises(ModelError, match="connection"):
        model.complete(MSG)


def test_from_settings() -> None:
    class Llm:
        model = ""
        base_url = ""
        api_key = None

    assert ChatModel.from_settings(None) is None
    assert ChatModel.from_settings(Llm()) is None  # no model: offline
    Llm.model, Llm.base_url = "llama3.1", "http://127.0.0.1:11434/v1"
    local = ChatModel.from_settings(Llm())
    assert local is not None and isinstance(local.client, openai.OpenAI)


def test_settings_from_the_environment_reach_the_server(fake_openai: FakeOpenAI) -> None:
    from bot.settings import load_settings
    from core.tutor import Tutor

    settings = load_settings(
        env={
            "SATPREP_LLM_MODEL": "llama3.1",
            "OPENAI_BASE_URL": fake_openai.base_url,
            "OPENAI_API_KEY": "sk-env-key",
            "SATPREP_LLM_MAX_TOKENS": "123",
            "SATPREP_LLM_USER_DAILY_MESSAGES": "7",
        }
    )
    tutor = Tutor.from_settings(settings)
    assert tutor.model is not None and tutor.limits.user_daily_messages == 7
    tutor.model.complete(MSG)
    assert fake_openai.requests[0]["model"] == "llama3.1"
    assert fake_openai.requests[0]["max_tokens"] == 123
    assert fake_openai.headers[0]["authorization"] == "Bearer sk-env-key"
    assert Tutor.from_settings(load_settings(env={})).model is None  # offline by default
