"""/discuss, /post, /posts, /comment and deleting or removing them.

A question's thread opens only to students who answered it (no spoilers);
group posts are for the group's members. Limits are in
:mod:`core.services.posts`.
"""

from __future__ import annotations

from core.chat.dispatcher import Context, action, command
from core.chat.errors import UserError
from core.chat.handlers.groups import in_group
from core.chat.messages import Outgoing, Text
from core.chat.tokens import Pressed
from core.db.models import Question
from core.services import posts
from core.services.groups import NOT_MEMBER, membership

SECTION = "Discussion"


def _thread_text(ctx: Context, q: Question) -> str:
    rows = posts.thread(ctx.s, q.question_id)
    stem = q.text.strip().replace("\n", " ")
    head = f"*Discussion of {q.question_id}*\n{stem[:160]}{'…' if len(stem) > 160 else ''}"
    body = "\n".join(posts.render_post(p) for p in rows) if rows else "No posts yet: start one!"
    return (
        f"{head}\n\n{body}\n\n"
        f"/post TEXT adds a post here (your latest question's thread) · /comment ID TEXT replies"
    )


def show_thread(ctx: Context, question_id: str) -> list[Outgoing]:
    """The thread of a question the caller answered (UserError otherwise)."""
    q = ctx.s.get(Question, question_id)
    if q is None:
        raise UserError(f"I don't know the question {question_id[:40]!r}.")
    posts.require_answered(ctx.s, ctx.user.user_id, q.question_id)
    return [Text(_thread_text(ctx, q))]


def _latest(ctx: Context) -> Question:
    q = posts.latest_answered(ctx.s, ctx.user.user_id)
    if q is None:
        raise UserError(
            "Answer a question first (try /practice); then /discuss opens its discussion."
        )
    return q


@command(
    "discuss",
    "The discussion of your latest answered question (or question ID)",
    usage="[question_id]",
    section=SECTION,
)
def discuss_cmd(ctx: Context) -> list[Outgoing]:
    arg = ctx.args.strip()
    if arg:
        return show_thread(ctx, arg)
    return show_thread(ctx, _latest(ctx).question_id)


@action("discuss")
def discuss_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """The "Discuss" button under a question's feedback (payload: the question)."""
    return show_thread(ctx, str(pressed.row.payload.get("question", "")))


@command(
    "post",
    "Post in this group, or in your latest question's discussion",
    usage="TEXT",
    group=True,
    section=SECTION,
)
def post_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.incoming.chat_kind == "group":
        group = in_group(ctx)
        post = posts.create_post(ctx.s, ctx.user, ctx.args, ctx.now, group_id=group.id)
        return [Text(f"Posted as #{post.id}. Members reply with /comment {post.id} TEXT.")]
    posts.check_content(ctx.args)
    q = _latest(ctx)
    post = posts.create_post(ctx.s, ctx.user, ctx.args, ctx.now, question_id=q.question_id)
    return [Text(f"Posted #{post.id} in the discussion of {q.question_id}.")]


@command("posts", "Recent posts of this group", group=True, section=SECTION)
def posts_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.incoming.chat_kind != "group":
        return discuss_cmd(ctx)
    group = in_group(ctx)
    if membership(ctx.s, group.id, ctx.user.user_id) is None:
        raise UserError(NOT_MEMBER)
    rows = posts.group_posts(ctx.s, group.id)
    if not rows:
        return [Text("No posts yet. Members write one with /post TEXT.")]
    return [Text("\n".join(posts.render_post(p) for p in rows))]


def _number(ctx: Context, what: str) -> int:
    raw = ctx.args.strip().lower().lstrip("#").removeprefix("c")
    if not raw.isdigit() or len(raw) > 12:
        raise UserError(f"Give the {what} number, like /{ctx.incoming.command} 12.")
    return int(raw)


@command("comment", "Reply to a post", usage="POST_ID TEXT", group=True, section=SECTION)
def comment_cmd(ctx: Context) -> list[Outgoing]:
    head, _, text = ctx.args.strip().partition(" ")
    if not head.lstrip("#").isdigit():
        raise UserError("Send /comment POST_ID TEXT, like /comment 12 Nice trick!")
    comment = posts.add_comment(ctx.s, ctx.user, int(head.lstrip("#")), text, ctx.now)
    return [Text(f"Comment c{comment.id} added under #{comment.post_id}.")]


@command("delete_post", "Delete your post", usage="ID", group=True, section=SECTION)
def delete_post_cmd(ctx: Context) -> list[Outgoing]:
    posts.delete_post(ctx.s, ctx.user, _number(ctx, "post"), ctx.now)
    return [Text("Deleted.")]


@command("delete_comment", "Delete your comment", usage="ID", group=True, section=SECTION)
def delete_comment_cmd(ctx: Context) -> list[Outgoing]:
    posts.delete_comment(ctx.s, ctx.user, _number(ctx, "comment"), ctx.now)
    return [Text("Deleted.")]


def _admin_group(ctx: Context) -> int | None:
    if ctx.incoming.chat_kind == "group" and ctx.incoming.is_chat_admin:
        return in_group(ctx).id
    return None


@command(
    "remove_post",
    "Moderators (group admins, the author's tutor): remove a post",
    usage="ID",
    group=True,
    section=SECTION,
)
def remove_post_cmd(ctx: Context) -> list[Outgoing]:
    post_id = _number(ctx, "post")
    posts.remove_post(ctx.s, ctx.user, post_id, ctx.now, chat_admin_of=_admin_group(ctx))
    return [Text(f"Post #{post_id} removed.")]


@command(
    "remove_comment",
    "Moderators (group admins, the author's tutor): remove a comment",
    usage="ID",
    group=True,
    section=SECTION,
)
def remove_comment_cmd(ctx: Context) -> list[Outgoing]:
    comment_id = _number(ctx, "comment")
    posts.remove_comment(ctx.s, ctx.user, comment_id, ctx.now, chat_admin_of=_admin_group(ctx))
    return [Text(f"Comment c{comment_id} removed.")]
