"""Configuration: ``config.yaml`` defaults, overridden by the environment.

Every key ``section.key`` can be set by ``SATPREP_SECTION_KEY``; the
``openai`` client's own ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are read
too. Secrets are :class:`~pydantic.SecretStr`: their ``repr`` and ``str``
are masked, so a logged settings object or a validation error never shows
them. A bad value stops start-up with a message that names the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class ConfigError(Exception):
    """A configuration problem, worded for the operator."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value


class TelegramSettings(_Section):
    token: SecretStr | None = None
    mode: Literal["polling", "webhook"] = "polling"
    api_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # Messages per second this process may send to chats. Telegram allows
    # about 30 per bot in all: with N webhook workers on one token, use 30/N.
    # 0 lifts the cap (a local fake Bot API in benchmarks).
    rate_limit: float = Field(30.0, ge=0)


class DiscordSettings(_Section):
    token: SecretStr | None = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = ""
    sharded: bool = False
    application_id: str = ""


class LlmSettings(_Section):
    model: str = ""
    base_url: str = ""
    api_key: SecretStr | None = None
    timeout_s: float = Field(20, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=10)
    max_tokens: int = Field(600, ge=16, le=8192)
    # Calls waiting on the model at once (more: the offline tutor answers), and
    # how long the model counts as down after a call timed out through its retries.
    max_concurrent: int = Field(4, ge=1, le=64)
    cooldown_s: float = Field(30, ge=0, le=3600)
    user_daily_messages: int = Field(40, ge=0)
    user_daily_tokens: int = Field(20000, ge=0)
    global_daily_tokens: int = Field(2_000_000, ge=0)


class PracticeSettings(_Section):
    session_length: int = Field(10, ge=1, le=100)
    target_success: float = Field(0.7, gt=0.3, lt=0.95)


class SchedulerSettings(_Section):
    enabled: bool = True
    dispatch_interval_s: int = Field(30, ge=1, le=3600)


class Settings(_Section):
    data_dir: Path = Path("~/.local/share/satprep")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    llm: LlmSettings = LlmSettings()
    practice: PracticeSettings = PracticeSettings()
    scheduler: SchedulerSettings = SchedulerSettings()

    @property
    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in ``data_dir``."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data_dir.expanduser() / 'satprep.sqlite3'}"


_SECTIONS = ("database", "telegram", "discord", "llm", "practice", "scheduler")
_ALIASES = {"OPENAI_API_KEY": ("llm", "api_key"), "OPENAI_BASE_URL": ("llm", "base_url")}


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (section, key) in _ALIASES.items():
        if env.get(name):
            out.setdefault(section, {})[key] = env[name]
    for name, value in env.items():
        if not name.startswith("SATPREP_"):
            continue
        rest = name[len("SATPREP_") :].lower()
        for section in _SECTIONS:
            if rest.startswith(section + "_"):
                out.setdefault(section, {})[rest[len(section) + 1 :]] = value
                break
        else:
            if rest in ("data_dir", "log_level"):
                out[rest] = value
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_name(loc: tuple[Any, ...]) -> str:
    return "SATPREP_" + "_".join(str(part) for part in loc).upper()


def load_settings(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``config.yaml`` (or ``SATPREP_CONFIG``), apply the environment, validate."""
    env = os.environ if env is None else env
    config_path = Path(path or env.get("SATPREP_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {config_path} not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{config_path}{where}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: must be a mapping of sections")
    data = _merge(raw, _env_overrides(env))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_input=False, include_url=False):
            key = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {key} (env {_env_name(err['loc'])}): {err['msg']}")
        raise ConfigError(
            f"invalid configuration in {config_path} or the environment:\n" + "\n".join(lines)
        ) from None
