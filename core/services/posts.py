"""Posts and comments: a discussion thread per question, and group posts.

A question's thread is readable (and writable) only by students who have
answered that question outside a running test, so nothing is spoiled. Group
posts are for the group's members. Limits: :data:`MAX_LENGTH` characters a
post or comment; :data:`BURST` posts and comments together per
:data:`BURST_WINDOW` and :data:`DAILY` per 24 hours (deleted ones count too,
so deleting does not reset the limit).

Deleting: the author deletes their own (the text is blanked). Removing: a
group's admin (a group post, or a comment under one) and a tutor linked to
the author remove it (``removed_by`` set, the text kept for the record but
never shown).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import (
    Comment,
    Post,
    PracticeSession,
    Question,
    Response,
    StudentLink,
    User,
)
from core.services.groups import NOT_MEMBER, membership

MAX_LENGTH = 500
BURST = 5
BURST_WINDOW = timedelta(minutes=10)
DAILY = 50
TEST_KINDS = ("full", "section")
ANSWER_FIRST = "Answer this question first: its discussion opens once you have answered it."


def check_content(text: str) -> str:
    """The trimmed text, refused when empty or over :data:`MAX_LENGTH`."""
    text = text.strip()
    if not text:
        raise UserError("Write something after the command, for example /post Who's up for a quiz?")
    if len(text) > MAX_LENGTH:
        raise UserError(
            f"That's {len(text)} characters; posts and comments are at most {MAX_LENGTH}. "
            "Please shorten it."
        )
    return text


def _written_since(s: Session, user_id: str, since: datetime) -> int:
    posts = s.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.user_id == user_id, Post.timestamp > since)
    )
    comments = s.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.user_id == user_id, Comment.timestamp > since)
    )
    return int(posts or 0) + int(comments or 0)


def check_rate(s: Session, user_id: str, now: datetime) -> None:
    """Refuse a post or comment over the burst or daily limit."""
    if _written_since(s, user_id, now - BURST_WINDOW) >= BURST:
        raise UserError(
            f"You've written {BURST} posts and comments in the last "
            f"{int(BURST_WINDOW.total_seconds() // 60)} minutes. Take a short break and try again."
        )
    if _written_since(s, user_id, now - timedelta(days=1)) >= DAILY:
        raise UserError(
            f"That's {DAILY} posts and comments today, the daily limit. See you tomorrow!"
        )


def has_answered(s: Session, user_id: str, question_id: str) -> bool:
    """True when the user answered (or skipped, seeing the key) the question
    in a session that is not a running test."""
    return (
        s.scalar(
            select(Response.id)
            .join(PracticeSession, PracticeSession.session_id == Response.session_id)
            .where(
                Response.user_id == user_id,
                Response.question_id == question_id,
                ~((PracticeSession.status == "active") & PracticeSession.test_type.in_(TEST_KINDS)),
            )
            .limit(1)
        )
        is not None
    )


def latest_answered(s: Session, user_id: str) -> Question | None:
    """The question the user answered most recently (outside a running test)."""
    qid = s.scalar(
        select(Response.question_id)
        .join(PracticeSession, PracticeSession.session_id == Response.session_id)
        .where(
            Response.user_id == user_id,
            ~((PracticeSession.status == "active") & PracticeSession.test_type.in_(TEST_KINDS)),
        )
        .order_by(Response.timestamp.desc(), Response.id.desc())
        .limit(1)
    )
    return None if qid is None else s.get(Question, qid)


def require_answered(s: Session, user_id: str, question_id: str) -> None:
    """Refuse the thread of a question the user has not answered."""
    if not has_answered(s, user_id, question_id):
        raise UserError(ANSWER_FIRST)


def create_post(
    s: Session,
    user: User,
    text: str,
    now: datetime,
    question_id: str | None = None,
    group_id: int | None = None,
) -> Post:
    """A post in a question's thread or a group, after every check."""
    content = check_content(text)
    if question_id is not None:
        require_answered(s, user.user_id, question_id)
    elif group_id is not None and membership(s, group_id, user.user_id) is None:
        raise UserError(NOT_MEMBER)
    check_rate(s, user.user_id, now)
    post = Post(
        user_id=user.user_id,
        question_id=question_id,
        group_id=group_id,
        content=content,
        timestamp=now,
    )
    s.add(post)
    s.flush()
    return post


