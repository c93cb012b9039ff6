"""Study groups: membership, the question of the day, challenges (both engines)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.chat.messages import Poll, Text
from core.db.engine import Database
from core.db.models import PointsEntry, QotdAnswer, Question, QuestionOfTheDay, StudyGroup, User
from core.services import groups


def _setup(s: Session, clock, members: int = 2) -> tuple[StudyGroup, list[User]]:  # type: ignore[no-untyped-def]
    group = groups.group_for(s, "telegram", "-100", "SAT Squad", clock.now)
    users = [User(display_name=f"M{i}", username=f"m{i}") for i in range(members)]
    s.add_all(users)
    s.flush()
    for u in users:
        groups.join(s, group, u, False, clock.now)
    return group, users


def _poll(out: list) -> Poll:  # type: ignore[type-arg]
    polls = [m for m in out if isinstance(m, Poll)]
    assert len(polls) == 1
    return polls[0]


def test_group_created_once_and_membership_is_opt_in(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        g1 = groups.group_for(s, "telegram", "-100", "SAT Squad", clock.now)
        g2 = groups.group_for(s, "telegram", "-100", "SAT Squad 2", clock.now)
        other = groups.group_for(s, "discord", "-100", "Server", clock.now)
        assert g1.id == g2.id != other.id and g1.title == "SAT Squad 2"
        assert groups.member_ids(s, g1.id) == []
        u = User(display_name="A")
        s.add(u)
        s.flush()
        assert groups.join(s, g1, u, False, clock.now) is True
        assert groups.join(s, g1, u, True, clock.now) is False
        assert groups.membership(s, g1.id, u.user_id).is_admin  # type: ignore[union-attr]
        assert groups.member_ids(s, g1.id) == [u.user_id]
        assert groups.leave(s, g1, u) is True
        s.flush()
        assert groups.leave(s, g1, u) is False


def test_qotd_posts_once_per_local_day(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        group, _ = _setup(s, clock)
        out = groups.post_question_of_the_day(s, group.id, clock.now)
        poll = _poll(out)
        row = s.scalar(select(QuestionOfTheDay))
        assert row is not None and poll.ref == f"qotd:{row.id}"
        q = s.get(Question, row.question_id)
        assert q is not None and q.type == "mcq" and q.difficulty == "medium"
        assert poll.options[poll.correct_index] == q.options[q.correct_answer[0]]  # type: ignore[index]
        assert groups.post_question_of_the_day(s, group.id, clock.now + timedelta(hours=2)) == []
        assert s.scalar(select(func.count()).select_from(QuestionOfTheDay)) == 1
        used = {row.question_id}
        for day in range(1, 6):
            out = groups.post_question_of_the_day(s, group.id, clock.now + timedelta(days=day))
            assert out and isinstance(out[-1], Poll)
            latest = s.scalars(
                select(QuestionOfTheDay).order_by(QuestionOfTheDay.id.desc())
            ).first()
            assert latest is not None and latest.question_id not in used  # never repeated
            used.add(latest.question_id)


def test_long_items_come_as_text_then_poll(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        group, _ = _setup(s, clock)
        q = s.scalars(select(Question).where(Question.type == "mcq")).first()
        assert q is not None
        q.passage = "A long passage. " * 40
        row = QuestionOfTheDay(
            group_id=group.id, local_date=clock.now.date(), question_id=q.question_id
        )
        s.add(row)
        s.flush()
        out = groups.qotd_messages(q, row, "Squad")
        assert isinstance(out[0], Text) and "A long passage." in out[0].text
        assert _poll(out).options == ("A", "B", "C", "D") and _poll(out).correct_index == 1


def test_due_groups_follow_local_time(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        group, _ = _setup(s, clock)  # clock: 15:00 UTC
        empty = groups.group_for(s, "telegram", "-200", "Nobody joined", clock.now)
        group.timezone = "Asia/Tokyo"  # 00:00 next day there
        group.qotd_time = time(8, 0)
        assert groups.due_qotd_groups(s, clock.now) == []
        later = clock.now + timedelta(hours=8)  # 08:00 in Tokyo
        assert groups.due_qotd_groups(s, later) == [group.id]
        assert empty.id not in groups.due_qotd_groups(s, later)
        groups.post_question_of_the_day(s, group.id, later)
        assert groups.due_qotd_groups(s, later) == []
        groups.set_qotd(group, "off")
        assert groups.due_qotd_groups(s, later + timedelta(days=1)) == []
        assert "off" in groups.describe_qotd(group)
        assert "10:30" in groups.set_qotd(group, "10:30") and group.qotd_enabled
        with pytest.raises(UserError, match="HH:MM"):
            groups.set_qotd(group, "sometimes")


def test_qotd_answers_first_only_members_only(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        group, (ann, bob) = _setup(s, clock)
        poll = _poll(groups.post_question_of_the_day(s, group.id, clock.now))
        qotd = groups.find_qotd(s, poll.ref)
        assert qotd is not None
        right = groups.answer_qotd(s, qotd, ann, poll.correct_index, clock.now)
        assert right.correct and right.points == groups.QOTD_POINTS
        with pytest.raises(UserError, match="only your first answer counts"):
            groups.answer_qotd(s, qotd, ann, (poll.correct_index + 1) % 4, clock.now)
        wrong = groups.answer_qotd(s, qotd, bob, (poll.correct_index + 1) % 4, clock.now)
        assert not wrong.correct and wrong.points == 0
        stranger = User(display_name="S")
        s.add(stranger)
        s.flush()
        with pytest.raises(UserError, match="/join"):
            groups.answer_qotd(s, qotd, stranger, poll.correct_index, clock.now)
        with pytest.raises(UserError, match="options"):
            groups.answer_qotd(s, qotd, bob, 7, clock.now)
        assert s.scalar(select(func.count()).select_from(QotdAnswer)) == 2
        assert s.scalar(select(func.sum(PointsEntry.points))) == groups.QOTD_POINTS
        assert groups.qotd_tally(s, qotd.id) == (1, 2)
        groups.record_qotd_message(s, qotd.id, "5412345")
        assert groups.find_qotd(s, "5412345") is qotd
        assert groups.find_qotd(s, "qotd:999") is None


def test_challenge_rules(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        group, (ann, _) = _setup(s, clock)
        for bad in ("2", "21", "5 0", "5 200", "five", "5 24 9"):
            with pytest.raises(UserError):
                groups.parse_challenge_args(bad)
        assert groups.parse_challenge_args("") == (5, 24)
        n, hours = groups.parse_challenge_args("6 2")
        challenge = groups.create_challenge(s, group, ann, n, hours, clock.now)
        assert len(challenge.question_ids) == 6 == len(set(challenge.question_ids))
        kinds = {s.get(Question, q).type for q in challenge.question_ids}  # type: ignore[union-attr]
        assert kinds == {"mcq"}
        with pytest.raises(UserError, match="still running"):
            groups.create_challenge(s, group, ann, 5, 24, clock.now)
        assert groups.open_challenge(s, group.id, clock.now + timedelta(hours=3)) is None
        assert groups.create_challenge(s, group, ann, 3, 1, clock.now + timedelta(hours=3))
