"""Study groups through the dispatcher: /join, /groupboard, the question of the day
(poll answers), challenges, group posts and the discussion of a question."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from core.chat.dispatcher import Dispatcher
from core.chat.messages import Incoming, Outgoing, Poll
from core.db.models import (
    GroupChallenge,
    GroupMembership,
    Identity,
    PointsEntry,
    Post,
    QotdAnswer,
    Question,
    QuestionOfTheDay,
    Response,
    StudyGroup,
    User,
)
from core.services.points import week_of
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for

GROUP = "-100777"


def say(
    chat: Chat, line: str, admin: bool = False, group: str = GROUP, title: str = "SAT Squad"
) -> list[Outgoing]:
    """``chat``'s user types ``line`` in the group chat."""
    return chat.dispatcher.handle(
        Incoming.parse(
            "telegram",
            chat.user_id,
            line,
            chat_id=group,
            chat_kind="group",
            chat_title=title,
            is_chat_admin=admin,
        )
    )


def vote(chat: Chat, ref: str, option: int, event_id: str | None = None) -> list[Outgoing]:
    """``chat``'s user answers a quiz poll (what an adapter hands the core)."""
    return chat.dispatcher.handle(
        Incoming(
            "telegram",
            chat.user_id,
            chat.user_id,
            poll_ref=ref,
            poll_option=option,
            event_id=event_id,
        )
    )


def _count(d: Dispatcher, model: type, *where: object) -> int:
    with d.app.db.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _people(chat_factory: Callable[..., Chat], n: int) -> list[Chat]:
    chats = [chat_factory(str(5000 + i), platform="telegram") for i in range(n)]
    for i, c in enumerate(chats):
        c.send(f"/username member{i}")
    return chats


