"""Accounts: connecting platforms (merge rules), export of one user's data with
nobody else's, and deletion that leaves no row naming the user."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.chat.errors import UserError
from core.db.engine import Database
from core.db.models import (
    ActionToken,
    ActivityDay,
    Badge,
    Base,
    Comment,
    Friend,
    GroupChallenge,
    GroupMembership,
    Identity,
    LeagueMembership,
    LinkCode,
    Notification,
    NotificationPreference,
    PointsEntry,
    Post,
    PracticeSession,
    Proficiency,
    QotdAnswer,
    Question,
    QuestionOfTheDay,
    Response,
    ReviewCard,
    StudentLink,
    StudyGroup,
    StudyPlan,
    StudyPlanAction,
    TestModule,
    TestModuleItem,
    TutorAction,
    TutorInteraction,
    User,
    Worksheet,
    WorksheetItem,
)
from core.services import accounts


@dataclass
class Person:
    user_id: str
    external_id: str
    name: str
    secret: str  # a text only this person wrote


def _person(s, now, name: str, platform: str, external: str) -> Person:  # type: ignore[no-untyped-def]
    user = User(display_name=name, username=name.lower(), created_at=now)
    s.add(user)
    s.flush()
    s.add(
        Identity(user_id=user.user_id, platform=platform, external_id=external, dm_chat_id=external)
    )
    return Person(user.user_id, external, name, f"SECRET-OF-{name.upper()}")


def _populate(s, p: Person, friend: Person, now, tag: str) -> int:  # type: ignore[no-untyped-def]
    """A row in every table that can hold a user's data; returns the post id."""
    uid = p.user_id
    qs = list(s.scalars(select(Question).order_by(Question.question_id).limit(4)))
    group = s.scalar(select(StudyGroup).where(StudyGroup.external_id == "-100"))
    if group is None:
        group = StudyGroup(platform="telegram", external_id="-100", title="Study hall")
        s.add(group)
        s.flush()
    qotd = s.scalar(select(QuestionOfTheDay).where(QuestionOfTheDay.group_id == group.id))
    if qotd is None:
        qotd = QuestionOfTheDay(
            group_id=group.id, local_date=now.date(), question_id=qs[0].question_id
        )
        s.add(qotd)
        s.flush()
    session = PracticeSession(user_id=uid, test_type="section", status="finished", started_at=now)
    s.add(session)
    s.flush()
    module = TestModule(
        session_id=session.session_id, position=0, section="math", stage=1, route="broad"
    )
    s.add(module)
    s.flush()
    s.add(TestModuleItem(module_id=module.id, position=0, question_id=qs[0].question_id))
    response = Response(
        session_id=session.session_id,
        user_id=uid,
        question_id=qs[0].question_id,
        module_id=module.id,
        answer="B",
        correct=True,
        review_text=f"{p.secret} review",
        client_id=f"{tag}-client",
    )
    s.add(response)
    sheet_session = PracticeSession(user_id=uid, test_type="worksheet", started_at=now)
    s.add(sheet_session)
    s.flush()
    sheet = Worksheet(code=f"W-{tag}", user_id=uid, session_id=sheet_session.session_id)
    s.add(sheet)
    s.flush()
    s.add(WorksheetItem(worksheet_code=sheet.code, position=1, question_id=qs[1].question_id))
    plan = StudyPlan(user_id=uid, target_score=1400)
    s.add(plan)
    s.flush()
    s.add(
        StudyPlanAction(
            plan_id=plan.plan_id,
            task=f"{p.secret} task",
            action="practice",
            due_date=now,
            assigned_by=friend.user_id,
        )
    )
    s.add_all(
        [
            Proficiency(user_id=uid, section="math", theta=0.3, session_id=session.session_id),
            ReviewCard(user_id=uid, question_id=qs[2].question_id, due_at=now, card={"x": tag}),
            ActionToken(
                token=f"tok{tag}xxxxxxx"[:10],
                user_id=uid,
                kind="answer",
                payload={"friend": friend.user_id},
            ),
            Badge(user_id=uid, name="first_diagnostic"),
            PointsEntry(
                user_id=uid,
                points=10,
                reason="answer",
                ref=f"response:{tag}",
                local_date=now.date(),
                week=now.date(),
            ),
            ActivityDay(user_id=uid, local_date=now.date(), questions=3),
            LeagueMembership(user_id=uid, week=now.date(), tier="Bronze", cohort=1),
            Notification(
                user_id=uid, kind="digest", message=f"{p.secret} digest", dedupe_key=f"dg-{tag}"
            ),
            NotificationPreference(user_id=uid, kind="digest", enabled=False),
            TutorInteraction(
                user_id=uid, question_id=qs[0].question_id, query=f"{p.secret} ask", response="hint"
            ),
            TutorAction(
                tutor_id=friend.user_id, student_id=uid, action="view", details=f"{p.secret} viewed"
            ),
            GroupMembership(group_id=group.id, user_id=uid),
            QotdAnswer(qotd_id=qotd.id, user_id=uid, answer="B", correct=True),
            GroupChallenge(
                group_id=group.id,
                created_by=uid,
                title=f"{p.secret} challenge",
                starts_at=now,
                ends_at=now,
            ),
            LinkCode(
                code=f"LC{tag}",
                user_id=uid,
                purpose="parent",
                expires_at=now,
                used_by=friend.user_id,
            ),
            StudentLink(student_id=uid, linked_id=friend.user_id, role="parent"),
            Friend(user_id=uid, friend_id=friend.user_id, status="accepted"),
        ]
    )
    post = Post(user_id=uid, content=f"{p.secret} post", question_id=qs[0].question_id)
    s.add(post)
    s.flush()
    s.add(Comment(post_id=post.id, user_id=friend.user_id, content=f"{friend.secret} reply"))
    s.add(Comment(post_id=post.id, user_id=uid, content=f"{p.secret} comment"))
    s.flush()
    return post.id


