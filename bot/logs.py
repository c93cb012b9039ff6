"""Logging set-up with secret redaction.

Client libraries log request URLs (the Telegram Bot API puts the token in
the path, and httpx logs every request at INFO), so every handler gets a
filter that replaces each configured secret with ``***`` before a record is
written, whatever logger produced it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.settings import Settings


class RedactSecrets(logging.Filter):
    """Replace known secret values in a record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
        return True


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, in clear, for the redaction filter."""
    values = []
    for secret in (
        settings.telegram.token,
        settings.telegram.webhook_secret,
        settings.discord.token,
        settings.llm.api_key,
    ):
        if secret is not None:
            values.append(secret.get_secret_value())
    return values


def setup_logging(settings: Settings) -> None:
    """Configure the root logger once, with redaction on every handler."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = RedactSecrets(secret_values(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request URL at INFO; the Bot API URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
