"""The schema: SQLAlchemy 2 typed models.

The fourteen tables of the original design (``users``, ``questions``,
``responses``, ``proficiencies``, ``practice_sessions``, ``study_plans``,
``study_plan_actions``, ``badges``, ``notifications``,
``tutor_interactions``, ``tutor_actions``, ``posts``, ``comments``,
``friends``) keep their names and fields; the tables after them are what a
chat-first product needs that the web design lacked. Idempotency lives here
as unique constraints, so a redelivered update or a second process cannot
count anything twice.

Deleting a user: rows that are only theirs go with them (``ON DELETE
CASCADE``); rows that others' data hangs on (posts, comments, a tutor's
assignments) keep existing with the user reference set to NULL, and the
account service blanks their text, so no row names the user afterwards.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.db.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def new_id() -> str:
    """A random, URL-safe primary key for rows users may refer to."""
    return secrets.token_hex(8)


def _user_fk(ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey("users.user_id", ondelete=ondelete)


# --------------------------------------------------------------------------
# People and identities
# --------------------------------------------------------------------------


class User(Base):
    """A person: student, parent or tutor (a tutor may also study).

    The seed's ``linked_user_id`` allowed one link per user, so a student
    could not have two parents, or a tutor two students. Links are a
    many-to-many table (:class:`StudentLink`) with role and consent time.
    Settings (time zone, reminders, test date, targets) are columns here:
    every one is read with the user on almost every event.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('student', 'tutor', 'parent')", name="role"),
        CheckConstraint("streak >= 0 AND streak_freezes BETWEEN 0 AND 2", name="streak"),
        CheckConstraint(
            "target_score IS NULL OR target_score BETWEEN 400 AND 1600", name="target_score"
        ),
    )

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    username: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Chat users sign in through their platform identity; email and password
    # remain for an eventual web login and are normally empty.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    hashed_password: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="student")
    study_hours: Mapped[int | None] = mapped_column(Integer)  # weekly hours
    points: Mapped[int] = mapped_column(Integer, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    streak_freezes: Mapped[int] = mapped_column(Integer, default=0)
    last_active_date: Mapped[date | None] = mapped_column(Date)  # the user's local date
    league: Mapped[str] = mapped_column(String(16), default="Bronze")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    reminder_time: Mapped[time | None] = mapped_column(Time)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    test_date: Mapped[date | None] = mapped_column(Date)
    target_score: Mapped[int | None] = mapped_column(Integer)
    onboarding_step: Mapped[str | None] = mapped_column(String(32))
    invite_code: Mapped[str] = mapped_column(
        String(16), unique=True, default=lambda: secrets.token_hex(4)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    responses: Mapped[list[Response]] = relationship(back_populates="user", passive_deletes=True)
    proficiencies: Mapped[list[Proficiency]] = relationship(
        back_populates="user", passive_deletes=True
    )
    sessions: Mapped[list[PracticeSession]] = relationship(
        back_populates="user", passive_deletes=True
    )
    plans: Mapped[list[StudyPlan]] = relationship(back_populates="user", passive_deletes=True)
    badges: Mapped[list[Badge]] = relationship(back_populates="user", passive_deletes=True)
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="user", passive_deletes=True
    )
    tutor_interactions: Mapped[list[TutorInteraction]] = relationship(
        back_populates="user", passive_deletes=True
    )
    posts: Mapped[list[Post]] = relationship(
        back_populates="user", foreign_keys="Post.user_id", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="user", foreign_keys="Comment.user_id", passive_deletes=True
    )
    friends_sent: Mapped[list[Friend]] = relationship(
        foreign_keys="Friend.user_id", back_populates="user", passive_deletes=True
    )
    friends_received: Mapped[list[Friend]] = relationship(
        foreign_keys="Friend.friend_id", back_populates="friend", passive_deletes=True
    )
    links_as_student: Mapped[list[StudentLink]] = relationship(
        foreign_keys="StudentLink.student_id", back_populates="student", passive_deletes=True
    )
    links_as_linked: Mapped[list[StudentLink]] = relationship(
        foreign_keys="StudentLink.linked_id", back_populates="linked", passive_deletes=True
    )


class Identity(Base):
    """A platform account (Telegram user, Discord user, terminal) of a user."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        CheckConstraint("platform IN ('telegram', 'discord', 'console')", name="platform"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    dm_chat_id: Mapped[str | None] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")


class StudentLink(Base):
    """A parent or tutor who may see a student, by the student's consent."""

    __tablename__ = "student_links"
    __table_args__ = (
        UniqueConstraint("student_id", "linked_id", "role"),
        CheckConstraint("role IN ('parent', 'tutor')", name="role"),
        CheckConstraint("student_id <> linked_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    linked_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    role: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    alerts: Mapped[list[Any]] = mapped_column(default=list)  # opted-in alert kinds

    student: Mapped[User] = relationship(
        foreign_keys=[student_id], back_populates="links_as_student"
    )
    linked: Mapped[User] = relationship(foreign_keys=[linked_id], back_populates="links_as_linked")


class LinkCode(Base):
    """A one-time, expiring code: parent/tutor linking or connecting a platform."""

    __tablename__ = "link_codes"
    __table_args__ = (
        CheckConstraint("purpose IN ('parent', 'tutor', 'connect', 'friend')", name="purpose"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))


class NotificationPreference(Base):
    """A per-kind opt-out (or opt-in) of pushed messages."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    kind: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


# --------------------------------------------------------------------------
# Study groups
# --------------------------------------------------------------------------


class StudyGroup(Base):
    """A Telegram group or a Discord server (or channel) that studies together."""

    __tablename__ = "study_groups"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(128), default="")
    qotd_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    qotd_time: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", passive_deletes=True
    )


class GroupMembership(Base):
    """A member who opted in to a study group (nobody is enrolled silently)."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[StudyGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class QuestionOfTheDay(Base):
    """The question posted in a group on one local date."""

    __tablename__ = "group_qotd"
    __table_args__ = (UniqueConstraint("group_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.question_id"))
    message_ref: Mapped[str | None] = mapped_column(String(64))  # poll id or message id
    posted_at: Mapped[datetime | None]


class QotdAnswer(Base):
    """A member's first answer to a question of the day (only the first counts)."""

    __tablename__ = "group_qotd_answers"
    __table_args__ = (UniqueConstraint("qotd_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qotd_id: Mapped[int] = mapped_column(ForeignKey("group_qotd.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(_user_fk())
    answer: Mapped[str] = mapped_column(String(16))
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupChallenge(Base):
    """The same items for every member over a window, ranked at the end."""

    __tablename__ = "group_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))
    title: Mapped[str] = mapped_column(String(128))
    question_ids: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


# --------------------------------------------------------------------------
# Questions and their statistics
# --------------------------------------------------------------------------


class Question(Base):
    """A stored item: authored, tutor-written or generated (see core/content)."""

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint("type IN ('mcq', 'spr')", name="type"),
        CheckConstraint("section IN ('rw', 'math')", name="section"),
        CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name="difficulty"),
        CheckConstraint("a_param > 0 AND c_param >= 0 AND c_param < 1", name="irt"),
        Index("ix_questions_section_skill", "section", "skill"),
    )

    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    section: Mapped[str] = mapped_column(String(8))
    domain: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str] = mapped_column(String(32))
    difficulty: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)  # the stem
    passage: Mapped[str | None] = mapped_column(Text)
    passage2: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # letter → choice text
    correct_answer: Mapped[list[Any]] = mapped_column(JSON)  # [letter] or SPR entries
    explanation: Mapped[str] = mapped_column(Text, default="")
    hints: Mapped[list[Any]] = mapped_column(default=list)
    figure: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(255), default="")
    bank: Mapped[str] = mapped_column(String(64), default="core")
    owner_id: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))
    generator: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(Integer)
    a_param: Mapped[float] = mapped_column(Float, default=1.0)
    b_param: Mapped[float] = mapped_column(Float, default=0.0)
    c_param: Mapped[float] = mapped_column(Float, default=0.25)
    calibrated_at: Mapped[datetime | None]
    is_anchor: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    responses: Mapped[list[Response]] = relationship(back_populates="question")


