"""/username, /invite_friend, /friend …, /friends and the ``friend-CODE`` deep link."""

from __future__ import annotations

from core.chat.dispatcher import Context, action, command
from core.chat.errors import UserError
from core.chat.handlers.start import deep_link
from core.chat.messages import Button, Edit, Outgoing, Text
from core.chat.tokens import Pressed, button_payload, new_token
from core.db.models import User
from core.services import friends
from core.services.friends import display
from core.services.leaderboard import format_board, standings
from core.services.points import week_of

FRIEND_HELP = (
    "Friends:\n"
    "/friend add @name — or their invite code\n"
    "/friend accept NAME · /friend decline NAME\n"
    "/friend remove NAME — also cancels your own request\n"
    "/friend block NAME · /friend unblock NAME\n"
    "/friends — your friends, requests and the friends leaderboard\n"
    "/username NAME — choose the name friends find you by\n"
    "/invite_friend — your invite code and link"
)
UNKNOWN = "I can't find {ref!r}. Check the spelling: a username like @sat_fan, or an invite code."


def _resolve(ctx: Context, ref: str) -> User:
    if not ref:
        raise UserError("Name who, for example /friend add @sat_fan.\n\n" + FRIEND_HELP)
    other = friends.find_user(ctx.s, ref)
    if other is None:
        raise UserError(UNKNOWN.format(ref=ref[:32]))
    return other


def _sent_reply(outcome: friends.RequestOutcome) -> list[Outgoing]:
    if outcome.status == "accepted":
        return [Text(f"{display(outcome.other)} had already asked you, so you're now friends! 🎉")]
    # "silent" (they blocked you) reads exactly like "sent" on purpose.
    return [
        Text(f"Request sent to {display(outcome.other)}. They'll see it in their /friends list.")
    ]


@command(
    "username",
    "Choose the username friends find you by",
    usage="NAME",
    section="Friends",
)
def username_cmd(ctx: Context) -> list[Outgoing]:
    raw = ctx.args.strip()
    if not raw:
        current = f"@{ctx.user.username}" if ctx.user.username else "not set"
        return [
            Text(f"Your username: {current}.\nSet one with /username NAME (3–20 of a–z, 0–9, _).")
        ]
    name = friends.set_username(ctx.s, ctx.user, raw)
    return [Text(f"Your username is now @{name}. Friends can add you with /friend add @{name}.")]


@command("invite_friend", "Your invite code and link for friends", section="Friends")
def invite_cmd(ctx: Context) -> list[Outgoing]:
    code = ctx.user.invite_code
    return [
        Text(
            f"Your invite code: *{code}*\n"
            f"A friend sends me /friend add {code}, or opens the link with /start friend-{code}."
        )
    ]


@deep_link("friend")
def friend_link(ctx: Context, code: str) -> list[Outgoing]:
    """``/start friend-CODE``: a friend request to the code's owner."""
    other = friends.find_user(ctx.s, code) if code else None
    if other is None or other.invite_code != code.lower():
        raise UserError("That invite link is not valid (it may be mistyped). Ask for a new one.")
    return _sent_reply(friends.request(ctx.s, ctx.user, other, ctx.now))


@command(
    "friend",
    "Add, accept, decline, remove or block a friend",
    usage="add|accept|decline|remove|block|unblock NAME",
    section="Friends",
)
def friend_cmd(ctx: Context) -> list[Outgoing]:
    verb, _, ref = ctx.args.strip().partition(" ")
    verb, ref = verb.lower(), ref.strip()
    if verb not in ("add", "accept", "decline", "remove", "block", "unblock"):
        return [Text(FRIEND_HELP)]
    other = _resolve(ctx, ref)
    if verb == "add":
        return _sent_reply(friends.request(ctx.s, ctx.user, other, ctx.now))
    if verb == "accept":
        friends.accept(ctx.s, ctx.user, other, ctx.now)
        return [Text(f"You and {display(other)} are now friends! 🎉 See /friends.")]
    if verb == "decline":
        friends.decline(ctx.s, ctx.user, other, ctx.now)
        return [Text(f"Declined. {display(other)} is not told.")]
    if verb == "remove":
        what = friends.remove(ctx.s, ctx.user, other)
        if what == "cancelled":
            return [Text(f"Your request to {display(other)} is cancelled.")]
        return [Text(f"{display(other)} is no longer on your friends list.")]
    if verb == "block":
        friends.block(ctx.s, ctx.user, other, ctx.now)
        return [Text(f"Blocked {display(other)}. They can't send you requests, and aren't told.")]
    friends.unblock(ctx.s, ctx.user, other)
    return [Text(f"Unblocked {display(other)}.")]


@command(
    "friends",
    "Your friends, requests and the friends leaderboard",
    usage="[alltime]",
    section="Friends",
)
def friends_cmd(ctx: Context) -> list[Outgoing]:
    me = ctx.user.user_id
    out: list[Outgoing] = []
    for other in friends.pending_incoming(ctx.s, me):
        token = new_token(ctx.s, me, "friendreq", {"from": other.user_id}, ctx.now)
        out.append(
            Text(
                f"{display(other)} wants to be friends.",
                buttons=(
                    (
                        Button("Accept", button_payload(token, "accept")),
                        Button("Decline", button_payload(token, "decline")),
                    ),
                ),
            )
        )
    waiting = friends.pending_outgoing(ctx.s, me)
    ids = friends.friend_ids(ctx.s, me)
    all_time = ctx.args.strip().lower() in ("all", "alltime", "all_time", "all-time")
    rows = standings(ctx.s, [me, *ids], week=None if all_time else week_of(ctx.now.date()))
    title = "*Friends — all time*" if all_time else "*Friends — this week*"
    lines = [format_board(rows, me, title)]
    if not ids:
        lines.append("\nNo friends yet. Add one with /friend add @name, or share /invite_friend.")
    if waiting:
        lines.append("\nWaiting for an answer: " + ", ".join(display(u) for u in waiting))
    lines.append("\n/friends alltime for all-time points." if not all_time else "")
    out.append(Text("\n".join(lines).strip()))
    return out


@action("friendreq")
def friend_request_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """Accept or Decline under a request in /friends (the token is the recipient's)."""
    other = ctx.s.get(User, pressed.row.payload.get("from"))
    if other is None or pressed.arg not in ("accept", "decline"):
        raise UserError("That request is no longer there. See /friends.")
    pressed.row.used_at = ctx.now
    if pressed.arg == "accept":
        friends.accept(ctx.s, ctx.user, other, ctx.now)
        return [Edit(f"You and {display(other)} are now friends! 🎉")]
    friends.decline(ctx.s, ctx.user, other, ctx.now)
    return [Edit(f"Declined the request from {display(other)}.")]
