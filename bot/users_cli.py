"""``satprep users export USER`` and ``satprep users delete USER --yes``.

USER is a user id, a username (``@`` optional) or ``platform:external_id``
(``telegram:12345``). The same services as the chat's /export and /delete_me.
"""

from __future__ import annotations

import sys

from core.db.types import utcnow
from core.services import accounts


def _database(settings: object):  # type: ignore[no-untyped-def]
    from bot.wiring import open_database

    return open_database(settings.database_url)  # type: ignore[attr-defined]


def users_export(settings: object, user_ref: str) -> int:
    """Print the user's data as JSON on stdout; 1 when no such user."""
    db = _database(settings)
    try:
        with db.uow() as s:
            user = accounts.find_user(s, user_ref)
            if user is None:
                print(
                    f"satprep: no user {user_ref!r} (id, username or platform:id)", file=sys.stderr
                )
                return 1
            data = accounts.export_json(s, user.user_id, utcnow())
        sys.stdout.write(data.decode("utf-8") + "\n")
        return 0
    finally:
        db.dispose()


def users_delete(settings: object, user_ref: str, yes: bool) -> int:
    """Delete the user and everything personal (only with ``yes``); 1 when no such
    user, 2 when not confirmed."""
    db = _database(settings)
    try:
        with db.uow() as s:
            user = accounts.find_user(s, user_ref)
            if user is None:
                print(
                    f"satprep: no user {user_ref!r} (id, username or platform:id)", file=sys.stderr
                )
                return 1
            label = f"{user.user_id} ({user.display_name or 'no name'})"
            if not yes:
                answers = accounts.answer_count(s, user.user_id)
                platforms = ", ".join(accounts.platforms_of(s, user.user_id)) or "none"
                print(
                    f"would delete user {label}: {answers} answers, identities: {platforms}. "
                    "Nothing was deleted; run again with --yes to delete.",
                    file=sys.stderr,
                )
                return 2
            done = accounts.delete_user(s, user.user_id)
        print(
            f"deleted user {label}: {done.answers} answers, {done.identities} identities; "
            f"{done.posts_anonymised} posts and {done.comments_anonymised} comments anonymised"
        )
        return 0
    finally:
        db.dispose()
