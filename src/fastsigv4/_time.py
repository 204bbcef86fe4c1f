"""Signing time: passed in (aware datetime or "YYYYMMDDTHHMMSSZ") or read per call."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from .errors import InvalidRequestError

__all__ = ["Timestamp", "amz_date_text", "parse_amz_date", "resolve_timestamp"]

Timestamp = datetime | str | None

# One-slot caches, each an immutable tuple replaced in a single assignment, so threads
# can share them without a lock. Signing many requests with one timestamp string, or
# with the clock within one second, then costs a comparison instead of a parse.
_last_clock: tuple[int, str, datetime] | None = None  # (whole seconds, X-Amz-Date, UTC)
_last_string: tuple[str, datetime] | None = None  # (X-Amz-Date, UTC)
# Aware datetimes compare equal exactly when they are the same instant, whatever their
# zones, so an equal one has the same UTC form.
_last_datetime: tuple[datetime, str, datetime] | None = None  # (given, X-Amz-Date, UTC)


def resolve_timestamp(timestamp: Timestamp) -> tuple[str, datetime]:
    """Return (X-Amz-Date text, the same instant as an aware UTC datetime)."""
    global _last_clock, _last_datetime, _last_string
    if timestamp is None:
        seconds = int(time.time())
        clock = _last_clock
        if clock is None or clock[0] != seconds:
            now = datetime.fromtimestamp(seconds, timezone.utc)
            clock = _last_clock = (seconds, amz_date_text(now), now)
        return clock[1], clock[2]
    if isinstance(timestamp, str):
        # Only an exact str is cached: a subclass is returned as itself, as it always was.
        cached = _last_string
        if cached is not None and type(timestamp) is str and cached[0] == timestamp:
            return cached
        parsed = parse_amz_date(timestamp)
        if parsed is None:
            raise InvalidRequestError(
                f"timestamp {timestamp!r} is not a valid 'YYYYMMDDTHHMMSSZ' UTC time "
                "(example: '20150830T123600Z')"
            )
        if type(timestamp) is str:
            _last_string = (timestamp, parsed)
        return timestamp, parsed
    if isinstance(timestamp, datetime):
        last = _last_datetime
        if last is not None and type(timestamp) is datetime and last[0] == timestamp:
            return last[1], last[2]
        if timestamp.utcoffset() is None:
            raise InvalidRequestError(
                "timestamp is a naive datetime; pass an aware one such as "
                "datetime.now(timezone.utc), or a 'YYYYMMDDTHHMMSSZ' string"
            )
        try:
            utc = timestamp.astimezone(timezone.utc).replace(microsecond=0)
        except OverflowError:
            utc = None
        if utc is None:
            raise InvalidRequestError(
                f"timestamp {timestamp!r} is outside the years 1 to 9999 once converted to UTC"
            )
        amz_date = amz_date_text(utc)
        if type(timestamp) is datetime:
            _last_datetime = (timestamp, amz_date, utc)
        return amz_date, utc
    raise InvalidRequestError(
        f"timestamp must be an aware datetime, a 'YYYYMMDDTHHMMSSZ' string or None, "
        f"not {type(timestamp).__name__}"
    )


def amz_date_text(instant: datetime) -> str:
    """'YYYYMMDDTHHMMSSZ' of a UTC datetime, the year always four digits (strftime's %Y
    is not zero-padded before year 1000 on every platform)."""
    return (
        f"{instant.year:04d}{instant.month:02d}{instant.day:02d}"
        f"T{instant.hour:02d}{instant.minute:02d}{instant.second:02d}Z"
    )


def parse_amz_date(text: str) -> datetime | None:
    """The UTC instant of 'YYYYMMDDTHHMMSSZ' (ASCII digits, a real date and time), else None.

    The fixed-width fields make this equal to strptime with that format, at a fraction
    of its cost, except that strptime also took some non-ASCII digits ('\uff12' for 2),
    which have no place in an X-Amz-Date. Field ranges (month 13, February 30, second 60)
    are left to the datetime constructor.
    """
    if not (
        len(text) == 16
        and text.isascii()
        and text[8] == "T"
        and text[15] == "Z"
        and text[:8].isdigit()
        and text[9:15].isdigit()
    ):
        return None
    try:
        return _from_fields(text)
    except ValueError:
        return None


def _fields_to_datetime(text: str) -> datetime:
    return datetime(
        int(text[:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[9:11]),
        int(text[11:13]),
        int(text[13:15]),
        tzinfo=timezone.utc,
    )


# Python 3.11+ reads the ISO 8601 basic format itself, with the same field checks, in a
# fraction of the time: the same datetime for every text of the shape checked above.
_from_fields = datetime.fromisoformat if sys.version_info >= (3, 11) else _fields_to_datetime
