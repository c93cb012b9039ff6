"""Study groups: /join, /leave, /groupboard, /qotd, question-of-the-day answers, /challenge.

Group commands run in the group chat (a Telegram group, a Discord server or
channel); the group row is created on first use. Challenge questions are
answered in the private chat, one member at a time, with their own buttons.
"""

from __future__ import annotations

from core.chat.dispatcher import Context, action, command, poll_route, text_route
from core.chat.errors import UserError
from core.chat.handlers.practice import TEST_KINDS
from core.chat.messages import Edit, Outgoing, Text
from core.chat.render import key_text, progress_bar, question_body, question_messages
from core.chat.tokens import Pressed, new_token
from core.db.models import GroupChallenge, PracticeSession, Question, StudyGroup
from core.services import events, groups, practice
from core.services.leaderboard import format_board, standings
from core.services.points import POINTS_BY_DIFFICULTY, award, record_activity, week_of
from core.services.profile import parse_timezone
from core.services.questions import check_answer

SECTION = "Groups"


def in_group(ctx: Context) -> StudyGroup:
    """The study group of the chat the command came from (UserError in a DM)."""
    inc = ctx.incoming
    if inc.chat_kind != "group":
        raise UserError(
            f"/{inc.command} works in a study group: add me to your Telegram group or "
            "Discord server and send it there."
        )
    group = groups.group_for(ctx.s, inc.platform, inc.chat_id, inc.chat_title, ctx.now)
    row = groups.membership(ctx.s, group.id, ctx.user.user_id)
    if row is not None and row.is_admin != inc.is_chat_admin:
        row.is_admin = inc.is_chat_admin  # the platform's word is the current truth
    return group


def require_admin(ctx: Context) -> None:
    """Refuse unless the platform says the caller administers this chat."""
    if not ctx.incoming.is_chat_admin:
        raise UserError("Only the group's admins can do that.")


@command("join", "Join this study group (opt-in)", group=True, section=SECTION)
def join_cmd(ctx: Context) -> list[Outgoing]:
    group = in_group(ctx)
    if not groups.join(ctx.s, group, ctx.user, ctx.incoming.is_chat_admin, ctx.now):
        return [Text("You're already a member. /groupboard shows where you stand.")]
    return [
        Text(
            f"Welcome to {group.title or 'the group'}! Your points now count on /groupboard, "
            "and you can answer the question of the day. /leave any time."
        )
    ]


@command("leave", "Leave this study group", group=True, section=SECTION)
def leave_cmd(ctx: Context) -> list[Outgoing]:
    group = in_group(ctx)
    if not groups.leave(ctx.s, group, ctx.user):
        return [Text("You're not a member of this group. /join to take part.")]
    return [Text("You've left the group. /join to come back.")]


def _board(ctx: Context, group: StudyGroup, all_time: bool) -> str:
    ids = groups.member_ids(ctx.s, group.id)
    rows = standings(ctx.s, ids, week=None if all_time else week_of(ctx.now.date()))
    when = "all time" if all_time else "this week"
    return format_board(rows, ctx.user.user_id, f"*{group.title or 'Group'} — {when}*")


@command(
    "groupboard",
    "The group's leaderboard: this week (or alltime)",
    usage="[alltime]",
    group=True,
    section=SECTION,
)
def groupboard_cmd(ctx: Context) -> list[Outgoing]:
    all_time = ctx.args.strip().lower() in ("all", "alltime", "all_time", "all-time")
    if ctx.incoming.chat_kind == "group":
        group = in_group(ctx)
        text = _board(ctx, group, all_time)
        if groups.membership(ctx.s, group.id, ctx.user.user_id) is None:
            text += "\n\nYou're not on it yet: /join to take part."
        return [Text(text)]
    mine = groups.groups_of(ctx.s, ctx.user.user_id)
    if not mine:
        return [Text("You haven't joined a study group. Send /join in your group's chat.")]
    return [Text("\n\n".join(_board(ctx, g, all_time) for g in mine[:5]))]


# --------------------------------------------------------------------------
# Question of the day
# --------------------------------------------------------------------------