class ItemStats(Base):
    """Exposure and success counts of an item, refreshed by the nightly job.

    Kept off the answer path on purpose: a counter row updated by every
    answer would serialise concurrent students on popular items.
    """

    __tablename__ = "item_stats"

    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE"), primary_key=True
    )
    exposures: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    exposure_rate: Mapped[float] = mapped_column(Float, default=0.0)
    sh_parameter: Mapped[float] = mapped_column(Float, default=1.0)  # Sympson–Hetter
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationRun(Base):
    """One run of item calibration (nightly or by the operator)."""

    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    n_responses: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class CalibrationHistory(Base):
    """An item's parameters as one calibration run estimated them."""

    __tablename__ = "calibration_history"
    __table_args__ = (UniqueConstraint("run_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE"), index=True
    )
    a_param: Mapped[float] = mapped_column(Float)
    b_param: Mapped[float] = mapped_column(Float)
    c_param: Mapped[float] = mapped_column(Float)
    se_a: Mapped[float | None] = mapped_column(Float)
    se_b: Mapped[float | None] = mapped_column(Float)
    se_c: Mapped[float | None] = mapped_column(Float)
    n_responses: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------
# Sessions, modules, responses, abilities
# --------------------------------------------------------------------------


class PracticeSession(Base):
    """A diagnostic, practice run, full or one-section test, review or worksheet."""

    __tablename__ = "practice_sessions"
    __table_args__ = (
        CheckConstraint(
            "test_type IN ('diagnostic', 'practice', 'full', 'section', 'review', "
            "'worksheet', 'challenge')",
            name="test_type",
        ),
        CheckConstraint("status IN ('active', 'finished', 'abandoned')", name="status"),
        Index("ix_practice_sessions_user_status", "user_id", "status"),
    )

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(_user_fk())
    theta: Mapped[float] = mapped_column(Float, default=0.0)
    standard_error: Mapped[float | None] = mapped_column(Float)
    test_type: Mapped[str] = mapped_column(String(16))
    section: Mapped[str | None] = mapped_column(String(16))  # "math", "rw" or "math,rw"
    topic: Mapped[str | None] = mapped_column(String(32))  # skill or domain code
    plan_id: Mapped[str | None] = mapped_column(
        ForeignKey("study_plans.plan_id", ondelete="SET NULL")
    )
    plan_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_plan_actions.id", ondelete="SET NULL")
    )
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_challenges.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    timed: Mapped[bool] = mapped_column(Boolean, default=False)
    target_count: Mapped[int | None] = mapped_column(Integer)
    current_question_id: Mapped[str | None] = mapped_column(
        ForeignKey("questions.question_id", ondelete="SET NULL")
    )
    asked_at: Mapped[datetime | None]  # when the current question was shown
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # engine state, small
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="sessions")
    responses: Mapped[list[Response]] = relationship(
        back_populates="session", passive_deletes=True, order_by="Response.id"
    )
    plan: Mapped[StudyPlan | None] = relationship(back_populates="sessions")
    modules: Mapped[list[TestModule]] = relationship(
        back_populates="session", passive_deletes=True, order_by="TestModule.position"
    )


