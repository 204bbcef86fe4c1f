"""Credentials: an immutable value whose repr never shows the secret or the token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import InvalidRequestError

__all__ = ["Credentials"]

# Characters that would break the `Credential=AKID/date/region/service/aws4_request`
# field of the Authorization header for every server that parses it.
_ACCESS_KEY_FORBIDDEN = frozenset("/,=")


def _visible_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable() and " " not in text


@dataclass(frozen=True, slots=True)
class Credentials:
    """An AWS access key pair, optionally with a session token and its expiry.

    ``expiration`` (an aware datetime) is when temporary credentials stop working;
    presigned URLs cannot outlive it.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_key_id, str) or not self.access_key_id:
            raise InvalidRequestError("access_key_id must be a non-empty str")
        bad = _ACCESS_KEY_FORBIDDEN.intersection(self.access_key_id)
        if bad or not _visible_ascii(self.access_key_id):
            raise InvalidRequestError(
                "access_key_id contains whitespace, a control or non-ASCII character or one "
                "of '/,=', which cannot be carried in the Credential field; check that the "
                "access key id was copied without surrounding text"
            )
        if not isinstance(self.secret_access_key, str) or not self.secret_access_key:
            raise InvalidRequestError("secret_access_key must be a non-empty str")
        if self.session_token is not None and (
            not isinstance(self.session_token, str) or not self.session_token
        ):
            raise InvalidRequestError(
                "session_token must be a non-empty str or None (pass None when there is no token)"
            )
        if self.session_token is not None and not _visible_ascii(self.session_token):
            raise InvalidRequestError(
                "session_token contains whitespace, a control or non-ASCII character, which "
                "cannot be sent in the X-Amz-Security-Token header; check that the token was "
                "copied whole and without surrounding text"
            )
        if self.expiration is not None and (
            not isinstance(self.expiration, datetime) or self.expiration.utcoffset() is None
        ):
            raise InvalidRequestError(
                "expiration must be a timezone-aware datetime, e.g. "
                "datetime(2026, 1, 1, tzinfo=timezone.utc)"
            )

    def __repr__(self) -> str:
        token = "None" if self.session_token is None else "'<redacted>'"
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, "
            f"secret_access_key='<redacted>', session_token={token}, "
            f"expiration={self.expiration!r})"
        )

    __str__ = __repr__
