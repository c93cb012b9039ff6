"""Relationships round-trip and the uniqueness rules hold, on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db.engine import Database
from core.db.models import (
    Badge,
    Comment,
    Friend,
    GroupMembership,
    Identity,
    Notification,
    Post,
    PracticeSession,
    Proficiency,
    Response,
    StudentLink,
    StudyGroup,
    StudyPlan,
    StudyPlanAction,
    TestModule,
    TestModuleItem,
    TutorAction,
    TutorInteraction,
    User,
)
from tests.db import factories as f


def test_relationships_round_trip(db: Database) -> None:
    with db.uow() as s:
        ada = f.user(s, "Ada", username="ada")
        bob = f.user(s, "Bob", username="bob")
        q = f.question(s)
        plan = StudyPlan(user_id=ada.user_id)
        s.add(plan)
        s.flush()
        s.add(
            StudyPlanAction(
                plan_id=plan.plan_id, task="Practise", action="practice", due_date=f.later()
            )
        )
        ps = PracticeSession(user_id=ada.user_id, test_type="full", plan_id=plan.plan_id)
        s.add(ps)
        s.flush()
        mod = TestModule(
            session_id=ps.session_id, position=0, section="math", stage=1, route="broad"
        )
        s.add(mod)
        s.flush()
        s.add(
            TestModuleItem(module_id=mod.id, position=0, question_id=q.question_id, is_pretest=True)
        )
        s.add(
            Response(
                session_id=ps.session_id,
                user_id=ada.user_id,
                question_id=q.question_id,
                answer="B",
                correct=True,
                module_id=mod.id,
            )
        )
        s.add(
            Proficiency(
                user_id=ada.user_id,
                section="math",
                domain="algebra",
                skill="linear_one_var",
                theta=0.4,
            )
        )
        s.add(Badge(user_id=ada.user_id, name="first_diagnostic"))
        s.add(Notification(user_id=ada.user_id, kind="badge", message="Well done"))
        s.add(
            TutorInteraction(
                user_id=ada.user_id, query="hint?", response="Try isolating x.", duration=0.2
            )
        )
        s.add(TutorAction(tutor_id=bob.user_id, student_id=ada.user_id, action="report"))
        post = Post(user_id=ada.user_id, question_id=q.question_id, content="Nice one")
        s.add(post)
        s.flush()
        s.add(Comment(post_id=post.id, user_id=bob.user_id, content="Agreed"))
        s.add(Friend(user_id=ada.user_id, friend_id=bob.user_id))
        s.add(Identity(user_id=ada.user_id, platform="telegram", external_id="42"))
        s.add(StudentLink(student_id=ada.user_id, linked_id=bob.user_id, role="tutor"))
        ada_id, bob_id = ada.user_id, bob.user_id

    with db.uow() as s:
        ada = s.get(User, ada_id)
        bob = s.get(User, bob_id)
        assert ada is not None and bob is not None
        assert [r.answer for r in ada.responses] == ["B"]
        assert ada.responses[0].question.skill == "linear_one_var"
        assert ada.responses[0].session.plan.user is ada
        assert ada.sessions[0].modules[0].items[0].is_pretest
        assert ada.plans[0].actions[0].task == "Practise"
        assert ada.plans[0].sessions[0].test_type == "full"
        assert ada.proficiencies[0].theta == pytest.approx(0.4)
        assert [b.name for b in ada.badges] == ["first_diagnostic"]
        assert ada.notifications[0].read is False
        assert ada.tutor_interactions[0].response.startswith("Try")
        assert ada.posts[0].comments[0].user is bob
        assert bob.comments[0].post.user is ada
        assert ada.friends_sent[0].friend is bob and bob.friends_received[0].user is ada
        assert ada.identities[0].external_id == "42"
        assert ada.links_as_student[0].linked is bob and bob.links_as_linked[0].student is ada
        action = s.scalars(select(TutorAction)).one()
        assert action.tutor is bob and action.student is ada
        assert ada.responses[0].timestamp.tzinfo is not None


def _dup(db: Database, build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), db.uow() as s:
        build(s)


def test_uniqueness_rules_reject_duplicates(db: Database) -> None:
    with db.uow() as s:
        ada, bob = f.user(s, "Ada"), f.user(s, "Bob")
        q = f.question(s)
        ps = f.session(s, ada)
        group = StudyGroup(platform="telegram", external_id="-100")
        s.add(group)
        s.flush()
        ids = ada.user_id, bob.user_id, ps.session_id, group.id
        s.add(Response(session_id=ps.session_id, user_id=ada.user_id, question_id=q.question_id))
        s.add(Badge(user_id=ada.user_id, name="streak_7"))
        s.add(Notification(user_id=ada.user_id, kind="streak", message="m", dedupe_key="k1"))
        s.add(Friend(user_id=ada.user_id, friend_id=bob.user_id))
        s.add(GroupMembership(group_id=group.id, user_id=ada.user_id))
        s.add(Identity(user_id=ada.user_id, platform="discord", external_id="7"))
    a, b, sid, gid = ids
    _dup(db, lambda s: s.add(Response(session_id=sid, user_id=a, question_id="q-1")))
    _dup(db, lambda s: s.add(Badge(user_id=a, name="streak_7")))
    _dup(db, lambda s: s.add(Notification(user_id=a, kind="x", message="m", dedupe_key="k1")))
    _dup(db, lambda s: s.add(Friend(user_id=a, friend_id=b)))
    _dup(db, lambda s: s.add(Friend(user_id=b, friend_id=a)))  # the reverse direction too
    _dup(db, lambda s: s.add(GroupMembership(group_id=gid, user_id=a)))
    _dup(db, lambda s: s.add(Identity(user_id=b, platform="discord", external_id="7")))
    _dup(db, lambda s: s.add(Friend(user_id=a, friend_id=a)))  # check: not self
    with db.uow() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 1
        assert s.scalar(select(func.count()).select_from(Friend)) == 1


def test_deleting_a_user_leaves_no_orphans(db: Database) -> None:
    with db.uow() as s:
        ada, bob = f.user(s, "Ada"), f.user(s, "Bob")
        q = f.question(s)
        ps = f.session(s, ada)
        s.add(Response(session_id=ps.session_id, user_id=ada.user_id, question_id=q.question_id))
        s.add(Identity(user_id=ada.user_id, platform="telegram", external_id="1"))
        post = Post(user_id=ada.user_id, content="hello")
        s.add(post)
        s.flush()
        s.add(Comment(post_id=post.id, user_id=bob.user_id, content="hi"))
        s.add(Friend(user_id=bob.user_id, friend_id=ada.user_id, status="accepted"))
        s.add(StudentLink(student_id=ada.user_id, linked_id=bob.user_id, role="parent"))
        ada_id, post_id = ada.user_id, post.id
    with db.uow() as s:
        s.delete(s.get(User, ada_id))
    with db.uow() as s:
        for model in (Response, PracticeSession, Identity, Friend, StudentLink):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model
        kept = s.get(Post, post_id)
        assert kept is not None and kept.user_id is None  # others' comments survive
        assert len(kept.comments) == 1
        assert date.today()  # noqa: DTZ011 - sanity of the import