class TestModule(Base):
    """One module of a full or section test: 27 R&W or 22 Math questions."""

    __tablename__ = "test_modules"
    __test__ = False  # not a pytest class, despite the name
    __table_args__ = (
        UniqueConstraint("session_id", "position"),
        CheckConstraint("stage IN (1, 2)", name="stage"),
        CheckConstraint("route IN ('broad', 'easier', 'harder')", name="route"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("practice_sessions.session_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # 0.. in order of sitting
    section: Mapped[str] = mapped_column(String(8))
    stage: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(8))
    time_limit_s: Mapped[int | None] = mapped_column(Integer)  # None when untimed
    started_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    session: Mapped[PracticeSession] = relationship(back_populates="modules")
    items: Mapped[list[TestModuleItem]] = relationship(
        back_populates="module", passive_deletes=True, order_by="TestModuleItem.position"
    )


class TestModuleItem(Base):
    """A question's place in a module; pretest items are not scored."""

    __tablename__ = "test_module_items"
    __test__ = False
    __table_args__ = (
        UniqueConstraint("module_id", "position"),
        UniqueConstraint("module_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("test_modules.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.question_id"))
    is_pretest: Mapped[bool] = mapped_column(Boolean, default=False)

    module: Mapped[TestModule] = relationship(back_populates="items")


class Response(Base):
    """A student's answer to one question in one session (once, by constraint)."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("session_id", "question_id"),
        UniqueConstraint("user_id", "client_id"),
        Index("ix_responses_user_time", "user_id", "timestamp"),
        Index("ix_responses_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("practice_sessions.session_id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(_user_fk())
    # RESTRICT: an item with responses is retired, never deleted, so that
    # calibration and every student's history keep their meaning.
    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.question_id", ondelete="RESTRICT")
    )
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("test_modules.id", ondelete="SET NULL")
    )
    answer: Mapped[str | None] = mapped_column(String(16))  # None: unanswered / timed out
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pretest: Mapped[bool] = mapped_column(Boolean, default=False)
    time_spent: Mapped[int] = mapped_column(Integer, default=0)  # seconds
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    theta_after: Mapped[float | None] = mapped_column(Float)
    points_awarded: Mapped[int] = mapped_column(Integer, default=0)
    client_id: Mapped[str | None] = mapped_column(String(64))  # offline sync idempotency
    review_text: Mapped[str | None] = mapped_column(Text)  # the AI review of this miss

    user: Mapped[User] = relationship(back_populates="responses")
    question: Mapped[Question] = relationship(back_populates="responses")
    session: Mapped[PracticeSession] = relationship(back_populates="responses")


class Proficiency(Base):
    """An ability estimate (section, domain or skill) at a point in time."""

    __tablename__ = "proficiencies"
    __table_args__ = (
        CheckConstraint("scope IN ('section', 'domain', 'skill')", name="scope"),
        Index("ix_proficiencies_user_scope", "user_id", "scope", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    scope: Mapped[str] = mapped_column(String(8), default="skill")
    section: Mapped[str] = mapped_column(String(8))
    domain: Mapped[str | None] = mapped_column(String(32))
    skill: Mapped[str | None] = mapped_column(String(32))
    theta: Mapped[float] = mapped_column(Float)
    standard_error: Mapped[float] = mapped_column(Float, default=1.0)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("practice_sessions.session_id", ondelete="SET NULL")
    )
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="proficiencies")


class ReviewCard(Base):
    """A missed item on the spaced-repetition schedule (FSRS card state)."""

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        Index("ix_review_cards_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE")
    )
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)  # fsrs.Card.to_dict()
    due_at: Mapped[datetime]
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    last_review_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionToken(Base):
    """An opaque button payload: resolved by the core and checked against the caller.

    Platforms let a client send any button payload back (Telegram's
    ``callback_data``, Discord's ``custom_id``), so a button carries only
    this random token; what it means, for whom and until when is here.
    """

    __tablename__ = "action_tokens"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]


class InboundEvent(Base):
    """A platform update already handled: a redelivered one is ignored."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --------------------------------------------------------------------------
# Study plans
# --------------------------------------------------------------------------


class StudyPlan(Base):
    """A dated schedule toward a test date; replaced, never edited, on re-plan."""

    __tablename__ = "study_plans"

    plan_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    test_date: Mapped[datetime | None]
    target_score: Mapped[int | None] = mapped_column(Integer)
    weekly_hours: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="plans")
    actions: Mapped[list[StudyPlanAction]] = relationship(
        back_populates="plan", passive_deletes=True, order_by="StudyPlanAction.due_date"
    )
    sessions: Mapped[list[PracticeSession]] = relationship(back_populates="plan")


class StudyPlanAction(Base):
    """One thing to do on a day: practise a skill, review, sit a test."""

    __tablename__ = "study_plan_actions"
    __table_args__ = (Index("ix_study_plan_actions_plan_due", "plan_id", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("study_plans.plan_id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(255))  # what the student reads
    action: Mapped[str] = mapped_column(String(16))  # practice | review | full | section | ...
    topic: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[datetime]
    points: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[datetime | None]
    assigned_by: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))

    plan: Mapped[StudyPlan] = relationship(back_populates="actions")


# --------------------------------------------------------------------------
# Gamification
# --------------------------------------------------------------------------


class Badge(Base):
    """A badge a user earned; each at most once."""

    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    name: Mapped[str] = mapped_column(String(64))
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="badges")


class PointsEntry(Base):
    """One award of points; the reference makes an award happen once."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        UniqueConstraint("user_id", "ref"),
        Index("ix_points_ledger_user_week", "user_id", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64))  # e.g. "response:123", "action:7"
    local_date: Mapped[date] = mapped_column(Date)
    week: Mapped[date] = mapped_column(Date)  # Monday of the ISO week (UTC)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityDay(Base):
    """A local day on which the user did real work (or a streak freeze covered it)."""

    __tablename__ = "activity_days"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    local_date: Mapped[date] = mapped_column(Date)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    freeze_used: Mapped[bool] = mapped_column(Boolean, default=False)


class LeagueMembership(Base):
    """A user's place in a weekly league cohort."""

    __tablename__ = "league_memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "week"),
        Index("ix_league_memberships_cohort", "week", "tier", "cohort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    week: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(16))
    cohort: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    final_rank: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(8))  # promoted | stayed | demoted


class LeagueRollover(Base):
    """A week whose league results are final; its key makes roll-over run once."""

    __tablename__ = "league_rollovers"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------
# Notifications (the outbox)
# --------------------------------------------------------------------------


class Notification(Base):
    """A message the bot pushes on its own: written first, delivered later, once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'suppressed')", name="status"
        ),
        Index("ix_notifications_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)  # created
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    read: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="notifications")


# --------------------------------------------------------------------------
# AI tutor and human tutors
# --------------------------------------------------------------------------


class TutorInteraction(Base):
    """One exchange with the AI tutor, online or offline."""

    __tablename__ = "tutor_interactions"
    __table_args__ = (Index("ix_tutor_interactions_user_time", "user_id", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk())
    question_id: Mapped[str | None] = mapped_column(
        ForeignKey("questions.question_id", ondelete="SET NULL")
    )
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("practice_sessions.session_id", ondelete="SET NULL")
    )
    query: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    duration: Mapped[float] = mapped_column(Float, default=0.0)  # seconds
    model: Mapped[str | None] = mapped_column(String(128))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    hint_level: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(back_populates="tutor_interactions")


class TutorAction(Base):
    """Every view of and action on a student by a linked tutor or parent."""

    __tablename__ = "tutor_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    student_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)

    tutor: Mapped[User] = relationship(foreign_keys=[tutor_id])
    student: Mapped[User] = relationship(foreign_keys=[student_id])


# --------------------------------------------------------------------------
# Social
# --------------------------------------------------------------------------


class Post(Base):
    """A group post or a message in a question's discussion thread."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_question", "question_id"),
        Index("ix_posts_group", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))
    question_id: Mapped[str | None] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE")
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))

    user: Mapped[User | None] = relationship(back_populates="posts", foreign_keys=[user_id])
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", passive_deletes=True, order_by="Comment.id"
    )


