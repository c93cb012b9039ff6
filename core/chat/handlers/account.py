"""/connect, /disconnect, /export and /delete_me: one record across platforms,
and the user's own data."""

from __future__ import annotations

from datetime import timedelta

from core.chat.dispatcher import Context, action, command
from core.chat.errors import UserError
from core.chat.messages import Button, Document, Edit, Outgoing, Text
from core.chat.tokens import Pressed, button_payload, new_token
from core.services import accounts

PLATFORM_ALIASES = {
    "telegram": "telegram",
    "tg": "telegram",
    "discord": "discord",
    "console": "console",
    "terminal": "console",
}


def _platform_list(platforms: list[str]) -> str:
    return " and ".join(accounts.PLATFORM_NAMES.get(p, p) for p in platforms)


@command(
    "connect",
    "Use one progress record on Telegram and Discord: get a code here, enter it there",
    usage="[CODE]",
    section="Account",
)
def connect_cmd(ctx: Context) -> list[Outgoing]:
    """Without a code: make one. With a code: connect this account with its maker."""
    code = ctx.args.strip()
    if not code:
        row = accounts.create_connect_code(ctx.s, ctx.user, ctx.now)
        here = accounts.PLATFORM_NAMES.get(ctx.identity.platform, ctx.identity.platform)
        return [
            Text(
                f"Your connect code: *{row.code}* (valid 15 minutes, once).\n\n"
                f"On your other platform (not {here}), send:\n/connect {row.code}\n\n"
                "Both accounts then share one progress record. This works when at least "
                "one of the two accounts has no answers yet.",
                private=True,
            )
        ]
    result = accounts.redeem_connect_code(ctx.s, ctx.user, code, ctx.now)
    return [
        Text(
            f"Connected: {_platform_list(result.platforms)} now share one progress record "
            f"({result.answers} answers so far). /disconnect PLATFORM splits them again."
        )
    ]


@command(
    "disconnect",
    "Split a connected platform off into a fresh account (your history stays here)",
    usage="telegram|discord",
    section="Account",
)
def disconnect_cmd(ctx: Context) -> list[Outgoing]:
    """Split the named platform off into a fresh account; history stays here."""
    arg = ctx.args.strip().lower()
    platforms = accounts.platforms_of(ctx.s, ctx.user.user_id)
    if not arg:
        if len(platforms) < 2:
            return [Text("Only one platform is connected to this account, so nothing to split.")]
        return [
            Text(
                f"Connected: {_platform_list(platforms)}. Send /disconnect "
                f"{platforms[0]} (say) to split that platform off into a fresh, empty "
                "account; all your history stays with the other one."
            )
        ]
    platform = PLATFORM_ALIASES.get(arg)
    if platform is None:
        raise UserError(
            "Name the platform to split off: /disconnect telegram or /disconnect discord."
        )
    was_current = platform == ctx.identity.platform
    identity, _ = accounts.disconnect(ctx.s, ctx.user, platform, ctx.now)
    remaining = [p for p in platforms if p != identity.platform]
    name = accounts.PLATFORM_NAMES.get(platform, platform)
    where = "This chat" if was_current else f"Your {name} account"
    return [
        Text(
            f"Done. {where} now has a fresh, empty record. All your history (answers, "
            f"points, streak, plans) stays with {_platform_list(remaining)}."
        )
    ]


@command(
    "export",
    "All your data as a JSON file",
    section="Account",
)
def export_cmd(ctx: Context) -> list[Outgoing]:
    """Send all of the caller's data as a JSON file."""
    data = accounts.export_json(ctx.s, ctx.user.user_id, ctx.now)
    return [
        Document(
            data,
            f"satprep-export-{ctx.now:%Y-%m-%d}.json",
            caption="Everything I store about you. Other people appear only by display name.",
        )
    ]


@command(
    "delete_me",
    "Delete your account and all your data (asks first)",
    section="Account",
)
def delete_me_cmd(ctx: Context) -> list[Outgoing]:
    """Ask for confirmation (a button only the caller can use) before deleting."""
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "delete_me",
        {"user": ctx.user.user_id},
        ctx.now,
        ttl=timedelta(minutes=15),
    )
    platforms = _platform_list(accounts.platforms_of(ctx.s, ctx.user.user_id))
    return [
        Text(
            "This deletes your account and everything in it, on "
            f"{platforms}: answers, scores, plans, points, streak, badges, friends and "
            "links to parents or tutors. Your posts and comments stay in their threads "
            "as “[deleted]”. It can't be undone (/export first if you want a copy).",
            buttons=(
                (
                    Button("Yes, delete everything", button_payload(token, "yes")),
                    Button("Cancel", button_payload(token, "no")),
                ),
            ),
        )
    ]


@action("delete_me")
def delete_me_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """Delete on "yes", change nothing on "cancel"."""
    if pressed.row.payload.get("user") != ctx.user.user_id:
        raise UserError("That button belongs to someone else.")
    pressed.row.used_at = ctx.now
    if pressed.arg != "yes":
        return [Edit("Cancelled: nothing was deleted.")]
    done = accounts.delete_user(ctx.s, ctx.user.user_id)
    return [
        Edit(
            f"Deleted: your account, {done.answers} answers and everything else personal. "
            f"{done.posts_anonymised + done.comments_anonymised} post(s)/comment(s) now "
            "show as [deleted]. If you write to me again, you start fresh."
        )
    ]
