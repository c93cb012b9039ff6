"""Parents and tutors: linking by consent and the authorization matrix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from core.db.models import LinkCode, Notification, StudentLink, StudyPlanAction, TutorAction
from tests.chat.conversation import Chat, texts

NOT_FOUND = "couldn't find that student"


def _code(out: list) -> str:  # type: ignore[type-arg]
    text = texts(out)
    return text.split("/link ")[1].split()[0].rstrip(".")


@pytest.fixture
def people(chat_factory: Callable[..., Chat]) -> dict[str, Chat]:
    """A student and everyone around them, linked (or not) as the matrix needs."""
    names = ["sam", "tutor", "parent", "stranger", "exTutor", "backTutor", "other"]
    chats = {n: chat_factory(str(100 + i), username=n) for i, n in enumerate(names)}
    for chat in chats.values():
        chat.send("/settings")  # first contact creates the user
    db = chats["sam"].dispatcher.app.db
    from core.db.models import Identity, User

    with db.uow() as s:
        for name, chat in chats.items():
            ident = s.scalars(select(Identity).where(Identity.external_id == chat.user_id)).one()
            s.get(User, ident.user_id).username = name  # type: ignore[union-attr]
            s.get(User, ident.user_id).display_name = name  # type: ignore[union-attr]
    sam = chats["sam"]
    for who, role in [
        ("tutor", "tutor"),
        ("parent", "parent"),
        ("exTutor", "tutor"),
        ("backTutor", "tutor"),
    ]:
        assert "You're linked to sam" in texts(
            chats[who].send(f"/link {_code(sam.send(f'/invite {role}'))}")
        )
    assert "no longer linked" in texts(sam.send("/unlink exTutor"))
    assert "no longer linked" in texts(sam.send("/unlink backTutor"))
    chats["backTutor"].send(f"/link {_code(sam.send('/invite tutor'))}")
    # "other" is a real student nobody here is linked to.
    return chats


ALLOWED = {
    "tutor": {"report", "assign", "nudge"},
    "parent": {"report"},
    "backTutor": {"report", "assign", "nudge"},
    "exTutor": set(),
    "stranger": set(),
    "sam": set(),
}
COMMANDS = {
    "report": "/report sam",
    "assign": "/assign sam transitions 5 2026-12-01",
    "nudge": "/nudge sam",
}


@pytest.mark.parametrize("caller", list(ALLOWED))
def test_authorization_matrix(people: dict[str, Chat], caller: str) -> None:
    chat = people[caller]
    db = chat.dispatcher.app.db
    for name, line in COMMANDS.items():
        with db.uow() as s:
            before = s.scalar(select(func.count()).select_from(TutorAction))
        out = texts(chat.send(line))
        with db.uow() as s:
            after = s.scalar(select(func.count()).select_from(TutorAction))
        if name in ALLOWED[caller]:
            assert NOT_FOUND not in out, (caller, name, out)
            assert after == before + 1, (caller, name)
        else:
            assert NOT_FOUND in out, (caller, name, out)
            assert after == before, (caller, name)
        # A real but unlinked student and a nonexistent one get the same answer.
        probe = line.replace("sam", "other")
        ghost = line.replace("sam", "nobody")
        assert texts(chat.send(probe)) == texts(chat.send(ghost))


def test_links_assign_and_nudge_effects(people: dict[str, Chat]) -> None:
    tutor, sam = people["tutor"], people["sam"]
    assert "1. sam (tutor)" in texts(tutor.send("/students"))
    report = texts(tutor.send("/report 1"))
    assert "Report: sam" in report and "Streak" in report
    assert "Assigned to sam" in texts(tutor.send("/assign 1 transitions 5 2026-12-01"))
    assert "Nudge sent" in texts(tutor.send("/nudge sam"))
    assert "already nudged" in texts(tutor.send("/nudge sam"))
    db = sam.dispatcher.app.db
    with db.uow() as s:
        action = s.scalars(select(StudyPlanAction)).one()
        assert (
            action.topic == "transitions" and action.count == 5 and action.assigned_by is not None
        )
        kinds = sorted(s.scalars(select(Notification.kind)).all())
        assert kinds.count("nudge") == 1 and kinds.count("assignment") == 1
    links_text = texts(sam.send("/links"))
    assert "tutor (tutor" in links_text and "parent (parent" in links_text


def test_codes_are_one_time_and_expire(chat_factory: Callable[..., Chat], clock) -> None:  # type: ignore[no-untyped-def]
    sam, pa, pb = chat_factory("1"), chat_factory("2"), chat_factory("3")
    code = _code(sam.send("/invite parent"))
    assert "own code" in texts(sam.send(f"/link {code}"))
    assert "You're linked" in texts(pa.send(f"/start link-{code}"))
    assert "already been used" in texts(pb.send(f"/link {code}"))
    code2 = _code(sam.send("/invite parent"))
    clock.advance(hours=49)
    assert "expired" in texts(pb.send(f"/link {code2}"))
    assert "doesn't exist" in texts(pb.send("/link NOPE1234"))
    assert "Say who the code is for" in texts(sam.send("/invite grandma"))
    db = sam.dispatcher.app.db
    with db.uow() as s:
        assert s.scalar(select(func.count()).select_from(StudentLink)) == 1
        assert (
            s.scalar(
                select(func.count()).select_from(LinkCode).where(LinkCode.used_at.is_not(None))
            )
            == 1
        )


def test_bad_assign_input_changes_nothing(people: dict[str, Chat]) -> None:
    tutor = people["tutor"]
    assert "Use /assign" in texts(tutor.send("/assign sam"))
    assert "don't know the skill" in texts(tutor.send("/assign sam knitting 5 2026-12-01"))
    assert "1 to 50" in texts(tutor.send("/assign sam transitions 500 2026-12-01"))
    assert "YYYY-MM-DD" in texts(tutor.send("/assign sam transitions 5 tomorrow"))
    assert "passed" in texts(tutor.send("/assign sam transitions 5 2020-01-01"))
    with tutor.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(StudyPlanAction)) == 0


def test_notification_preferences(chat: Chat) -> None:
    out = texts(chat.send("/notifications"))
    assert "streak" in out and "No messages yet" in out
    assert "off" in texts(chat.send("/notifications off streak"))
    assert "Use /notifications" in texts(chat.send("/notifications off everything"))
    assert "🚫 streak" in texts(chat.send("/notifications"))
