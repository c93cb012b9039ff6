"""Turning a claimed outbox row into the messages a platform sender delivers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.chat.messages import Image, Outgoing, Text
from core.services.outbox import Claimed


def render_push(s: Session, claimed: Claimed) -> list[Outgoing]:
    """The text of a notification, plus its chart when the payload asks for one."""
    out: list[Outgoing] = [Text(claimed.message)]
    if claimed.payload.get("chart") == "progress":
        from core.services.reports_family import progress_png

        png = progress_png(s, str(claimed.payload.get("student_id", claimed.user_id)))
        if png:
            out.append(Image(png, caption="Score estimate over time", filename="progress.png"))
    return out
