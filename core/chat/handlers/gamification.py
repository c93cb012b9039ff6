"""/streak, /league, /badges and /leaderboard (league this week, or all time)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.chat.dispatcher import Context, command
from core.chat.errors import UserError
from core.chat.messages import Outgoing, Text
from core.db.models import Badge, LeagueMembership
from core.services import badges, leagues, streaks
from core.services.leaderboard import format_board, standings
from core.services.profile import local_today


@command("streak", "Your daily streak, best streak and streak freezes", section="Progress")
def streak_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.args.strip():
        raise UserError("/streak takes no arguments.")
    today = local_today(ctx.user.timezone, ctx.now)
    state, done_today = streaks.state_now(ctx.s, ctx.user, today)
    now_streak = streaks.current(state, today)
    best = max(state.best, now_streak)
    lines = [
        f"🔥 Streak: {now_streak} day{'s' if now_streak != 1 else ''}",
        f"🏆 Best: {best} day{'s' if best != 1 else ''}",
        f"🧊 Streak freezes: {state.freezes}/{streaks.MAX_FREEZES}",
        streaks.status_line(state, today, done_today),
        "",
        f"A day counts when you answer at least one question (your time zone: "
        f"{ctx.user.timezone}). Every 7 days in a row earns a freeze (you hold up to "
        f"{streaks.MAX_FREEZES}); one covers a single missed day automatically.",
    ]
    return [Text("\n".join(lines))]


def _time_left(ctx: Context) -> str:
    end = leagues.week_end(leagues.current_week(ctx.now))
    left = end - ctx.now
    days, hours = left.days, left.seconds // 3600
    return f"{days} d {hours} h" if days else f"{hours} h {left.seconds % 3600 // 60} min"


def _league_text(ctx: Context) -> str:
    week = leagues.current_week(ctx.now)
    row = leagues.join(ctx.s, ctx.user, week)
    tier = ctx.user.league
    if row is None:
        return (
            f"*{tier} league* — week of {week.isoformat()}\n"
            "You're not in this week's league yet: earn points (a correct /practice answer, "
            f"a plan action from /today) to join a {tier} cohort of about "
            f"{leagues.COHORT_SIZE} students."
        )
    board = leagues.cohort_standings(ctx.s, row)
    up, down = leagues.zone_sizes(len(board), row.tier)
    title = (
        f"*{row.tier} league* · cohort {row.cohort} · week of {week.isoformat()} "
        f"(ends Monday 00:00 UTC, in {_time_left(ctx)})"
    )
    lines = [format_board(board, ctx.user.user_id, title)]
    me = next(i for i, r in enumerate(board) if r.user_id == ctx.user.user_id)
    index = leagues.TIERS.index(row.tier)
    zones = []
    if up:
        zones.append(f"top {up} move up to {leagues.TIERS[index + 1]}")
    if down:
        zones.append(f"bottom {down} move down to {leagues.TIERS[index - 1]}")
    if zones:
        lines.append("At week's end: " + "; ".join(zones) + ".")
    if me < up and board[me].points > 0:
        lines.append("You're in the promotion zone. 🚀")
    elif down and me >= len(board) - down:
        lines.append("You're in the demotion zone: a few correct answers can lift you out.")
    return "\n".join(lines)


@command("league", "Your weekly league: cohort standings and promotion zones", section="Progress")
def league_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.args.strip():
        raise UserError("/league takes no arguments. /leaderboard all shows all-time points.")
    return [Text(_league_text(ctx))]


LEADERBOARD_USAGE = (
    "Use /leaderboard (your league this week), /leaderboard week (the same) or "
    "/leaderboard all (all-time points in your league cohort). Friends' and groups' "
    "boards have their own commands: see /help."
)


@command(
    "leaderboard",
    "League standings this week, or all-time points of your cohort",
    usage="[league|week|all]",
    section="Progress",
)
def leaderboard_cmd(ctx: Context) -> list[Outgoing]:
    arg = ctx.args.strip().lower()
    if arg in ("", "league", "week"):
        return [Text(_league_text(ctx))]
    if arg not in ("all", "alltime", "all-time"):
        raise UserError(f"I don't know the board {arg[:20]!r}. " + LEADERBOARD_USAGE)
    row = _latest_membership(ctx)
    ids = [ctx.user.user_id] if row is None else leagues.cohort_members(ctx.s, row)
    if ctx.user.user_id not in ids:
        ids.append(ctx.user.user_id)
    title = "*All-time points* — " + (
        f"your {row.tier} cohort of the week of {row.week.isoformat()}"
        if row is not None
        else "you (join a league by earning points this week)"
    )
    return [Text(format_board(standings(ctx.s, ids), ctx.user.user_id, title))]


def _latest_membership(ctx: Context) -> LeagueMembership | None:
    week = leagues.current_week(ctx.now)
    row = leagues.join(ctx.s, ctx.user, week)
    if row is not None:
        return row
    return ctx.s.scalars(
        select(LeagueMembership)
        .where(
            LeagueMembership.user_id == ctx.user.user_id,
            LeagueMembership.week <= week - timedelta(days=7),
        )
        .order_by(LeagueMembership.week.desc())
        .limit(1)
    ).first()


@command("badges", "The badges you've earned and the next ones", section="Progress")
def badges_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.args.strip():
        raise UserError("/badges takes no arguments.")
    rows = ctx.s.scalars(
        select(Badge).where(Badge.user_id == ctx.user.user_id).order_by(Badge.awarded_at, Badge.id)
    ).all()
    lines = ["*Your badges*"]
    if rows:
        lines += [f"🏅 {badges.title_of(b.name)} — {b.awarded_at.date().isoformat()}" for b in rows]
    else:
        lines.append("None yet.")
    upcoming = badges.progress(ctx.s, ctx.user)
    if upcoming:
        lines.append("\n*Next up*")
        lines += upcoming
    return [Text("\n".join(lines))]
