"""Posts and comments: no spoilers, limits, deletion and moderation (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.engine import Database
from core.db.models import Comment, Post, PracticeSession, Question, Response, StudentLink, User
from core.services import groups, posts


def _user(s: Session, name: str) -> User:
    u = User(display_name=name.title(), username=name)
    s.add(u)
    s.flush()
    return u


def _answer(
    s: Session, user: User, q: Question, clock, kind: str = "practice", status: str = "finished"
) -> None:  # type: ignore[no-untyped-def]
    session = PracticeSession(
        user_id=user.user_id, test_type=kind, status=status, started_at=clock.now
    )
    s.add(session)
    s.flush()
    s.add(
        Response(
            session_id=session.session_id,
            user_id=user.user_id,
            question_id=q.question_id,
            answer="B",
            correct=True,
            timestamp=clock.now,
        )
    )
    s.flush()


def _count(s: Session, model: type) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_thread_only_after_answering(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob, cat = _user(s, "ann"), _user(s, "bob"), _user(s, "cat")
        q = s.scalars(select(Question)).first()
        assert q is not None
        with pytest.raises(UserError, match="Answer this question first"):
            posts.create_post(s, ann, "How?", clock.now, question_id=q.question_id)
        _answer(s, ann, q, clock)
        post = posts.create_post(
            s, ann, "  Doubling trick!  ", clock.now, question_id=q.question_id
        )
        assert post.content == "Doubling trick!"
        with pytest.raises(UserError, match="Answer this question first"):
            posts.add_comment(s, bob, post.id, "me too", clock.now)
        with pytest.raises(UserError, match="Answer this question first"):
            posts.visible_post(s, bob, post.id)
        # an item in a running test does not open its thread (the test is not over)
        _answer(s, cat, q, clock, kind="full", status="active")
        assert not posts.has_answered(s, cat.user_id, q.question_id)
        assert posts.latest_answered(s, cat.user_id) is None
        _answer(s, bob, q, clock)
        comment = posts.add_comment(s, bob, post.id, "Nice", clock.now)
        assert [p.id for p in posts.thread(s, q.question_id)] == [post.id]
        assert f"c{comment.id} @bob: Nice" in posts.render_post(post)
        assert posts.latest_answered(s, bob.user_id) is q


def test_length_and_rate_limits(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann = _user(s, "ann")
        group = groups.group_for(s, "discord", "g1", "Guild", clock.now)
        groups.join(s, group, ann, False, clock.now)
        with pytest.raises(UserError, match="at most 500"):
            posts.create_post(s, ann, "x" * 501, clock.now, group_id=group.id)
        with pytest.raises(UserError, match="Write something"):
            posts.create_post(s, ann, "   ", clock.now, group_id=group.id)
        assert posts.create_post(s, ann, "x" * 500, clock.now, group_id=group.id)
        now = clock.now
        for i in range(posts.BURST - 1):
            posts.create_post(s, ann, f"post {i}", now, group_id=group.id)
        with pytest.raises(UserError, match="last 10 minutes"):
            posts.create_post(s, ann, "one more", now, group_id=group.id)
        written = posts.BURST
        while written < posts.DAILY:
            now += timedelta(minutes=11)
            for _ in range(min(posts.BURST, posts.DAILY - written)):
                posts.create_post(s, ann, "more", now, group_id=group.id)
                written += 1
        now += timedelta(minutes=11)
        with pytest.raises(UserError, match="daily limit"):
            posts.create_post(s, ann, "too many", now, group_id=group.id)
        assert _count(s, Post) == posts.DAILY


def test_group_posts_for_members(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob = _user(s, "ann"), _user(s, "bob")
        group = groups.group_for(s, "discord", "g1", "Guild", clock.now)
        groups.join(s, group, ann, False, clock.now)
        with pytest.raises(UserError, match="/join"):
            posts.create_post(s, bob, "hi", clock.now, group_id=group.id)
        post = posts.create_post(s, ann, "hi", clock.now, group_id=group.id)
        with pytest.raises(UserError, match="/join"):
            posts.add_comment(s, bob, post.id, "hey", clock.now)
        assert _count(s, Post) == 1 and _count(s, Comment) == 0


def test_delete_and_moderation(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob, admin, tutor = (_user(s, n) for n in ("ann", "bob", "admin", "tutor"))
        group = groups.group_for(s, "discord", "g1", "Guild", clock.now)
        for u in (ann, bob):
            groups.join(s, group, u, False, clock.now)
        groups.join(s, group, admin, True, clock.now)
        p1 = posts.create_post(s, ann, "first", clock.now, group_id=group.id)
        p2 = posts.create_post(s, ann, "second", clock.now, group_id=group.id)
        c1 = posts.add_comment(s, bob, p1.id, "reply", clock.now)
        with pytest.raises(UserError, match="Only the author"):
            posts.delete_post(s, bob, p1.id, clock.now)
        with pytest.raises(UserError, match="Only a group admin"):
            posts.remove_post(s, bob, p1.id, clock.now)
        with pytest.raises(UserError, match="Only a group admin"):
            posts.remove_post(s, tutor, p1.id, clock.now)  # not linked yet
        posts.delete_comment(s, bob, c1.id, clock.now)
        assert c1.content == "" and c1.deleted_at is not None and c1.removed_by is None
        assert "[deleted]" in posts.render_post(p1)
        posts.remove_post(s, admin, p1.id, clock.now)
        assert p1.removed_by == admin.user_id and p1.content == "first"  # kept, hidden
        assert [p.id for p in posts.group_posts(s, group.id)] == [p2.id]
        with pytest.raises(UserError, match="no post"):
            posts.visible_post(s, ann, p1.id)
        s.add(StudentLink(student_id=ann.user_id, linked_id=tutor.user_id, role="tutor"))
        s.flush()
        posts.remove_post(s, tutor, p2.id, clock.now)
        assert p2.removed_by == tutor.user_id
        # the platform's admin flag works even before the membership row knows
        p3 = posts.create_post(s, bob, "third", clock.now, group_id=group.id)
        c3 = posts.add_comment(s, ann, p3.id, "c", clock.now + timedelta(minutes=11))
        outsider = _user(s, "outsider")
        posts.remove_comment(s, outsider, c3.id, clock.now, chat_admin_of=group.id)
        assert c3.removed_by == outsider.user_id
        posts.delete_post(s, bob, p3.id, clock.now)
        assert p3.content == "" and p3.deleted_at is not None
        with pytest.raises(UserError, match="no post"):
            posts.delete_post(s, bob, p3.id, clock.now)
