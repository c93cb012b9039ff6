"""Configuration: defaults, environment overrides, clear errors, no leaked secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.logs import RedactSecrets, secret_values
from bot.settings import ConfigError, load_settings

TOKEN = "123456:AAE-very-secret-token"


def test_defaults_use_embedded_sqlite(tmp_path: Path) -> None:
    s = load_settings(env={"SATPREP_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'satprep.sqlite3'}"
    assert s.telegram.token is None and s.telegram.mode == "polling"


def test_environment_overrides_and_aliases() -> None:
    s = load_settings(
        env={
            "SATPREP_DATABASE_URL": "postgresql://u@h/db",
            "SATPREP_TELEGRAM_MODE": "webhook",
            "SATPREP_LLM_MODEL": "llama3",
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
            "OPENAI_API_KEY": "sk-test-1234",
        }
    )
    assert s.database_url == "postgresql://u@h/db"
    assert s.telegram.mode == "webhook"
    assert s.llm.model == "llama3" and s.llm.base_url.endswith("/v1")
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-test-1234"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SATPREP_TELEGRAM_MODE": "pigeon"}, ["telegram.mode", "SATPREP_TELEGRAM_MODE"]),
        ({"SATPREP_LLM_TIMEOUT_S": "soon"}, ["llm.timeout_s"]),
        ({"SATPREP_TELEGRAM_WEBHOOK_PORT": "70000"}, ["telegram.webhook_port"]),
        ({"SATPREP_DATABASE_URL": "mysql://x"}, ["database.url", "sqlite://"]),
        ({"SATPREP_TELEGRAM_TOKNE": "x"}, ["telegram.tokne"]),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], names: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env={**env, "SATPREP_TELEGRAM_TOKEN": TOKEN})
    message = str(err.value)
    for name in names:
        assert name in message
    assert TOKEN not in message


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("telegram:\n  mode: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_settings(bad, env={})


def test_tokens_never_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    s = load_settings(env={"SATPREP_TELEGRAM_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-abcdef"})
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())
    logger = logging.getLogger("test.redact")
    handler = caplog.handler
    handler.addFilter(RedactSecrets(secret_values(s)))
    with caplog.at_level(logging.INFO):
        logger.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.info("key sk-abcdef used")
    handler.filters.clear()
    assert TOKEN not in caplog.text and "sk-abcdef" not in caplog.text
    assert "bot***/getMe" in caplog.text


def test_telegram_rate_limit_is_per_process_and_checked() -> None:
    assert load_settings(env={}).telegram.rate_limit == 30  # Telegram's ≈30 messages/s per bot
    two_workers = load_settings(env={"SATPREP_TELEGRAM_RATE_LIMIT": "15"})
    assert two_workers.telegram.rate_limit == 15
    with pytest.raises(ConfigError, match="SATPREP_TELEGRAM_RATE_LIMIT"):
        load_settings(env={"SATPREP_TELEGRAM_RATE_LIMIT": "-1"})


def test_llm_concurrency_and_cooldown_reach_the_model() -> None:
    from core.tutor.client import ChatModel

    s = load_settings(
        env={
            "SATPREP_LLM_MODEL": "m",
            "SATPREP_LLM_MAX_CONCURRENT": "2",
            "SATPREP_LLM_COOLDOWN_S": "5",
            "OPENAI_API_KEY": "sk-test",
        }
    )
    model = ChatModel.from_settings(s.llm)
    assert model is not None and model.cooldown_s == 5
    with pytest.raises(ConfigError, match="SATPREP_LLM_MAX_CONCURRENT"):
        load_settings(env={"SATPREP_LLM_MAX_CONCURRENT": "0"})
