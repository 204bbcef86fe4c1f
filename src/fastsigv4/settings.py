"""Signing settings as frozen data, and the per-service presets.

The preset is chosen from the *service name* (never guessed from a hostname):
S3 and its relatives sign the path as sent, everything else double-encodes and
normalizes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import InvalidRequestError

__all__ = [
    "DEFAULT_EXCLUDED_HEADERS",
    "DEFAULT_SETTINGS",
    "S3_SERVICES",
    "S3_SETTINGS",
    "SessionTokenMode",
    "SigningSettings",
    "settings_for_service",
]

SessionTokenMode = Literal["include", "append_after_signing"]

# Headers that proxies, load balancers and HTTP clients add, drop or rewrite in
# transit; signing them turns a correct request into SignatureDoesNotMatch.
# An entry ending in "*" excludes every header with that prefix.
DEFAULT_EXCLUDED_HEADERS: frozenset[str] = frozenset(
    {
        "user-agent",
        "x-amzn-trace-id",
        "expect",
        "connection",
        "keep-alive",
        "proxy-*",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-forwarded-*",
    }
)

S3_SERVICES: frozenset[str] = frozenset({"s3", "s3-object-lambda", "s3-outposts", "s3express"})

_TOKEN_MODES = ("include", "append_after_signing")


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """How a request is canonicalized and where the signature material goes.

    double_uri_encode: encode the (already URL-encoded) path once more, as every
        service except S3 expects; off means the path is signed as sent.
    normalize_path: remove ``.``/``..`` segments and collapse repeated slashes.
    session_token_mode: ``"include"`` signs X-Amz-Security-Token; with
        ``"append_after_signing"`` it is added after signing (IoT-style endpoints).
    add_content_sha256_header: send and sign ``X-Amz-Content-SHA256``.
    presign_unsigned_payload: presigned requests carry ``UNSIGNED-PAYLOAD``
        unless a body or payload hash is given.
    excluded_headers: lowercase names never signed; ``"proxy-*"`` is a prefix.
    max_expires: the largest X-Amz-Expires accepted, in seconds.
    """

    double_uri_encode: bool = True
    normalize_path: bool = True
    session_token_mode: SessionTokenMode = "include"
    add_content_sha256_header: bool = False
    presign_unsigned_payload: bool = False
    excluded_headers: frozenset[str] = DEFAULT_EXCLUDED_HEADERS
    max_expires: int = 604800
    _excluded_exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _excluded_prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (
            "double_uri_encode",
            "normalize_path",
            "add_content_sha256_header",
            "presign_unsigned_payload",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InvalidRequestError(f"SigningSettings.{name} must be True or False")
        if self.session_token_mode not in _TOKEN_MODES:
            raise InvalidRequestError(
                f"SigningSettings.session_token_mode must be one of {_TOKEN_MODES}, "
                f"not {self.session_token_mode!r}"
            )
        if isinstance(self.max_expires, bool) or not isinstance(self.max_expires, int):
            raise InvalidRequestError("SigningSettings.max_expires must be an int (seconds)")
        if self.max_expires < 1:
            raise InvalidRequestError("SigningSettings.max_expires must be at least 1 second")
        if isinstance(self.excluded_headers, str):
            raise InvalidRequestError(
                "SigningSettings.excluded_headers must be a collection of header names, "
                "not a single str"
            )
        names = frozenset(self.excluded_headers)
        for name in names:
            if not isinstance(name, str) or not name or name != name.lower():
                raise InvalidRequestError(
                    f"SigningSettings.excluded_headers entries must be lowercase header "
                    f"names, got {name!r}"
                )
            if name.rstrip("*") in ("host", "authorization") or name == "*":
                raise InvalidRequestError(
                    f"SigningSettings.excluded_headers cannot contain {name!r}: Host is always "
                    "signed and Authorization never is"
                )
        object.__setattr__(self, "excluded_headers", names)
        object.__setattr__(self, "_excluded_exact", frozenset(n for n in names if n[-1] != "*"))
        object.__setattr__(
            self, "_excluded_prefixes", tuple(sorted(n[:-1] for n in names if n[-1] == "*"))
        )

    def is_signed_header(self, lowercase_name: str) -> bool:
        """The one header filter: whether a caller's header goes into SignedHeaders."""
        if lowercase_name == "host":
            return True  # even when a prefix such as "h*" would match it
        if lowercase_name in self._excluded_exact or lowercase_name == "authorization":
            return False
        return not lowercase_name.startswith(self._excluded_prefixes)


DEFAULT_SETTINGS = SigningSettings()

S3_SETTINGS = SigningSettings(
    double_uri_encode=False,
    normalize_path=False,
    add_content_sha256_header=True,
    presign_unsigned_payload=True,
)


def settings_for_service(service: str) -> SigningSettings:
    """The preset for a signing name: S3 rules for the S3 family, default rules otherwise."""
    return S3_SETTINGS if service in S3_SERVICES else DEFAULT_SETTINGS