@command(
    "qotd",
    "Question of the day: status; admins: on, off, HH:MM, tz ZONE, now",
    usage="[on|off|HH:MM|tz ZONE|now]",
    group=True,
    section=SECTION,
)
def qotd_cmd(ctx: Context) -> list[Outgoing]:
    group = in_group(ctx)
    arg = ctx.args.strip()
    if not arg:
        today = groups.todays_qotd(ctx.s, group, ctx.now)
        status = "Today's question is posted above." if today else "Today's is not posted yet."
        return [Text(f"{groups.describe_qotd(group)} {status}")]
    require_admin(ctx)
    verb, _, rest = arg.partition(" ")
    if verb.lower() == "now":
        out = groups.post_question_of_the_day(ctx.s, group.id, ctx.now)
        if not out:
            return [Text("Today's question of the day is already posted (one a day).")]
        return out
    if verb.lower() in ("tz", "timezone"):
        group.timezone = parse_timezone(rest)
        return [Text(groups.describe_qotd(group))]
    return [Text(groups.set_qotd(group, arg))]


@poll_route
def handle_poll_answer(ctx: Context) -> list[Outgoing]:
    """An answer to a group quiz poll (Telegram) or its option button (Discord)."""
    ref, option = ctx.incoming.poll_ref or "", ctx.incoming.poll_option
    qotd = groups.find_qotd(ctx.s, ref)
    if qotd is None or option is None:
        raise UserError("That question is no longer open.")
    result = groups.answer_qotd(ctx.s, qotd, ctx.user, option, ctx.now)
    if result.correct:
        text = f"✅ Correct! +{result.points} points." if result.points else "✅ Correct!"
    else:
        text = f"❌ Not this time: the answer is {result.key}."
    return [Text(text, private=True)]


# --------------------------------------------------------------------------
# Challenges
# --------------------------------------------------------------------------

CHALLENGE_HELP = (
    "Group challenges:\n"
    "/challenge [questions] [hours] — admins start one in the group (default 5 for 24 hours)\n"
    "/challenge join — members take it, in a private chat with me\n"
    "/challenge results — the ranking: most correct, then least time"
)


def _results_text(ctx: Context, challenge: GroupChallenge) -> str:
    rows = groups.challenge_results(ctx.s, challenge)
    state = (
        "ended"
        if challenge.ends_at <= ctx.now
        else (f"running until {challenge.ends_at.strftime('%Y-%m-%d %H:%M')} UTC")
    )
    lines = [f"*Challenge #{challenge.id}: {challenge.title}* ({state})"]
    if not rows:
        lines.append("Nobody has answered yet.")
    for r in rows:
        me = " ← you" if r.user_id == ctx.user.user_id else ""
        lines.append(
            f"{r.rank}. {r.name} — {r.correct}/{len(challenge.question_ids)} correct, "
            f"{r.seconds // 60}m{r.seconds % 60:02d}s{me}"
        )
    return "\n".join(lines)


def _challenge_by_id(ctx: Context, raw: str) -> GroupChallenge:
    challenge = ctx.s.get(GroupChallenge, int(raw)) if raw.isdigit() else None
    if challenge is None or groups.membership(ctx.s, challenge.group_id, ctx.user.user_id) is None:
        raise UserError(f"You have no challenge #{raw[:12]}. /challenge lists the open ones.")
    return challenge


@command(
    "challenge",
    "Group challenges: start (admins), join, results",
    usage="[n hours | join | results]",
    group=True,
    section=SECTION,
)
def challenge_cmd(ctx: Context) -> list[Outgoing]:
    verb, _, rest = ctx.args.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if ctx.incoming.chat_kind == "group":
        group = in_group(ctx)
        if verb == "results":
            latest = groups.latest_challenge(ctx.s, group.id)
            if latest is None:
                return [Text("No challenge yet. " + CHALLENGE_HELP)]
            return [Text(_results_text(ctx, latest))]
        if verb == "join":
            if groups.membership(ctx.s, group.id, ctx.user.user_id) is None:
                raise UserError(groups.NOT_MEMBER)
            running = groups.open_challenge(ctx.s, group.id, ctx.now)
            if running is None:
                return [Text("No challenge is running. An admin starts one with /challenge 5 24.")]
            return [Text(f"Send me /challenge join {running.id} in a private chat to take it.")]
        if verb in ("help", "?"):
            return [Text(CHALLENGE_HELP)]
        require_admin(ctx)
        n, hours = groups.parse_challenge_args(ctx.args)
        challenge = groups.create_challenge(ctx.s, group, ctx.user, n, hours, ctx.now)
        return [
            Text(
                f"🏁 Challenge #{challenge.id}: {n} questions, open for {hours} hours. Members: "
                f"send me /challenge join {challenge.id} in a private chat. Most correct wins; "
                "ties go to the faster."
            )
        ]
    return _challenge_dm(ctx, verb, rest)