def _world(db: Database, now) -> tuple[Person, Person, Person, int, int]:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ada = _person(s, now, "Ada", "telegram", "7001")
        bea = _person(s, now, "Bea", "discord", "8002")  # a stranger with data
        cy = _person(s, now, "Cy", "telegram", "9003")  # Ada's friend and parent
        ada_post = _populate(s, ada, cy, now, "AAAA")
        bea_post = _populate(s, bea, cy, now, "BBBB")
        s.add(Comment(post_id=bea_post, user_id=ada.user_id, content=f"{ada.secret} on bea"))
    return ada, bea, cy, ada_post, bea_post


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def test_export_has_every_table_of_the_user_and_nobody_else(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    ada, bea, cy, _, _ = _world(db, clock.now)
    with db.uow() as s:
        data = accounts.export_user(s, ada.user_id)
        blob = json.dumps(data, ensure_ascii=False)
        tables = data["tables"]
        # Every row that names Ada as its owner is exported, table by table.
        for table, column in accounts.user_columns():
            if table.name in ("study_plan_actions",) or column.name in (
                "used_by",
                "removed_by",
                "assigned_by",
            ):
                continue
            if table.name in ("tutor_actions", "friends", "student_links") or column.name in (
                "user_id",
                "student_id",
                "owner_id",
                "created_by",
            ):
                n = s.scalar(select(func.count()).select_from(table).where(column == ada.user_id))
                assert (
                    len(
                        [r for r in tables.get(table.name, []) if r.get(column.name) == ada.user_id]
                    )
                    == n
                ), (table.name, column.name)
        expected = {
            "users",
            "identities",
            "responses",
            "practice_sessions",
            "test_modules",
            "test_module_items",
            "proficiencies",
            "study_plans",
            "study_plan_actions",
            "points_ledger",
            "activity_days",
            "badges",
            "review_cards",
            "posts",
            "comments",
            "friends",
            "student_links",
            "link_codes",
            "notifications",
            "notification_preferences",
            "tutor_interactions",
            "tutor_actions",
            "worksheets",
            "worksheet_items",
            "action_tokens",
            "league_memberships",
            "group_memberships",
            "group_qotd_answers",
            "group_challenges",
        }
        assert expected <= set(tables), expected - set(tables)
        assert len(tables["comments"]) == 2  # her comment on her post and on Bea's
        assert ada.secret in blob and "7001" in blob
    # Nothing of anyone else: no ids, no platform ids, no texts.
    for other in (bea, cy):
        assert other.user_id not in blob
        # As a whole value: "8002" inside a random token or id is a coincidence.
        assert not re.search(
            rf"(?<![0-9A-Za-z]){re.escape(other.external_id)}(?![0-9A-Za-z])", blob
        )
        assert other.secret not in blob
    assert "Bea" not in blob  # not even the stranger's name
    assert "[Cy]" in blob  # the friend and parent: by display name only
    with db.uow() as s:
        raw = accounts.export_json(s, ada.user_id, clock.now)
    data = json.loads(raw)
    assert data["user_id"] == ada.user_id and data["exported_at"].startswith("2026-11-02")
    assert "hashed_password" not in data["tables"]["users"][0]


# --------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------


def _row_counts(s, person: Person) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = {}
    for table, column in accounts.user_columns():
        out[f"{table.name}.{column.name}"] = s.scalar(
            select(func.count()).select_from(table).where(column == person.user_id)
        )
    return out


def test_delete_leaves_no_row_naming_the_user(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    ada, bea, cy, ada_post, bea_post = _world(db, clock.now)
    with db.uow() as s:
        # Someone else's ephemeral rows that mention Ada (a button, a pending push).
        s.add(
            ActionToken(
                token="cyAdaToken", user_id=cy.user_id, kind="friend", payload={"from": ada.user_id}
            )
        )
        s.add(
            Notification(
                user_id=cy.user_id, kind="friend", message="request", payload={"chat": "7001"}
            )
        )
    with db.uow() as s:
        bea_before = _row_counts(s, bea)
        assert accounts.rows_naming(s, ada.user_id, [ada.external_id])
        done = accounts.delete_user(s, ada.user_id)
    assert done.answers == 1 and done.identities == 1
    assert done.posts_anonymised == 1 and done.comments_anonymised == 2
    with db.uow() as s:
        assert accounts.rows_naming(s, ada.user_id, [ada.external_id]) == []
        # Scan every column of every table, not only the text ones.
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                for value in row:
                    assert str(value) not in (ada.user_id, ada.external_id), table.name
                    if isinstance(value, str | dict | list):
                        assert ada.user_id not in json.dumps(value), table.name
        post = s.get(Post, ada_post)
        assert post is not None and post.user_id is None and post.content == "[deleted]"
        replies = s.scalars(select(Comment).where(Comment.post_id == ada_post)).all()
        assert sorted(c.content for c in replies) == sorted(["[deleted]", f"{cy.secret} reply"])
        on_bea = s.scalars(select(Comment).where(Comment.post_id == bea_post)).all()
        assert f"{ada.secret} on bea" not in [c.content for c in on_bea]
        assert _row_counts(s, bea) == bea_before
        assert s.get(User, bea.user_id) is not None and s.get(User, cy.user_id) is not None
        assert s.scalar(select(func.count()).select_from(StudentLink)) == 1  # Bea's only
        assert s.scalar(select(func.count()).select_from(Identity)) == 2


# --------------------------------------------------------------------------
# Connect and disconnect
# --------------------------------------------------------------------------


def test_merge_moves_rows_and_keeps_one_of_each_unique(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        old = _person(s, clock.now, "Old", "telegram", "5001")
        cy = _person(s, clock.now, "Cy", "telegram", "9003")
        clock.advance(days=1)
        new = _person(s, clock.now, "New", "discord", "6001")
        _populate(s, new, cy, clock.now, "NNNN")
        s.add(Badge(user_id=old.user_id, name="first_diagnostic"))
        s.add(Friend(user_id=old.user_id, friend_id=new.user_id, status="accepted"))
        s.add(Friend(user_id=cy.user_id, friend_id=old.user_id, status="accepted"))
        s.get(User, old.user_id).points = 5  # type: ignore[union-attr]
        s.get(User, new.user_id).points = 10  # type: ignore[union-attr]
    with db.uow() as s:
        survivor, other = s.get(User, old.user_id), s.get(User, new.user_id)
        accounts.merge_users(s, survivor, other)  # type: ignore[arg-type]
    with db.uow() as s:
        assert s.get(User, new.user_id) is None
        assert accounts.platforms_of(s, old.user_id) == ["discord", "telegram"]
        assert (
            s.scalar(
                select(func.count()).select_from(Response).where(Response.user_id == old.user_id)
            )
            == 1
        )
        assert s.scalars(select(Badge.name).where(Badge.user_id == old.user_id)).all() == [
            "first_diagnostic"
        ]
        pairs = s.scalars(select(Friend.pair_key)).all()
        assert pairs == [Friend.key_for(old.user_id, cy.user_id)]  # self-pair and duplicate gone
        assert s.get(User, old.user_id).points == 15  # type: ignore[union-attr]
        assert (
            s.scalar(select(func.count()).select_from(Post).where(Post.user_id == old.user_id)) == 1
        )
        assert accounts.rows_naming(s, new.user_id, []) == []


def test_connect_code_rules(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        tg = _person(s, clock.now, "Tg", "telegram", "5001")
        dc = _person(s, clock.now, "Dc", "discord", "6001")
        tg2 = _person(s, clock.now, "Tg2", "telegram", "5002")
        code = accounts.create_connect_code(s, s.get(User, tg.user_id), clock.now).code  # type: ignore[arg-type]
    with db.uow() as s, pytest.raises(UserError, match="from this account"):
        accounts.redeem_connect_code(s, s.get(User, tg.user_id), code, clock.now)  # type: ignore[arg-type]
    with db.uow() as s, pytest.raises(UserError, match="one identity per platform"):
        accounts.redeem_connect_code(s, s.get(User, tg2.user_id), code, clock.now)  # type: ignore[arg-type]
    with db.uow() as s, pytest.raises(UserError, match="expired"):
        accounts.redeem_connect_code(
            s,
            s.get(User, dc.user_id),
            code,
            clock.now + timedelta(minutes=15),  # type: ignore[arg-type]
        )
    with db.uow() as s, pytest.raises(UserError, match="don't know that code"):
        accounts.redeem_connect_code(s, s.get(User, dc.user_id), "NOPE1234", clock.now)  # type: ignore[arg-type]
    with db.uow() as s:
        result = accounts.redeem_connect_code(s, s.get(User, dc.user_id), code.lower(), clock.now)  # type: ignore[arg-type]
        assert result.platforms == ["discord", "telegram"]
    with db.uow() as s, pytest.raises(UserError, match="already used"):
        accounts.redeem_connect_code(s, s.get(User, tg2.user_id), code, clock.now)  # type: ignore[arg-type]


def test_find_user_by_id_username_or_platform_id(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ada = _person(s, clock.now, "Ada", "telegram", "7001")
    with db.uow() as s:
        for ref in (ada.user_id, "ada", "@ada", "telegram:7001"):
            found = accounts.find_user(s, ref)
            assert found is not None and found.user_id == ada.user_id, ref
        for ref in ("", "nobody", "discord:7001", "telegram:"):
            assert accounts.find_user(s, ref) is None, ref


# --------------------------------------------------------------------------
# The operator's CLI functions
# --------------------------------------------------------------------------


def test_users_cli_export_and_delete(db: Database, clock, capsys) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from bot.users_cli import users_delete, users_export

    ada, bea, *_ = _world(db, clock.now)
    settings = SimpleNamespace(database_url=db.engine.url.render_as_string(hide_password=False))
    assert users_export(settings, "telegram:7001") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["user_id"] == ada.user_id and bea.user_id not in json.dumps(data)
    assert users_export(settings, "nobody") == 1
    assert "no user 'nobody'" in capsys.readouterr().err
    assert users_delete(settings, "ada", yes=False) == 2
    assert "run again with --yes" in capsys.readouterr().err
    with db.uow() as s:
        assert s.get(User, ada.user_id) is not None
    assert users_delete(settings, ada.user_id, yes=True) == 0
    assert "deleted user" in capsys.readouterr().out
    with db.uow() as s:
        assert s.get(User, ada.user_id) is None
        assert accounts.rows_naming(s, ada.user_id, [ada.external_id]) == []
        assert s.get(User, bea.user_id) is not None