class Comment(Base):
    """A reply to a post."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(_user_fk("SET NULL"))

    post: Mapped[Post] = relationship(back_populates="comments")
    user: Mapped[User | None] = relationship(back_populates="comments", foreign_keys=[user_id])


class Friend(Base):
    """A friendship or request between two users; one row per pair, either way."""

    __tablename__ = "friends"
    __table_args__ = (
        UniqueConstraint("pair_key"),
        CheckConstraint("user_id <> friend_id", name="not_self"),
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'blocked')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)  # who asked (or blocked)
    friend_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    # "low:high" of the two ids, so (a, b) and (b, a) collide on the constraint.
    pair_key: Mapped[str] = mapped_column(String(80))

    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="friends_sent")
    friend: Mapped[User] = relationship(foreign_keys=[friend_id], back_populates="friends_received")

    @staticmethod
    def key_for(a: str, b: str) -> str:
        """The pair key of two users, the same in either order."""
        return ":".join(sorted((a, b)))


@event.listens_for(Friend, "before_insert")
def _friend_pair_key(mapper: Any, connection: Any, target: Friend) -> None:
    target.pair_key = Friend.key_for(target.user_id, target.friend_id)


# --------------------------------------------------------------------------
# Worksheets (offline)
# --------------------------------------------------------------------------


class Worksheet(Base):
    """A printable set of items answered on paper and synced later."""

    __tablename__ = "worksheets"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. W-7F3K
    user_id: Mapped[str] = mapped_column(_user_fk(), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("practice_sessions.session_id", ondelete="CASCADE")
    )
    topic: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[WorksheetItem]] = relationship(
        back_populates="worksheet", passive_deletes=True, order_by="WorksheetItem.position"
    )


class WorksheetItem(Base):
    """An item's number on a worksheet, and the response it synced to (once)."""

    __tablename__ = "worksheet_items"
    __table_args__ = (
        UniqueConstraint("worksheet_code", "position"),
        UniqueConstraint("response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worksheet_code: Mapped[str] = mapped_column(ForeignKey("worksheets.code", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.question_id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))
    synced_at: Mapped[datetime | None]

    worksheet: Mapped[Worksheet] = relationship(back_populates="items")
