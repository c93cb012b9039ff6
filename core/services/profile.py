"""User settings: parsing what people type into valid values."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.chat.errors import UserError

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?$", re.I)


def parse_timezone(text: str) -> str:
    """An IANA zone (``Asia/Tokyo``) or a whole-hour offset (``UTC+9``)."""
    raw = text.strip()
    if raw.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    m = _OFFSET.match(raw)
    if m:
        hours = int(m.group(2))
        if hours > 14:
            raise UserError(
                "That offset is out of range. Try something like UTC+9 or America/New_York."
            )
        if hours == 0:
            return "UTC"
        # The Etc/GMT zones count the other way round: UTC+9 is Etc/GMT-9.
        sign = "-" if m.group(1) == "+" else "+"
        return f"Etc/GMT{sign}{hours}"
    candidate = raw.replace(" ", "_")
    lookup = {z.lower(): z for z in available_timezones()}
    name = lookup.get(candidate.lower())
    if name is None:
        raise UserError(
            f"I don't know the time zone {raw[:40]!r}. Send a city zone like Europe/Paris "
            "or America/Los_Angeles, or an offset like UTC+9."
        )
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed zones load
        raise UserError(f"The time zone {name} is not available here.") from None
    return name


def parse_test_date(text: str, today: date) -> date:
    """A future date, ``YYYY-MM-DD``, at most two years away."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError("Please send the date as YYYY-MM-DD, for example 2027-03-13.") from None
    if value <= today:
        raise UserError("That date has passed. Send the date of your next SAT as YYYY-MM-DD.")
    if (value - today).days > 730:
        raise UserError("That is more than two years away. Send a date within the next two years.")
    return value


def parse_target(text: str) -> int:
    """A total score from 400 to 1600, in steps of 10."""
    try:
        value = int(text.strip())
    except ValueError:
        raise UserError(
            "Send your target total score as a number from 400 to 1600, like 1400."
        ) from None
    if not 400 <= value <= 1600 or value % 10:
        raise UserError("SAT totals run from 400 to 1600 in steps of 10. Try a number like 1350.")
    return value


def parse_hours(text: str) -> int:
    """Weekly study hours, 1 to 40."""
    try:
        value = int(text.strip().removesuffix("h").strip())
    except ValueError:
        raise UserError(
            "Send the hours you can study per week as a whole number, like 5."
        ) from None
    if not 1 <= value <= 40:
        raise UserError("Pick between 1 and 40 hours a week.")
    return value


def parse_clock(text: str) -> time:
    """A local time of day, ``HH:MM`` (24-hour)."""
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise UserError("Send a time as HH:MM in 24-hour form, like 19:30.") from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Quiet hours ``HH:MM-HH:MM`` (may wrap past midnight)."""
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        raise UserError("Send quiet hours as HH:MM-HH:MM, like 22:00-07:00.")
    return parse_clock(parts[0]), parse_clock(parts[1])


def local_today(tz: str, now: datetime) -> date:
    """The user's local date at ``now``."""
    return now.astimezone(ZoneInfo(tz)).date()
