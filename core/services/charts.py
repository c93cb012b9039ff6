"""Charts as PNG bytes (matplotlib, no display): score reports and progress."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def score_chart(rows: Sequence[tuple[str, int, int, int]], title: str) -> bytes:
    """Horizontal bars of scores with their ranges: rows of (label, score, low, high)."""
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(rows)))
    labels = [r[0] for r in rows][::-1]
    scores = [r[1] for r in rows][::-1]
    lows = [r[1] - r[2] for r in rows][::-1]
    highs = [r[3] - r[1] for r in rows][::-1]
    ax.barh(labels, scores, color="#4a7fd4", xerr=[lows, highs], capsize=3, ecolor="#333")
    for y, value in enumerate(scores):
        ax.text(value + 12, y, str(value), va="center", fontsize=9)
    ax.set_xlim(200, 850)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def progress_chart(
    series: dict[str, Sequence[tuple[datetime, int, int, int]]], title: str
) -> bytes:
    """Section score estimates over time, each with its range as a band."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, points in series.items():
        if not points:
            continue
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        err = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=4, label=label)
        if len(xs) > 1:
            ax.fill_between(xs, [p[2] for p in points], [p[3] for p in points], alpha=0.12)
    stamps = [p[0] for points in series.values() for p in points]
    if stamps and max(stamps) - min(stamps) < timedelta(days=1):
        ax.set_xlim(min(stamps) - timedelta(days=1), max(stamps) + timedelta(days=1))
    ax.set_ylim(200, 800)
    ax.set_ylabel("section score")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.autofmt_xdate()
    return _png(fig)
