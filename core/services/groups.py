"""Study groups: opt-in membership, the question of the day, group challenges.

A Telegram group or a Discord server/channel becomes a group the first time
someone uses a group command there; people become members only by sending
``/join`` themselves. The question of the day is stored once per group and
local date (a unique constraint), so a second run, a second scheduler
process or an admin's ``/qotd now`` after the scheduled post add nothing; a
member's answer is stored once per question (only the first counts) and its
points once per question (ledger ref ``qotd:<id>``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.chat.messages import Image, Outgoing, Poll, Text
from core.chat.render import figure_png
from core.content.item import CHOICE_LETTERS
from core.db.models import (
    GroupChallenge,
    GroupMembership,
    PracticeSession,
    QotdAnswer,
    Question,
    QuestionOfTheDay,
    Response,
    StudyGroup,
    User,
)
from core.services.points import award
from core.services.profile import local_today, parse_clock

DEFAULT_QOTD_TIME = time(9, 0)
QOTD_POINTS = 10
# Telegram's quiz polls take a question of ≤ 300 and options of ≤ 100
# characters; longer items go as a message with the poll under it.
POLL_QUESTION_MAX = 250
POLL_OPTION_MAX = 100
CHALLENGE_DEFAULT_N, CHALLENGE_MIN_N, CHALLENGE_MAX_N = 5, 3, 20
CHALLENGE_DEFAULT_HOURS, CHALLENGE_MAX_HOURS = 24, 168

NOT_MEMBER = "Only members count here. Send /join in the group first (it's opt-in), then try again."


# --------------------------------------------------------------------------
# Groups and membership
# --------------------------------------------------------------------------


def group_for(
    s: Session, platform: str, chat_id: str, title: str | None, now: datetime
) -> StudyGroup:
    """The group of a chat, created on first use (its title kept up to date)."""
    found = s.scalar(
        select(StudyGroup).where(StudyGroup.platform == platform, StudyGroup.external_id == chat_id)
    )
    if found is None:
        found = StudyGroup(
            platform=platform, external_id=chat_id, title=(title or "")[:128], created_at=now
        )
        try:
            with s.begin_nested():
                s.add(found)
        except IntegrityError:  # created by a concurrent first use
            return group_for(s, platform, chat_id, title, now)
    elif title and found.title != title[:128]:
        found.title = title[:128]
    return found


def membership(s: Session, group_id: int, user_id: str) -> GroupMembership | None:
    """The user's membership of the group, if they joined."""
    return s.scalar(
        select(GroupMembership).where(
            GroupMembership.group_id == group_id, GroupMembership.user_id == user_id
        )
    )


def join(s: Session, group: StudyGroup, user: User, is_admin: bool, now: datetime) -> bool:
    """Opt ``user`` in; False when they were already a member."""
    row = membership(s, group.id, user.user_id)
    if row is not None:
        row.is_admin = is_admin
        return False
    s.add(
        GroupMembership(group_id=group.id, user_id=user.user_id, is_admin=is_admin, joined_at=now)
    )
    s.flush()
    return True


def leave(s: Session, group: StudyGroup, user: User) -> bool:
    """Opt out; False when they were not a member."""
    row = membership(s, group.id, user.user_id)
    if row is None:
        return False
    s.delete(row)
    return True


def member_ids(s: Session, group_id: int) -> list[str]:
    """The ids of the group's members."""
    return list(
        s.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group_id))
    )


def groups_of(s: Session, user_id: str) -> list[StudyGroup]:
    """The groups the user joined."""
    return list(
        s.scalars(
            select(StudyGroup)
            .join(GroupMembership, GroupMembership.group_id == StudyGroup.id)
            .where(GroupMembership.user_id == user_id)
            .order_by(StudyGroup.id)
        )
    )


def set_qotd(group: StudyGroup, value: str) -> str:
    """Apply ``/qotd on|off|HH:MM``; returns a sentence describing the setting."""
    value = value.strip().lower()
    if value == "on":
        group.qotd_enabled = True
    elif value == "off":
        group.qotd_enabled = False
    else:
        group.qotd_time = parse_clock(value)
        group.qotd_enabled = True
    return describe_qotd(group)


