"""/progress: score estimates over time, strongest and weakest skills."""

from __future__ import annotations

from sqlalchemy import select

from core.chat.dispatcher import Context, command
from core.chat.messages import Image, Outgoing, Text
from core.content.taxonomy import SECTION_NAMES, SKILLS
from core.db.models import Proficiency
from core.irt.scale import section_score
from core.services.charts import progress_chart


@command("progress", "Your score estimate over time, strongest and weakest skills")
def progress_cmd(ctx: Context) -> list[Outgoing]:
    rows = list(
        ctx.s.scalars(
            select(Proficiency)
            .where(Proficiency.user_id == ctx.user.user_id)
            .order_by(Proficiency.timestamp, Proficiency.id)
        )
    )
    sections = [r for r in rows if r.scope == "section"]
    if not sections:
        return [
            Text(
                "No estimates yet. Take the /diagnostic (about 24 questions) or some /practice "
                "and I'll chart your progress here."
            )
        ]
    series: dict[str, list] = {}
    lines = ["*Your progress*"]
    for section in ("rw", "math"):
        points = [
            (r.timestamp, *section_score(r.theta, r.standard_error))
            for r in sections
            if r.section == section
        ]
        if points:
            series[SECTION_NAMES[section]] = points
            first, last = points[0], points[-1]
            change = last[1] - first[1]
            trend = (
                f" ({'+' if change >= 0 else ''}{change} since your first estimate)"
                if len(points) > 1
                else ""
            )
            lines.append(f"{SECTION_NAMES[section]}: {last[1]} (range {last[2]}–{last[3]}){trend}")
    latest: dict[str, Proficiency] = {}
    for r in rows:
        if r.scope == "skill" and r.skill:
            latest[r.skill] = r
    if latest:
        ranked = sorted(latest.values(), key=lambda r: r.theta)
        weak = ranked[: min(3, len(ranked) // 2 or 1)]
        strong = [r for r in ranked[::-1][:3] if r not in weak]
        lines.append("\nWeakest: " + ", ".join(SKILLS[r.skill].name for r in weak))
        if strong:
            lines.append("Strongest: " + ", ".join(SKILLS[r.skill].name for r in strong))
        lines.append(f"\nTry /practice {ranked[0].skill} next.")
    chart = progress_chart(series, "Score estimate over time")
    return [
        Text("\n".join(lines)),
        Image(chart, caption="Section score estimates over time", filename="progress.png"),
    ]