def visible_post(s: Session, user: User, post_id: int) -> Post:
    """A live post the user may read (UserError otherwise, naming no hidden detail)."""
    post = s.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise UserError(f"There is no post #{post_id}. Check the number in /discuss or /posts.")
    if post.question_id is not None:
        require_answered(s, user.user_id, post.question_id)
    elif post.group_id is not None and membership(s, post.group_id, user.user_id) is None:
        raise UserError(NOT_MEMBER)
    return post


def add_comment(s: Session, user: User, post_id: int, text: str, now: datetime) -> Comment:
    """A comment under a post the user may read."""
    content = check_content(text)
    post = visible_post(s, user, post_id)
    check_rate(s, user.user_id, now)
    comment = Comment(post_id=post.id, user_id=user.user_id, content=content, timestamp=now)
    s.add(comment)
    s.flush()
    return comment


def thread(s: Session, question_id: str, limit: int = 20) -> list[Post]:
    """A question's newest live posts, oldest first."""
    rows = s.scalars(
        select(Post)
        .where(Post.question_id == question_id, Post.deleted_at.is_(None))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def group_posts(s: Session, group_id: int, limit: int = 10) -> list[Post]:
    """A group's newest live posts, oldest first."""
    rows = s.scalars(
        select(Post)
        .where(Post.group_id == group_id, Post.deleted_at.is_(None))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def is_tutor_of(s: Session, tutor_id: str, student_id: str | None) -> bool:
    """True when ``tutor_id`` is linked to the student as their tutor."""
    if student_id is None:
        return False
    return (
        s.scalar(
            select(StudentLink.id).where(
                StudentLink.student_id == student_id,
                StudentLink.linked_id == tutor_id,
                StudentLink.role == "tutor",
            )
        )
        is not None
    )


def _group_admin(s: Session, group_id: int | None, user_id: str, chat_admin_of: int | None) -> bool:
    if group_id is None:
        return False
    if chat_admin_of == group_id:
        return True
    row = membership(s, group_id, user_id)
    return row is not None and row.is_admin


def delete_post(s: Session, user: User, post_id: int, now: datetime) -> None:
    """The author deletes their post (its text is blanked)."""
    post = s.get(Post, post_id)
    if post is None or post.deleted_at is not None or post.user_id != user.user_id:
        raise UserError(f"You have no post #{post_id}. Only the author can delete a post.")
    post.deleted_at, post.content = now, ""


def delete_comment(s: Session, user: User, comment_id: int, now: datetime) -> None:
    """The author deletes their comment (its text is blanked)."""
    comment = s.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None or comment.user_id != user.user_id:
        raise UserError(f"You have no comment #{comment_id}. Only the author can delete it.")
    comment.deleted_at, comment.content = now, ""


def remove_post(
    s: Session, moderator: User, post_id: int, now: datetime, chat_admin_of: int | None = None
) -> Post:
    """A group admin (``chat_admin_of``: the group where the platform says the
    caller is an admin) or the author's tutor hides a post."""
    post = s.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise UserError(f"There is no post #{post_id}.")
    if not (
        _group_admin(s, post.group_id, moderator.user_id, chat_admin_of)
        or is_tutor_of(s, moderator.user_id, post.user_id)
    ):
        raise UserError("Only a group admin, or the author's tutor, can remove a post.")
    post.deleted_at, post.removed_by = now, moderator.user_id
    return post


def remove_comment(
    s: Session, moderator: User, comment_id: int, now: datetime, chat_admin_of: int | None = None
) -> Comment:
    """Like :func:`remove_post`, for a comment (a group admin of the post's group)."""
    comment = s.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise UserError(f"There is no comment #{comment_id}.")
    post = s.get(Post, comment.post_id)
    group_id = post.group_id if post is not None else None
    if not (
        _group_admin(s, group_id, moderator.user_id, chat_admin_of)
        or is_tutor_of(s, moderator.user_id, comment.user_id)
    ):
        raise UserError("Only a group admin, or the author's tutor, can remove a comment.")
    comment.deleted_at, comment.removed_by = now, moderator.user_id
    return comment


def author_name(user: User | None) -> str:
    """How an author is shown (a deleted account: "someone")."""
    if user is None:
        return "someone"
    return f"@{user.username}" if user.username else (user.display_name or "someone")


def render_post(post: Post) -> str:
    """A post with its live comments, for the chat."""
    lines = [f"#{post.id} {author_name(post.user)}: {post.content}"]
    for c in post.comments:
        if c.deleted_at is not None:
            why = "removed by a moderator" if c.removed_by else "deleted"
            lines.append(f"   ↳ c{c.id} [{why}]")
        else:
            lines.append(f"   ↳ c{c.id} {author_name(c.user)}: {c.content}")
    return "\n".join(lines)