def describe_qotd(group: StudyGroup) -> str:
    """The group's question-of-the-day setting as a sentence."""
    if not group.qotd_enabled:
        return "The question of the day is off."
    at = (group.qotd_time or DEFAULT_QOTD_TIME).strftime("%H:%M")
    return f"The question of the day is on, daily at {at} ({group.timezone})."


# --------------------------------------------------------------------------
# Question of the day
# --------------------------------------------------------------------------


def group_today(group: StudyGroup, now: datetime) -> date:
    """The group's local date."""
    return local_today(group.timezone, now)


def todays_qotd(s: Session, group: StudyGroup, now: datetime) -> QuestionOfTheDay | None:
    """Today's question of the day of the group, if posted."""
    return s.scalar(
        select(QuestionOfTheDay).where(
            QuestionOfTheDay.group_id == group.id,
            QuestionOfTheDay.local_date == group_today(group, now),
        )
    )


def pick_qotd_question(s: Session, group_id: int, day: date) -> Question | None:
    """A multiple-choice item of medium difficulty never used in this group,
    alternating R&W and Math by date (any difficulty or section when those run out)."""
    used = select(QuestionOfTheDay.question_id).where(QuestionOfTheDay.group_id == group_id)
    base = select(Question.question_id).where(
        Question.type == "mcq",
        Question.retired.is_(False),
        Question.question_id.not_in(used),
    )
    section = ("rw", "math")[day.toordinal() % 2]
    rng = random.Random(f"qotd:{group_id}:{day.isoformat()}")
    for query in (
        base.where(Question.section == section, Question.difficulty == "medium"),
        base.where(Question.difficulty == "medium"),
        base,
    ):
        ids = sorted(s.scalars(query))
        rng.shuffle(ids)
        for qid in ids[:20]:
            q = s.get(Question, qid)
            if q is not None and q.options and not q.figure:
                return q
    return None


def qotd_messages(q: Question, qotd: QuestionOfTheDay, title: str = "") -> list[Outgoing]:
    """The question of the day as a quiz poll (after a message when it is long)."""
    letters = [k for k in CHOICE_LETTERS if k in (q.options or {})]
    options = [str((q.options or {})[k]) for k in letters]
    correct = letters.index(q.correct_answer[0])
    stem = q.text.strip()
    header = f"Question of the day{f' — {title}' if title else ''}"
    explanation = q.explanation.strip()[:200]
    ref = f"qotd:{qotd.id}"
    out: list[Outgoing] = []
    png = figure_png(q)
    if png:
        out.append(Image(png, caption="Figure for the question of the day"))
    long = (
        q.passage or len(stem) > POLL_QUESTION_MAX or any(len(o) > POLL_OPTION_MAX for o in options)
    )
    if long:
        parts = [f"*{header}*"]
        if q.passage2:
            parts += [f"Text 1\n{(q.passage or '').strip()}", f"Text 2\n{q.passage2.strip()}"]
        elif q.passage:
            parts.append(q.passage.strip())
        parts.append(stem)
        parts.append("\n".join(f"{k}) {o}" for k, o in zip(letters, options, strict=True)))
        out.append(Text("\n\n".join(parts)))
        out.append(Poll("Your answer?", tuple(letters), correct, explanation, ref))
    else:
        out.append(Poll(f"{header}: {stem}", tuple(options), correct, explanation, ref))
    return out


def post_question_of_the_day(s: Session, group_id: int, now: datetime) -> list[Outgoing]:
    """Today's question for the group, stored once per local date.

    Returns the messages to post (a :class:`Poll`, after a text when long),
    or an empty list when today's question was already posted or no item is
    left. The adapter then calls :func:`record_qotd_message` with the poll id.
    """
    group = s.get(StudyGroup, group_id)
    if group is None:
        return []
    day = group_today(group, now)
    if todays_qotd(s, group, now) is not None:
        return []
    q = pick_qotd_question(s, group_id, day)
    if q is None:
        return []
    qotd = QuestionOfTheDay(
        group_id=group_id, local_date=day, question_id=q.question_id, posted_at=now
    )
    try:
        with s.begin_nested():
            s.add(qotd)
    except IntegrityError:  # another process posted it first
        return []
    return qotd_messages(q, qotd, group.title)


def record_qotd_message(s: Session, qotd_id: int, message_ref: str) -> None:
    """Remember the platform's poll or message id of a posted question."""
    row = s.get(QuestionOfTheDay, qotd_id)
    if row is not None:
        row.message_ref = message_ref[:64]


