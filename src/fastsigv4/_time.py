"""Signing time: passed in (aware datetime or "YYYYMMDDTHHMMSSZ") or read per call."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from .errors import InvalidRequestError

__all__ = ["Timestamp", "resolve_timestamp"]

Timestamp = datetime | str | None

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z\Z")


def resolve_timestamp(timestamp: Timestamp) -> tuple[str, datetime]:
    """Return (X-Amz-Date text, the same instant as an aware UTC datetime)."""
    if timestamp is None:
        now = datetime.fromtimestamp(int(time.time()), timezone.utc)
        return now.strftime("%Y%m%dT%H%M%SZ"), now
    if isinstance(timestamp, datetime):
        if timestamp.utcoffset() is None:
            raise InvalidRequestError(
                "timestamp is a naive datetime; pass an aware one such as "
                "datetime.now(timezone.utc), or a 'YYYYMMDDTHHMMSSZ' string"
            )
        utc = timestamp.astimezone(timezone.utc).replace(microsecond=0)
        return utc.strftime("%Y%m%dT%H%M%SZ"), utc
    if isinstance(timestamp, str):
        if _AMZ_DATE.match(timestamp):
            try:
                parsed = datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ")
            except ValueError:
                pass
            else:
                return timestamp, parsed.replace(tzinfo=timezone.utc)
        raise InvalidRequestError(
            f"timestamp {timestamp!r} is not a valid 'YYYYMMDDTHHMMSSZ' UTC time "
            "(example: '20150830T123600Z')"
        )
    raise InvalidRequestError(
        f"timestamp must be an aware datetime, a 'YYYYMMDDTHHMMSSZ' string or None, "
        f"not {type(timestamp).__name__}"
    )