def test_membership_is_opt_in(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _people(chat_factory, 2)
    d = ann.dispatcher
    assert "Welcome to SAT Squad" in texts(say(ann, "/join"))
    assert "already a member" in texts(say(ann, "/join"))
    out = texts(say(bob, "/groupboard"))
    assert "member0" in out and "/join to take part" in out
    assert _count(d, StudyGroup) == 1 and _count(d, GroupMembership) == 1
    assert "works in a study group" in texts(ann.send("/join"))  # not in a DM
    assert "works in a private chat" in texts(say(ann, "/practice"))  # DM-only in a group
    assert say(ann, "just chatting") == []  # free text in groups is not for the bot
    assert "left the group" in texts(say(ann, "/leave"))
    assert "not a member" in texts(say(ann, "/leave"))
    assert _count(d, GroupMembership) == 0


def test_qotd_once_a_day_and_first_answer_only(chat_factory: Callable[..., Chat], clock) -> None:  # type: ignore[no-untyped-def]
    ann, bob, eve = _people(chat_factory, 3)
    d = ann.dispatcher
    say(ann, "/join", admin=True)
    say(bob, "/join")
    assert "Only the group's admins" in texts(say(bob, "/qotd now"))
    out = say(ann, "/qotd now", admin=True)
    polls = [m for m in out if isinstance(m, Poll)]
    assert len(polls) == 1
    poll = polls[0]
    assert "already posted" in texts(say(ann, "/qotd now", admin=True))
    clock.advance(hours=3)
    assert "already posted" in texts(say(ann, "/qotd now", admin=True))
    assert _count(d, QuestionOfTheDay) == 1
    wrong = (poll.correct_index + 1) % len(poll.options)
    # a non-member's answer is not counted
    assert "/join" in texts(vote(eve, poll.ref, poll.correct_index))
    assert "Correct! +10 points" in texts(vote(ann, poll.ref, poll.correct_index, event_id="u1"))
    assert vote(ann, poll.ref, poll.correct_index, event_id="u1") == []  # redelivered update
    assert "only your first answer counts" in texts(vote(ann, poll.ref, wrong))
    assert "Not this time" in texts(vote(bob, poll.ref, wrong))
    assert "no longer open" in texts(vote(bob, "qotd:99999", 0))
    assert "no longer open" in texts(vote(bob, "forged", 0))
    assert _count(d, QotdAnswer) == 2
    assert _count(d, PointsEntry, PointsEntry.reason == "qotd") == 1
    clock.advance(days=1)
    assert any(isinstance(m, Poll) for m in say(ann, "/qotd now", admin=True))
    assert _count(d, QuestionOfTheDay) == 2


def test_qotd_settings_admin_only(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _people(chat_factory, 2)
    d = ann.dispatcher
    assert "on, daily at 09:00" in texts(say(bob, "/qotd"))
    assert "Only the group's admins" in texts(say(bob, "/qotd off"))
    assert "off" in texts(say(ann, "/qotd off", admin=True))
    assert "HH:MM" in texts(say(ann, "/qotd 25:99", admin=True))
    assert "07:30 (Europe/Paris)" in texts(
        say(ann, "/qotd tz Europe/Paris", admin=True) + say(ann, "/qotd 07:30", admin=True)
    )
    with d.app.db.uow() as s:
        group = s.scalar(select(StudyGroup))
        assert group is not None and group.qotd_enabled and group.timezone == "Europe/Paris"


def test_group_leaderboard_shows_own_rank_outside_top_ten(
    chat_factory: Callable[..., Chat], clock
) -> None:  # type: ignore[no-untyped-def]
    (me,) = _people(chat_factory, 1)
    say(me, "/join")
    week = week_of(clock.now.date())
    with me.dispatcher.app.db.uow() as s:
        group = s.scalar(select(StudyGroup))
        assert group is not None
        for i in range(11):
            u = User(display_name=f"P{i}", username=f"peer{i:02d}", points=500 + i)
            s.add(u)
            s.flush()
            s.add(GroupMembership(group_id=group.id, user_id=u.user_id))
            s.add(
                PointsEntry(
                    user_id=u.user_id,
                    points=20 + i,
                    reason="answer",
                    ref=f"seed:{i}",
                    local_date=clock.now.date(),
                    week=week,
                )
            )
        s.add(User(display_name="Outsider", username="outsider", points=10**6))
    out = texts(say(me, "/groupboard"))
    assert "SAT Squad — this week" in out
    assert "1. peer10 — 30" in out and "10. peer01 — 21" in out and "peer00" not in out
    assert "12. member0 — 0 ← you" in out and "outsider" not in out
    out = texts(me.send("/groupboard alltime"))  # in a DM: the boards of my groups
    assert "all time" in out and "1. peer10 — 510" in out and "12. member0 — 0 ← you" in out


def _answer_current(chat: Chat, correct: bool) -> list[Outgoing]:
    with chat.dispatcher.app.db.uow() as s:
        from core.db.models import PracticeSession

        session = s.scalars(
            select(PracticeSession).where(
                PracticeSession.status == "active", PracticeSession.test_type == "challenge"
            )
        ).one()
        q = s.get(Question, session.current_question_id)
        assert q is not None
        value = key_for(q.question_id, correct, q.type == "spr", q.text)
    return chat.press(value)


def test_challenge_same_items_ranked_by_correct_then_time(
    chat_factory: Callable[..., Chat], clock
) -> None:  # type: ignore[no-untyped-def]
    ann, bob, eve = _people(chat_factory, 3)
    d = ann.dispatcher
    say(ann, "/join", admin=True)
    say(bob, "/join")
    assert "Only the group's admins" in texts(say(bob, "/challenge 3 2"))
    assert "3–20 questions" in texts(say(ann, "/challenge 50", admin=True))
    assert _count(d, GroupChallenge) == 0
    assert "Challenge #1: 3 questions" in texts(say(ann, "/challenge 3 2", admin=True))
    assert "still running" in texts(say(ann, "/challenge 3 2", admin=True))
    assert "/challenge join 1" in texts(say(bob, "/challenge join"))
    assert "/join" in texts(say(eve, "/challenge join"))
    assert "no challenge #1" in texts(eve.send("/challenge join 1"))  # not a member
    out = texts(bob.send("/challenge join"))
    assert "Challenge Q 1/3" in out
    clock.advance(seconds=30)
    _answer_current(bob, True)
    clock.advance(seconds=30)
    _answer_current(bob, True)
    clock.advance(seconds=30)
    out = texts(_answer_current(bob, False))
    assert "Challenge done: 2/3 correct in 1m30s" in out
    assert "already taken" in texts(bob.send("/challenge join 1"))
    ann.send("/challenge join 1")
    for correct in (True, False, True):
        clock.advance(seconds=5)
        _answer_current(ann, correct)
    with d.app.db.uow() as s:
        challenge = s.scalar(select(GroupChallenge))
        assert challenge is not None
        sets = [
            [
                r.question_id
                for r in s.scalars(
                    select(Response).where(Response.user_id == uid).order_by(Response.id)
                )
            ]
            for uid in s.scalars(
                select(Identity.user_id).where(Identity.external_id.in_(["5000", "5001"]))
            )
        ]
        assert sets[0] == sets[1] == challenge.question_ids
    out = texts(say(eve, "/challenge results"))
    assert out.index("1. member0 — 2/3 correct, 0m15s") < out.index(
        "2. member1 — 2/3 correct, 1m30s"
    )
    say(eve, "/join")
    assert "#1 3-question challenge, until" in texts(eve.send("/challenge"))
    clock.advance(hours=3)
    assert "has ended" in texts(eve.send("/challenge join 1"))
    assert "Running now" not in texts(eve.send("/challenge"))
    assert "(ended)" in texts(bob.send("/challenge results 1"))


def test_challenge_forged_and_foreign_buttons(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _people(chat_factory, 2)
    say(ann, "/join", admin=True)
    say(bob, "/join")
    say(ann, "/challenge 3 2", admin=True)
    ann.send("/challenge join")
    payload = ann.button("B").payload
    assert "someone else" in texts(bob.tap(payload))
    assert "expired" in texts(bob.tap(payload[:-1] + "X" + ".B"))
    assert _count(ann.dispatcher, Response) == 0
    ann.tap(payload)
    assert "already used" in texts(ann.tap(payload))
    assert _count(ann.dispatcher, Response) == 1


def test_group_posts_members_and_moderation(chat_factory: Callable[..., Chat]) -> None:
    ann, bob, eve = _people(chat_factory, 3)
    d = ann.dispatcher
    say(ann, "/join", admin=True)
    say(bob, "/join")
    assert "/join" in texts(say(eve, "/post hello"))
    assert "at most 500" in texts(say(bob, "/post " + "y" * 501))
    assert "Posted as #1" in texts(say(bob, "/post Study session at 6?"))
    assert "c1 added under #1" in texts(say(ann, "/comment 1 Count me in"))
    out = texts(say(bob, "/posts"))
    assert "#1 @member1: Study session at 6?" in out and "c1 @member0: Count me in" in out
    assert "/join" in texts(say(eve, "/posts"))
    assert "Only a group admin" in texts(say(eve, "/remove_post 1"))
    assert "Only the author" in texts(say(ann, "/delete_post 1"))
    assert "removed" in texts(say(ann, "/remove_post 1", admin=True))
    assert "No posts yet" in texts(say(bob, "/posts"))
    with d.app.db.uow() as s:
        post = s.get(Post, 1)
        assert post is not None and post.removed_by is not None and post.deleted_at is not None


def test_discussion_thread_needs_an_answer(chat_factory: Callable[..., Chat], clock) -> None:  # type: ignore[no-untyped-def]
    ann, bob = _people(chat_factory, 2)
    d = ann.dispatcher
    assert "Answer a question first" in texts(ann.send("/discuss"))
    ann.send("/practice linear_one_var")
    with d.app.db.uow() as s:
        from core.db.models import PracticeSession

        q = s.get(Question, s.scalars(select(PracticeSession.current_question_id)).one())
        assert q is not None
        qid, key = q.question_id, key_for(q.question_id, True, q.type == "spr", q.text)
    assert "Answer this question first" in texts(ann.send(f"/discuss {qid}"))  # asked, not answered
    ann.press(key) if len(key) == 1 else ann.send(key)
    out = texts(ann.send("/discuss"))
    assert f"Discussion of {qid}" in out and "No posts yet" in out
    assert "at most 500" in texts(ann.send("/post " + "z" * 600))
    assert f"Posted #1 in the discussion of {qid}" in texts(ann.send("/post Double it!"))
    assert "#1 @member0: Double it!" in texts(ann.send(f"/discuss {qid}"))
    assert "Answer this question first" in texts(bob.send(f"/discuss {qid}"))
    assert "Answer this question first" in texts(bob.send("/comment 1 how?"))
    assert "don't know the question" in texts(bob.send("/discuss nope"))
    # the "Discuss" button practice.py can add under its feedback (token kind "discuss")
    with d.app.db.uow() as s:
        from core.chat.tokens import button_payload, new_token

        owner = s.scalar(select(Identity.user_id).where(Identity.external_id == ann.user_id))
        token = new_token(s, owner, "discuss", {"question": qid}, clock.now)  # type: ignore[arg-type]
    assert "#1 @member0: Double it!" in texts(ann.tap(button_payload(token, "open")))
    assert "someone else" in texts(bob.tap(button_payload(token, "open")))
    assert "Only the author" in texts(bob.send("/delete_post 1"))
    assert "Deleted" in texts(ann.send("/delete_post 1"))
    assert _count(d, Post, Post.deleted_at.is_(None)) == 0