def due_qotd_groups(s: Session, now: datetime) -> list[int]:
    """Groups (with members, question of the day on) whose local posting time
    has passed today and that have no question for today yet."""
    with_members = select(GroupMembership.group_id).distinct()
    due: list[int] = []
    for group in s.scalars(
        select(StudyGroup)
        .where(StudyGroup.qotd_enabled.is_(True), StudyGroup.id.in_(with_members))
        .order_by(StudyGroup.id)
    ):
        local = now.astimezone(ZoneInfo(group.timezone))
        if local.time() < (group.qotd_time or DEFAULT_QOTD_TIME):
            continue
        if todays_qotd(s, group, now) is None:
            due.append(group.id)
    return due


def find_qotd(s: Session, ref: str) -> QuestionOfTheDay | None:
    """The question of the day a poll answer refers to (``qotd:<id>`` or the poll id)."""
    prefix, _, raw = ref.partition(":")
    if prefix == "qotd" and raw.isdigit():
        return s.get(QuestionOfTheDay, int(raw))
    return s.scalar(select(QuestionOfTheDay).where(QuestionOfTheDay.message_ref == ref[:64]))


@dataclass(frozen=True)
class QotdResult:
    """A counted answer: right or not, the key, and the points it earned."""

    correct: bool
    key: str
    points: int


def answer_qotd(
    s: Session, qotd: QuestionOfTheDay, user: User, option: int, now: datetime
) -> QotdResult:
    """Count a member's first answer (UserError for a non-member or a second answer)."""
    if membership(s, qotd.group_id, user.user_id) is None:
        raise UserError(NOT_MEMBER)
    q = s.get(Question, qotd.question_id)
    assert q is not None
    letters = [k for k in CHOICE_LETTERS if k in (q.options or {})]
    if not 0 <= option < len(letters):
        raise UserError("That isn't one of the options. Pick one of the answers.")
    if s.scalar(
        select(QotdAnswer.id).where(
            QotdAnswer.qotd_id == qotd.id, QotdAnswer.user_id == user.user_id
        )
    ):
        raise UserError("You already answered today's question; only your first answer counts.")
    letter = letters[option]
    correct = letter == q.correct_answer[0]
    try:
        with s.begin_nested():
            s.add(
                QotdAnswer(
                    qotd_id=qotd.id,
                    user_id=user.user_id,
                    answer=letter,
                    correct=correct,
                    answered_at=now,
                )
            )
    except IntegrityError:  # a double tap raced us
        raise UserError(
            "You already answered today's question; only your first answer counts."
        ) from None
    points = award(s, user, QOTD_POINTS, "qotd", f"qotd:{qotd.id}", now) if correct else 0
    return QotdResult(correct, q.correct_answer[0], points)


def qotd_tally(s: Session, qotd_id: int) -> tuple[int, int]:
    """(right, answered) among members so far."""
    rows = s.execute(
        select(func.count(), func.sum(case((QotdAnswer.correct, 1), else_=0))).where(
            QotdAnswer.qotd_id == qotd_id
        )
    ).one()
    return int(rows[1] or 0), int(rows[0] or 0)


# --------------------------------------------------------------------------
# Challenges
# --------------------------------------------------------------------------


def open_challenge(s: Session, group_id: int, now: datetime) -> GroupChallenge | None:
    """The group's challenge running now, if any."""
    return s.scalar(
        select(GroupChallenge)
        .where(
            GroupChallenge.group_id == group_id,
            GroupChallenge.starts_at <= now,
            GroupChallenge.ends_at > now,
        )
        .order_by(GroupChallenge.id.desc())
        .limit(1)
    )


def latest_challenge(s: Session, group_id: int) -> GroupChallenge | None:
    """The group's newest challenge (running or ended)."""
    return s.scalar(
        select(GroupChallenge)
        .where(GroupChallenge.group_id == group_id)
        .order_by(GroupChallenge.id.desc())
        .limit(1)
    )