def _challenge_dm(ctx: Context, verb: str, rest: str) -> list[Outgoing]:
    if verb == "results":
        if rest:
            return [Text(_results_text(ctx, _challenge_by_id(ctx, rest)))]
        latest = [
            c
            for g in groups.groups_of(ctx.s, ctx.user.user_id)
            if (c := groups.latest_challenge(ctx.s, g.id)) is not None
        ]
        if not latest:
            return [Text("None of your groups has had a challenge yet.")]
        return [Text("\n\n".join(_results_text(ctx, c) for c in latest[:5]))]
    if verb != "join":
        running = [
            c
            for g in groups.groups_of(ctx.s, ctx.user.user_id)
            if (c := groups.open_challenge(ctx.s, g.id, ctx.now)) is not None
        ]
        listing = "\n".join(
            f"#{c.id} {c.title}, until {c.ends_at.strftime('%Y-%m-%d %H:%M')} UTC" for c in running
        )
        return [Text(f"Running now:\n{listing}\n\n{CHALLENGE_HELP}" if running else CHALLENGE_HELP)]
    if rest:
        challenge = _challenge_by_id(ctx, rest)
    else:
        running = [
            c
            for g in groups.groups_of(ctx.s, ctx.user.user_id)
            if (c := groups.open_challenge(ctx.s, g.id, ctx.now)) is not None
        ]
        if not running:
            raise UserError("None of your groups has a challenge running right now.")
        if len(running) > 1:
            ids = ", ".join(f"#{c.id}" for c in running)
            raise UserError(f"Several challenges are running ({ids}): send /challenge join ID.")
        challenge = running[0]
    return start_challenge(ctx, challenge)


def start_challenge(ctx: Context, challenge: GroupChallenge) -> list[Outgoing]:
    """Open the member's session over the challenge's items (one each), or resume it."""
    if not challenge.starts_at <= ctx.now < challenge.ends_at:
        raise UserError(f"Challenge #{challenge.id} has ended. /challenge results {challenge.id}")
    current = practice.active_session(ctx.s, ctx.user.user_id)
    if current is not None and current.test_type in TEST_KINDS:
        raise UserError("You're in the middle of a test. Finish it, or end it with /stop, first.")
    existing = groups.challenge_session(ctx.s, challenge.id, ctx.user.user_id)
    if existing is not None:
        if existing.status != "active":
            raise UserError(
                f"You've already taken challenge #{challenge.id}. /challenge results {challenge.id}"
            )
        return [Text(f"Back to challenge #{challenge.id}."), *ask_challenge(ctx, existing)]
    ids = list(challenge.question_ids)
    session = practice.start(
        ctx.s, ctx.user, "challenge", [], len(ids), ctx.now, extra={"questions": ids}
    )
    session.challenge_id = challenge.id
    return [
        Text(
            f"Challenge #{challenge.id}: {len(ids)} questions, the same for everyone. "
            "The clock runs while a question is open. Good luck!"
        ),
        *ask_challenge(ctx, session),
    ]