def parse_challenge_args(args: str) -> tuple[int, int]:
    """``[n] [hours]`` of ``/challenge``: 3–20 questions over 1–168 hours."""
    parts = args.split()
    try:
        n = int(parts[0]) if parts else CHALLENGE_DEFAULT_N
        hours = int(parts[1]) if len(parts) > 1 else CHALLENGE_DEFAULT_HOURS
    except ValueError:
        raise UserError(
            "Send /challenge [questions] [hours], like /challenge 5 24 (5 questions, 24 hours)."
        ) from None
    if len(parts) > 2 or not CHALLENGE_MIN_N <= n <= CHALLENGE_MAX_N:
        raise UserError(
            f"A challenge has {CHALLENGE_MIN_N}–{CHALLENGE_MAX_N} questions, like /challenge 5 24."
        )
    if not 1 <= hours <= CHALLENGE_MAX_HOURS:
        raise UserError(f"A challenge runs 1–{CHALLENGE_MAX_HOURS} hours, like /challenge 5 24.")
    return n, hours


def create_challenge(
    s: Session, group: StudyGroup, creator: User, n: int, hours: int, now: datetime
) -> GroupChallenge:
    """The same ``n`` multiple-choice items (mixed skills, medium first) for every
    member, open for ``hours``; one running challenge per group."""
    running = open_challenge(s, group.id, now)
    if running is not None:
        raise UserError(
            f"Challenge #{running.id} is still running (until "
            f"{running.ends_at.strftime('%Y-%m-%d %H:%M')} UTC). See /challenge results."
        )
    rng = random.Random(f"challenge:{group.id}:{now.isoformat()}")
    rows = s.execute(
        select(Question.question_id, Question.skill, Question.difficulty).where(
            Question.type == "mcq", Question.retired.is_(False)
        )
    ).all()
    rows = sorted(rows)
    rng.shuffle(rows)
    rows.sort(key=lambda r: r[2] != "medium")  # stable: medium first, shuffled within
    chosen: list[str] = []
    skills: set[str] = set()
    for qid, skill, _ in rows:  # one per skill first, then anything left
        if skill not in skills:
            chosen.append(qid)
            skills.add(skill)
        if len(chosen) == n:
            break
    for qid, _, _ in rows:
        if len(chosen) == n:
            break
        if qid not in chosen:
            chosen.append(qid)
    if len(chosen) < n:
        raise UserError("There aren't enough questions for that challenge. Try fewer.")
    challenge = GroupChallenge(
        group_id=group.id,
        created_by=creator.user_id,
        title=f"{n}-question challenge",
        question_ids=chosen,
        starts_at=now,
        ends_at=now + timedelta(hours=hours),
    )
    s.add(challenge)
    s.flush()
    return challenge


def challenge_session(s: Session, challenge_id: int, user_id: str) -> PracticeSession | None:
    """The member's session of a challenge (one each)."""
    return s.scalar(
        select(PracticeSession)
        .where(PracticeSession.challenge_id == challenge_id, PracticeSession.user_id == user_id)
        .order_by(PracticeSession.started_at)
        .limit(1)
    )


@dataclass(frozen=True)
class ChallengeRow:
    """One participant's result: ranked by correct answers, then less time."""

    rank: int
    user_id: str
    name: str
    correct: int
    answered: int
    seconds: int


def challenge_results(s: Session, challenge: GroupChallenge) -> list[ChallengeRow]:
    """Every participant who answered at least once, best first."""
    rows = s.execute(
        select(
            Response.user_id,
            func.count(),
            func.sum(case((Response.correct, 1), else_=0)),
            func.sum(Response.time_spent),
        )
        .join(PracticeSession, PracticeSession.session_id == Response.session_id)
        .where(PracticeSession.challenge_id == challenge.id)
        .group_by(Response.user_id)
    ).all()
    names = {
        u.user_id: u.username or u.display_name or "someone"  # as on the leaderboards
        for u in s.scalars(select(User).where(User.user_id.in_([r[0] for r in rows])))
    }
    scored = sorted(
        ((uid, int(right or 0), int(n), int(secs or 0)) for uid, n, right, secs in rows),
        key=lambda r: (-r[1], r[3], names.get(r[0], "").lower(), r[0]),
    )
    out: list[ChallengeRow] = []
    for i, (uid, right, n, secs) in enumerate(scored):
        same = out and (out[-1].correct, out[-1].seconds) == (right, secs)
        rank = out[-1].rank if same else i + 1
        out.append(ChallengeRow(rank, uid, names.get(uid, "someone"), right, n, secs))
    return out