def ask_challenge(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """The challenge session's next question, in the challenge's order."""
    ids: list[str] = list((session.state or {}).get("questions", []))
    done = len(practice.session_results(ctx.s, session.session_id))
    challenge = ctx.s.get(GroupChallenge, session.challenge_id) if session.challenge_id else None
    if done >= len(ids) or challenge is None or challenge.ends_at <= ctx.now:
        return finish_challenge(ctx, session)
    q = ctx.s.get(Question, ids[done])
    if q is None:
        return finish_challenge(ctx, session)
    session.current_question_id = q.question_id
    session.asked_at = ctx.now
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "chal",
        {"session": session.session_id, "question": q.question_id},
        ctx.now,
    )
    header = f"Challenge Q {done + 1}/{len(ids)} {progress_bar(done, len(ids))}"
    return question_messages(q, header, token, (("Skip", "skip"),))


def finish_challenge(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """Close the session and tell the member where they stand."""
    session.status = "finished"
    session.finished_at = ctx.now
    session.current_question_id = None
    results = practice.session_results(ctx.s, session.session_id)
    right = sum(r.correct for r, _ in results)
    seconds = sum(r.time_spent for r, _ in results)
    session.report = {"right": right, "total": len(results), "seconds": seconds}
    lines = [
        f"Challenge done: {right}/{len(results)} correct in {seconds // 60}m{seconds % 60:02d}s.",
        f"See the ranking with /challenge results {session.challenge_id}.",
    ]
    lines += events.publish(
        ctx.s,
        events.SessionFinished(
            ctx.user.user_id, session.session_id, "challenge", right, len(results), None
        ),
        ctx.now,
    )
    return [Text("\n".join(lines))]


def _answer_challenge(
    ctx: Context, session: PracticeSession, q: Question, raw: str | None, from_button: bool
) -> list[Outgoing]:
    challenge = ctx.s.get(GroupChallenge, session.challenge_id) if session.challenge_id else None
    if challenge is None or challenge.ends_at <= ctx.now:
        return [
            Text("The challenge has ended; your answers so far count."),
            *finish_challenge(ctx, session),
        ]
    checked = None if raw is None else check_answer(q, raw)  # UserError: nothing changes
    right = checked is not None and checked.correct
    points = POINTS_BY_DIFFICULTY[q.difficulty] if right else 0
    response = practice.record(ctx.s, session, q, checked, ctx.now, points=points)
    record_activity(ctx.s, ctx.user, ctx.now, response.time_spent)
    out: list[Outgoing] = []
    if from_button:
        mark = "skipped" if checked is None else f"your answer: {checked.answer}"
        out.append(Edit(f"{question_body(q)}\n\n({mark})"))
    if right:
        award(ctx.s, ctx.user, points, "answer", f"response:{response.id}", ctx.now, fresh=True)
        verdict = "✅ Correct!" + (f" +{points} points" if points else "")
    elif checked is None:
        verdict = f"Skipped. The answer is {key_text(q)}."
    else:
        verdict = f"❌ Not quite. The answer is {key_text(q)}."
    events.publish(
        ctx.s,
        events.AnswerRecorded(
            ctx.user.user_id,
            session.session_id,
            "challenge",
            response.id,
            q.question_id,
            bool(checked and checked.correct),
            checked is None,
        ),
        ctx.now,
    )
    out.append(Text(verdict))
    return out + ask_challenge(ctx, session)


@action("chal")
def challenge_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """An answer button of a challenge question (the token is the member's own)."""
    session = ctx.s.get(PracticeSession, pressed.row.payload.get("session"))
    qid = pressed.row.payload.get("question")
    if session is None or session.user_id != ctx.user.user_id:
        raise UserError("That question is no longer open. /challenge join to continue.")
    if session.status != "active" or session.current_question_id != qid:
        raise UserError("You've already answered that question.")
    q = ctx.s.get(Question, qid)
    assert q is not None
    pressed.row.used_at = ctx.now
    return _answer_challenge(ctx, session, q, None if pressed.arg == "skip" else pressed.arg, True)


@text_route
def typed_challenge_answer(ctx: Context, text: str) -> list[Outgoing] | None:
    """A typed answer (a letter) to the open challenge question."""
    session = practice.active_session(ctx.s, ctx.user.user_id)
    if session is None or session.test_type != "challenge" or session.current_question_id is None:
        return None
    q = ctx.s.get(Question, session.current_question_id)
    assert q is not None
    return _answer_challenge(ctx, session, q, text, False)
