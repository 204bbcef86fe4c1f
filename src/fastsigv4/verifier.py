"""Verifier: server-side SigV4 verification of header-signed and presigned requests.

``inspect_request`` reads what a signed request claims (access key, scope, signed
headers, signature) and recomputes its canonical request and string to sign with the
signer's own canonicalization; no secret is needed, so diagnose and ``fastsigv4
explain`` use it too. ``Verifier.verify`` adds the checks a server makes (scope, time,
session token, body hash) and compares the signature in constant time.

Every rejection is a ``VerificationError`` subclass carrying the AWS error code, HTTP
status and the message AWS gives.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from time import time as _time
from typing import Any, Literal, NamedTuple

from . import _core
from ._core_py import (
    ALGORITHM,
    COMMON_METHODS,
    EMPTY_SHA256,
    HTTP_TOKEN,
    SIGNING_PARAMETERS,
    remembered,
)
from ._time import amz_date_text
from .credentials import Credentials
from .errors import (
    AccessDeniedError,
    AuthorizationHeaderMalformedError,
    AuthorizationQueryParametersError,
    ContentSHA256MismatchError,
    IncompleteSignatureError,
    InvalidAccessKeyIdError,
    InvalidRequestError,
    InvalidTokenError,
    MalformedRequestError,
    MissingAuthenticationTokenError,
    RequestLimitExceededError,
    RequestTimeTooSkewedError,
    SignatureDoesNotMatchError,
    UnsupportedSignatureError,
    VerificationError,
)
from .settings import SigningSettings, settings_for_service
from .signer import _HEX_SHA256, _SCOPE_PART, _SPECIAL_PAYLOAD_HASHES, _redact

__all__ = [
    "DEFAULT_LIMITS",
    "AuthType",
    "RequestLimits",
    "RequestSignature",
    "SecretLookup",
    "VerifiedRequest",
    "Verifier",
    "inspect_request",
]

AuthType = Literal["header", "query"]
SecretValue = str | Credentials | None
SecretLookup = Mapping[str, str | Credentials] | Callable[[str], SecretValue]
ReceivedHeaders = (
    Mapping[str, str]
    | Sequence[tuple[str, str]]
    | Sequence[tuple[bytes, bytes]]
    | Sequence[list[bytes]]
    | None
)
ReceivedBody = bytes | bytearray | memoryview | str | None

# The six every presigned request carries (X-Amz-Security-Token is the seventh).
_QUERY_PARAMETERS = SIGNING_PARAMETERS[:6]
_REQUIRED_QUERY_MESSAGE = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
_SIGV2_QUERY_MESSAGE = (
    "The authorization mechanism you have provided is not supported: AWSAccessKeyId= and "
    f"Signature= are Signature Version 2 query parameters. Please use {ALGORITHM} (presign "
    "with X-Amz-* parameters)."
)
_SIGNED_HEADER_NAME = HTTP_TOKEN


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """Bounds on what a verifier reads, so hostile requests cost bounded work.

    A request over a limit is rejected with RequestLimitExceededError before any
    canonicalization. The defaults are above what AWS itself accepts (S3: 8 KiB of
    headers, URLs of a few KiB) with room for long session tokens.
    """

    max_url_length: int = 16384
    max_query_parameters: int = 1000
    max_headers: int = 200
    max_header_bytes: int = 65536

    def __post_init__(self) -> None:
        for name in ("max_url_length", "max_query_parameters", "max_headers", "max_header_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequestError(f"RequestLimits.{name} must be an int >= 1")


DEFAULT_LIMITS = RequestLimits()


@dataclass(frozen=True, slots=True)
class RequestSignature:
    """What a signed request claims, and what it canonicalizes to (no secret involved).

    ``canonical_request`` and ``string_to_sign`` are computed with the signer's rules for
    the scope's service (or the settings given); compare them with the client's, or with
    the ones in a server's SignatureDoesNotMatch error.
    """

    auth_type: AuthType
    access_key_id: str
    amz_date: str  # X-Amz-Date, YYYYMMDDTHHMMSSZ
    date: str  # the credential scope's date, YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    expires: int | None  # X-Amz-Expires of a presigned request
    payload_hash: str
    canonical_request: str
    string_to_sign: str
    _session_token: str | None = None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    def __repr__(self) -> str:
        return (
            f"RequestSignature(auth_type={self.auth_type!r}, "
            f"access_key_id={self.access_key_id!r}, amz_date={self.amz_date!r}, "
            f"scope={self.scope!r}, signed_headers={self.signed_headers!r}, "
            f"signature={self.signature!r}, expires={self.expires!r}, "
            f"payload_hash={self.payload_hash!r})"
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


def _utc(seconds: int) -> datetime:
    """The aware UTC datetime of POSIX seconds (the whole datetime range, on any OS)."""
    return _EPOCH + timedelta(seconds=seconds)


_VERIFIED_FIELDS = (
    "access_key_id",
    "date",
    "region",
    "service",
    "signed_headers",
    "auth_type",
    "expires_at",
    "payload_sha256",
)


class VerifiedRequest(tuple):  # type: ignore[type-arg]
    """A request whose signature verified: who signed it, for what, until when.

    Immutable, compared and hashed by its fields like a frozen dataclass. The verifier
    keeps ``date`` and ``expires_at`` as POSIX seconds and builds the (aware UTC)
    datetimes when they are read, so a verification that only checks the signature
    does not pay for them.
    """

    __slots__ = ()
    __match_args__ = (
        "access_key_id",
        "date",
        "region",
        "service",
        "signed_headers",
        "auth_type",
        "expires_at",
        "payload_sha256",
    )

    def __new__(
        cls,
        access_key_id: str,
        date: datetime,  # X-Amz-Date, aware UTC
        region: str,
        service: str,
        signed_headers: tuple[str, ...],
        auth_type: AuthType,
        expires_at: datetime | None,  # presigned requests: X-Amz-Date + X-Amz-Expires
        payload_sha256: str,  # the signed payload hash: hex, UNSIGNED-PAYLOAD or STREAMING-*
    ) -> VerifiedRequest:
        # The verifier builds its results with _new_tuple: date and expires_at as POSIX
        # seconds (items 8 and 9), items 1 and 6 None.
        return tuple.__new__(
            cls,
            (
                access_key_id,
                date,
                region,
                service,
                signed_headers,
                auth_type,
                expires_at,
                payload_sha256,
                None,
                None,
            ),
        )

    @property
    def access_key_id(self) -> str:
        return self[0]  # type: ignore[no-any-return]

    @property
    def date(self) -> datetime:
        """X-Amz-Date (or the Date header), aware UTC."""
        date: datetime | None = self[1]
        return _utc(self[8]) if date is None else date

    @property
    def region(self) -> str:
        return self[2]  # type: ignore[no-any-return]

    @property
    def service(self) -> str:
        return self[3]  # type: ignore[no-any-return]

    @property
    def signed_headers(self) -> tuple[str, ...]:
        return self[4]  # type: ignore[no-any-return]

    @property
    def auth_type(self) -> AuthType:
        return self[5]  # type: ignore[no-any-return]

    @property
    def expires_at(self) -> datetime | None:
        """Presigned requests: X-Amz-Date + X-Amz-Expires, aware UTC; else None."""
        expires_at: datetime | None = self[6]
        seconds: int | None = self[9]
        return _utc(seconds) if expires_at is None and seconds is not None else expires_at

    @property
    def payload_sha256(self) -> str:
        """The signed payload hash: hex, UNSIGNED-PAYLOAD or STREAMING-*."""
        return self[7]  # type: ignore[no-any-return]

    def _fields(self) -> tuple[Any, ...]:
        return (
            self[0],
            self.date,
            self[2],
            self[3],
            self[4],
            self[5],
            self.expires_at,
            self[7],
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, VerifiedRequest)
        return self._fields() == other._fields()

    def __ne__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, VerifiedRequest)
        return self._fields() != other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    # Not ordered, as a dataclass without order=True.
    def __lt__(self, other: object) -> bool:
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[VerifiedRequest], tuple[Any, ...]]:
        return VerifiedRequest, self._fields()

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(_VERIFIED_FIELDS, self._fields(), strict=True)
        )
        return f"VerifiedRequest({fields})"


# Marks that verify() has not asked the secret lookup yet.
_NOT_LOOKED_UP = object()

# tuple.__new__(cls, items) builds a tuple subclass (_Claim, VerifiedRequest) from its
# items without running the class's Python __new__: a fraction of the cost.
_new_tuple = tuple.__new__


class _Claim(NamedTuple):
    """The signing elements parsed from a request, before anything is computed."""

    auth_type: AuthType
    access_key_id: str
    amz_date: str
    signed_at: int  # X-Amz-Date (or Date) as POSIX seconds
    date: str
    region: str
    service: str
    scope: str  # date/region/service/aws4_request
    signed_headers: tuple[str, ...]
    signature: str
    expires: int | None
    session_token: str | None
    method: str
    path: str
    # The canonical query (every parameter but X-Amz-Signature), or None when the query
    # cannot be canonicalized, and query_error says why.
    canonical_query: str | None
    query_error: str | None
    headers: dict[str, list[str]]  # lowercase name -> values in order


def _malformed_for(auth_type: AuthType) -> type[VerificationError]:
    if auth_type == "header":
        return AuthorizationHeaderMalformedError
    return AuthorizationQueryParametersError


def _received_headers(headers: ReceivedHeaders, limits: RequestLimits) -> dict[str, list[str]]:
    """Lowercase name -> values in order; bytes pairs (ASGI) are read as Latin-1."""
    received: dict[str, list[str]] = {}
    if headers is None:
        return received
    items = headers.items() if isinstance(headers, Mapping) else headers
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise MalformedRequestError(
            "headers must be a mapping or a sequence of (name, value) pairs"
        )
    total = 0
    for count, item in enumerate(items, 1):
        if count > limits.max_headers:
            raise RequestLimitExceededError(
                f"the request has more than {limits.max_headers} headers "
                "(raise RequestLimits.max_headers to accept it)"
            )
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise MalformedRequestError(
                f"headers must be (name, value) pairs; got item {item!r:.60}"
            )
        name, value = item
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(name, str) or not HTTP_TOKEN.fullmatch(name):
            raise MalformedRequestError(f"header name {name!r:.60} is not a valid HTTP field name")
        if not isinstance(value, str):
            raise MalformedRequestError(f"header {name!r} has a {type(value).__name__} value")
        total += len(name) + len(value)
        if total > limits.max_header_bytes:
            raise RequestLimitExceededError(
                f"the request's headers are longer than {limits.max_header_bytes} characters "
                "(raise RequestLimits.max_header_bytes to accept them)"
            )
        lowercase = name.lower()
        values = received.get(lowercase)
        if values is None:
            received[lowercase] = [value]
        else:
            values.append(value)
    return received


def _single(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise MalformedRequestError(f"the request carries {len(values)} {name} headers; send one")
    return values[0]


# Parsed credentials and SignedHeaders lists: a server sees the same few over and over.
# Only valid ones are kept (valid whatever the auth type); a full cache starts over.
_credentials_seen: dict[str, tuple[str, str, str, str, str]] = {}
_signed_headers_seen: dict[str, tuple[str, ...]] = {}


def _parse_credential(credential: str, auth_type: AuthType) -> tuple[str, str, str, str, str]:
    """(access key id, date, region, service, scope) of
    ``AKID/YYYYMMDD/region/service/aws4_request``; the scope is the part after the key id."""
    parsed = _credentials_seen.get(credential)
    if parsed is None:
        parsed = remembered(
            _credentials_seen, credential, partial(_read_credential, auth_type=auth_type)
        )
    assert parsed is not None  # _read_credential raises instead
    return parsed


def _read_credential(credential: str, auth_type: AuthType) -> tuple[str, str, str, str, str]:
    parts = credential.split("/")
    malformed = _malformed_for(auth_type)
    where = (
        "The authorization header is malformed; the Credential is mal-formed"
        if auth_type == "header"
        else "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed"
    )
    if len(parts) != 5 or not all(parts):
        raise malformed(f'{where}; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
    access_key_id, date, region, service, terminal = parts
    for what, part in (("region", region), ("service", service)):
        if not _SCOPE_PART.fullmatch(part):
            raise malformed(f"{where}; the {what} {part!r:.40} is not visible ASCII.")
    if terminal != "aws4_request":
        raise malformed(
            f"{where}; incorrect terminal {terminal!r}. This endpoint uses 'aws4_request'."
        )
    if len(date) != 8 or not date.isascii() or not date.isdigit():
        raise malformed(f"{where}; the date {date!r} is not in YYYYMMDD format.")
    return access_key_id, date, region, service, f"{date}/{region}/{service}/aws4_request"


def _parse_authorization(value: str) -> tuple[str, str, str]:
    """(Credential, SignedHeaders, Signature) of an AWS4-HMAC-SHA256 Authorization value."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm == "AWS" or algorithm.startswith("AWS "):
        raise UnsupportedSignatureError(
            "The authorization mechanism you have provided is not supported: 'AWS access-key:"
            f"signature' is Signature Version 2. Please use {ALGORITHM}."
        )
    if algorithm != ALGORITHM:
        raise UnsupportedSignatureError(
            f"The authorization header algorithm {algorithm!r:.40} is not supported. "
            f"Please use {ALGORITHM}."
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, field_value = part.strip().partition("=")
        if not equals or name not in ("Credential", "SignedHeaders", "Signature"):
            raise AuthorizationHeaderMalformedError(
                f"The authorization header is malformed; {part.strip()!r:.60} is not "
                "Credential=..., SignedHeaders=... or Signature=..."
            )
        if name in fields:
            raise AuthorizationHeaderMalformedError(
                f"The authorization header is malformed; {name} appears more than once."
            )
        fields[name] = field_value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in fields
    ]
    if missing:
        raise IncompleteSignatureError(" ".join(missing))
    return fields["Credential"], fields["SignedHeaders"], fields["Signature"]


def _parse_signed_headers(text: str, auth_type: AuthType) -> tuple[str, ...]:
    names = _signed_headers_seen.get(text)
    if names is None:
        names = remembered(
            _signed_headers_seen, text, partial(_read_signed_headers, auth_type=auth_type)
        )
    assert names is not None  # _read_signed_headers raises instead
    return names


def _read_signed_headers(text: str, auth_type: AuthType) -> tuple[str, ...]:
    names = tuple(text.split(";"))
    for name in names:
        if not _SIGNED_HEADER_NAME.fullmatch(name) or name != name.lower():
            raise _malformed_for(auth_type)(
                f"SignedHeaders {text!r:.80} is malformed: expected lowercase header names "
                "separated by ';' (e.g. 'host;x-amz-date')"
            )
    if list(names) != sorted(set(names)):
        raise _malformed_for(auth_type)(
            f"SignedHeaders {text!r:.80} must list each header once, in sorted order, as "
            "the canonical request does"
        )
    return names


def _amz_date_message(text: str | None) -> str:
    return f"X-Amz-Date {text!r:.40} must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""


def _header_amz_date(headers: dict[str, list[str]]) -> tuple[str, int]:
    """(X-Amz-Date text, its POSIX seconds) of a header-signed request, which may carry a
    Date header instead."""
    amz = _single(headers, "x-amz-date")
    if amz is None:
        http_date = _single(headers, "date")
        if http_date is None:
            raise AccessDeniedError("AWS authentication requires a valid Date or x-amz-date header")
        try:
            instant = parsedate_to_datetime(http_date)
        except (TypeError, ValueError):
            instant = None
        if instant is None or instant.utcoffset() is None:
            raise AccessDeniedError(
                f"AWS authentication requires a valid Date or x-amz-date header; "
                f"Date {http_date!r:.40} is not an RFC 7231 date"
            )
        try:
            instant = instant.astimezone(timezone.utc)
        except OverflowError:
            raise AccessDeniedError(
                f"AWS authentication requires a valid Date or x-amz-date header; "
                f"Date {http_date!r:.40} is outside the years 1 to 9999 in UTC"
            ) from None
        return amz_date_text(instant), (instant - _EPOCH) // _SECOND
    text = amz.strip()
    seconds = _core.amz_date_seconds(text)
    if seconds is None:
        raise AccessDeniedError(_amz_date_message(text))
    return text, seconds


def _parse_claim(
    method: str,
    url: str,
    headers: ReceivedHeaders,
    settings: SigningSettings | None,
    limits: RequestLimits,
) -> tuple[_Claim, SigningSettings]:
    if not isinstance(url, str):
        raise MalformedRequestError(f"url must be a str, not {type(url).__name__}")
    if len(url) > limits.max_url_length:
        raise RequestLimitExceededError(
            f"the URL is longer than {limits.max_url_length} characters "
            "(raise RequestLimits.max_url_length to accept it)"
        )
    if (type(method) is not str or method not in COMMON_METHODS) and (
        not isinstance(method, str) or not HTTP_TOKEN.fullmatch(method)
    ):
        raise MalformedRequestError(f"method {method!r:.40} is not an HTTP method name")
    try:
        _, host, path, query = _core.split_url(url)
    except InvalidRequestError as exc:
        raise MalformedRequestError(str(exc)) from None
    if query.count("&") >= limits.max_query_parameters:
        raise RequestLimitExceededError(
            f"the query has more than {limits.max_query_parameters} parameters "
            "(raise RequestLimits.max_query_parameters to accept it)"
        )
    if headers is None:
        received = {"host": [host]}
        authorization = None
    else:
        received = _received_headers(headers, limits)
        if "host" not in received:
            received["host"] = [host]
        authorization = _single(received, "authorization")

    # One pass over the query: the signing parameters, decoded, and the canonical query.
    (
        canonical_query,
        query_error,
        duplicate,
        sigv2,
        algorithm,
        credential,
        query_date,
        expires_text,
        signed_text,
        signature,
        query_token,
        query_seconds,
        expires,
    ) = _core.presigned_parts(query)
    if duplicate is not None:
        raise AuthorizationQueryParametersError(
            f"The query parameter {duplicate} appears more than once."
        )
    if authorization is not None:
        if algorithm is not None or signature is not None:
            raise AuthorizationQueryParametersError(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
                "the Authorization header should be specified"
            )
        auth_type: AuthType = "header"
        credential, signed_text, signature = _parse_authorization(authorization)
        expires = None
        token = _single(received, "x-amz-security-token")
    elif algorithm is not None or signature is not None:
        if sigv2:
            raise UnsupportedSignatureError(_SIGV2_QUERY_MESSAGE)
        auth_type = "query"
        if (
            algorithm is None
            or credential is None
            or query_date is None
            or expires_text is None
            or signed_text is None
            or signature is None
        ):
            values = (algorithm, credential, query_date, expires_text, signed_text, signature)
            missing = [
                name for name, value in zip(_QUERY_PARAMETERS, values, strict=True) if value is None
            ]
            raise AuthorizationQueryParametersError(
                f"{_REQUIRED_QUERY_MESSAGE} Missing: {', '.join(missing)}."
            )
        if algorithm != ALGORITHM:
            raise UnsupportedSignatureError(
                f"X-Amz-Algorithm {algorithm!r:.40} is not supported. Please use {ALGORITHM}."
            )
        if expires is None:
            raise AuthorizationQueryParametersError(
                f"X-Amz-Expires should be a number of seconds, not {expires_text!r:.20}"
            )
        token = query_token
        if token is None and headers is not None:
            token = _single(received, "x-amz-security-token")
    elif sigv2:
        raise UnsupportedSignatureError(_SIGV2_QUERY_MESSAGE)
    else:
        raise MissingAuthenticationTokenError(
            "Request is missing Authentication Token: it carries neither an Authorization "
            "header nor X-Amz-* presigned query parameters."
        )

    # Credentials and SignedHeaders lists repeat: parsed once (see _parse_credential).
    parsed = _credentials_seen.get(credential)
    if parsed is None:
        parsed = _parse_credential(credential, auth_type)
    access_key_id, date, region, service, scope = parsed
    signed_headers = _signed_headers_seen.get(signed_text)
    if signed_headers is None:
        signed_headers = _parse_signed_headers(signed_text, auth_type)
    if auth_type == "query":
        if query_seconds is None:
            raise AuthorizationQueryParametersError(_amz_date_message(query_date))
        amz_date, signed_at = query_date, query_seconds
    else:
        amz_date, signed_at = _header_amz_date(received)
    if settings is None:
        settings = settings_for_service(service)
    if query_token is not None and settings.session_token_mode == "append_after_signing":
        # A token appended after signing is not part of the canonical query.
        canonical_query, query_error = _core.presigned_parts(query, True)[:2]
    claim = _new_tuple(
        _Claim,
        (
            auth_type,
            access_key_id,
            amz_date,
            signed_at,
            date,
            region,
            service,
            scope,
            signed_headers,
            signature,
            expires,
            token,
            method,
            path,
            canonical_query,
            query_error,
            received,
        ),
    )
    return claim, settings


def _check_signed_headers(claim: _Claim, settings: SigningSettings) -> None:
    """Host and every x-amz-* header the request carries must be signed, and be there."""
    signed = claim.signed_headers
    if "host" not in signed:
        raise IncompleteSignatureError("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    received = claim.headers
    for name in received:  # loops, not comprehensions: cheaper when nothing is wrong
        if name not in signed and name.startswith("x-amz-"):
            unsigned = [
                name
                for name in received
                if name not in signed
                and name.startswith("x-amz-")
                and not (
                    name == "x-amz-security-token"
                    and settings.session_token_mode == "append_after_signing"
                )
            ]
            if unsigned:
                raise AccessDeniedError(
                    "There were headers present in the request which were not signed: "
                    + ", ".join(sorted(unsigned))
                )
            break
    for name in signed:
        if name not in received:
            missing = [name for name in signed if name not in received]
            raise IncompleteSignatureError(
                f"SignedHeaders names {', '.join(missing)}, which the request does not carry: "
                "every signed header must be sent with the value it was signed with"
            )


def _body_bytes(body: ReceivedBody) -> bytes | bytearray | memoryview:
    if isinstance(body, str):
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedRequestError("body contains a lone surrogate; pass bytes") from None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return body
    raise MalformedRequestError(f"body must be bytes, str or None, not {type(body).__name__}")


def _payload_hash(
    claim: _Claim,
    settings: SigningSettings,
    body: ReceivedBody,
    payload_sha256: str | None,
) -> str:
    """The payload hash the canonical request ends with, checked against the body given."""
    if payload_sha256 is not None and not (
        isinstance(payload_sha256, str) and _HEX_SHA256.fullmatch(payload_sha256)
    ):
        raise InvalidRequestError(
            "payload_sha256 must be the lowercase hex SHA-256 of the body received"
        )
    data = None if body is None else _body_bytes(body)

    def received_hash() -> str | None:
        # Hashed only when the canonical request ends with it or a declared hash is
        # checked: a presigned S3 upload signs UNSIGNED-PAYLOAD, whatever its size.
        if data is None:
            return payload_sha256
        return _core.sha256_hex(data if isinstance(data, bytes) else bytes(data))

    declared = _single(claim.headers, "x-amz-content-sha256")
    if declared is not None:
        if not (_HEX_SHA256.fullmatch(declared) or declared in _SPECIAL_PAYLOAD_HASHES):
            raise MalformedRequestError(
                f"x-amz-content-sha256 {declared!r:.80} must be UNSIGNED-PAYLOAD, a "
                "STREAMING-* constant or the lowercase hex SHA-256 of the body"
            )
        if declared[0] not in "SU":
            computed = received_hash()
            if computed is not None and declared != computed:
                raise ContentSHA256MismatchError(
                    "The provided 'x-amz-content-sha256' header does not match what was "
                    f"computed. ClientComputedContentSHA256: {declared}, "
                    f"S3ComputedContentSHA256: {computed}"
                )
        return declared
    if claim.auth_type == "header" and settings.add_content_sha256_header:
        raise MalformedRequestError(
            "Missing required header for this request: x-amz-content-sha256"
        )
    if claim.auth_type == "query" and settings.presign_unsigned_payload:
        return "UNSIGNED-PAYLOAD"
    computed = received_hash()
    return EMPTY_SHA256 if computed is None else computed


def _canonical(claim: _Claim, settings: SigningSettings, payload_hash: str) -> tuple[str, str]:
    """(canonical request, string to sign), by the signer's rules."""
    try:
        query = claim.canonical_query
        if query is None:
            # The path's error first, as the canonical request is written.
            _core.canonical_path(claim.path, settings.double_uri_encode, settings.normalize_path)
            raise InvalidRequestError(str(claim.query_error))
        return _core.request_to_sign(
            claim.method,
            claim.path,
            settings.double_uri_encode,
            settings.normalize_path,
            query,
            claim.headers,
            claim.signed_headers,
            payload_hash,
            claim.amz_date,
            claim.scope,
        )
    except InvalidRequestError as exc:
        raise MalformedRequestError(str(exc)) from None


def inspect_request(
    method: str,
    url: str,
    headers: ReceivedHeaders = None,
    body: ReceivedBody = None,
    *,
    payload_sha256: str | None = None,
    settings: SigningSettings | None = None,
    limits: RequestLimits = DEFAULT_LIMITS,
) -> RequestSignature:
    """What a signed request claims, and its canonical request and string to sign.

    ``url`` and ``headers`` are the request as sent or received (Authorization or the
    X-Amz-* query parameters included). The rules are the preset of the scope's service
    unless ``settings`` are given. Nothing is verified but the request's form: a request
    that cannot be read raises a VerificationError naming what is wrong.
    """
    claim, settings = _parse_claim(method, url, headers, settings, limits)
    _check_signed_headers(claim, settings)
    payload_hash = _payload_hash(claim, settings, body, payload_sha256)
    canonical_request, string_to_sign = _canonical(claim, settings, payload_hash)
    return RequestSignature(
        claim.auth_type,
        claim.access_key_id,
        claim.amz_date,
        claim.date,
        claim.region,
        claim.service,
        claim.signed_headers,
        claim.signature,
        claim.expires,
        payload_hash,
        canonical_request,
        string_to_sign,
        claim.session_token,
    )


def _posix_seconds(now: object) -> float:
    """A Verifier clock's reading (POSIX seconds or an aware datetime) as seconds."""
    if isinstance(now, datetime):
        if now.utcoffset() is None:
            raise InvalidRequestError("clock returned a naive datetime; return an aware one")
        return now.timestamp()
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise InvalidRequestError("clock must return POSIX seconds or an aware datetime")
    return float(now)


def _allowed(values: Collection[str] | None, what: str) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str) or not all(isinstance(value, str) for value in values):
        raise InvalidRequestError(f"{what} must be a collection of str, e.g. {{'us-east-1'}}")
    return frozenset(values)


def _non_negative_int(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(f"{what} must be an int number of seconds >= 0")
    return value


class Verifier:
    """Verifies SigV4 header-signed and presigned requests, as an AWS service does.

    ``secret_for_access_key`` maps an access key id to its secret ``str``, or to a
    ``Credentials`` when the key was issued with a session token (the request must then
    carry that token, and is refused after ``Credentials.expiration``); a mapping or a
    callable, returning None for an unknown key. ``regions`` and ``services`` restrict
    the credential scope; ``clock`` returns the current time (POSIX seconds or an aware
    datetime); ``max_skew`` bounds how far a header-signed request's X-Amz-Date may be
    from it (and how far in the future a presigned one may start); ``max_expires``
    bounds X-Amz-Expires. ``settings`` overrides the per-service canonicalization rules.
    """

    __slots__ = (
        "_clock",
        "_lane_limits",
        "_limits",
        "_lookup",
        "_max_expires",
        "_max_skew",
        "_policy",
        "_regions",
        "_services",
        "_settings",
    )

    def __init__(
        self,
        secret_for_access_key: SecretLookup,
        *,
        regions: Collection[str] | None = None,
        services: Collection[str] | None = None,
        clock: Callable[[], float | datetime] | None = None,
        max_skew: int = 900,
        max_expires: int = 604800,
        settings: SigningSettings | None = None,
        limits: RequestLimits = DEFAULT_LIMITS,
    ) -> None:
        if isinstance(secret_for_access_key, Mapping):
            self._lookup: Callable[[str], SecretValue] = secret_for_access_key.get
        elif callable(secret_for_access_key):
            self._lookup = secret_for_access_key
        else:
            raise InvalidRequestError(
                "secret_for_access_key must be a mapping or a callable from access key id "
                "to secret (or Credentials)"
            )
        self._regions = _allowed(regions, "regions")
        self._services = _allowed(services, "services")
        if clock is not None and not callable(clock):
            raise InvalidRequestError("clock must be a callable returning the current time")
        self._clock = clock
        self._max_skew = _non_negative_int(max_skew, "max_skew")
        self._max_expires = _non_negative_int(max_expires, "max_expires")
        if settings is not None and not isinstance(settings, SigningSettings):
            raise InvalidRequestError("settings must be a fastsigv4.SigningSettings or None")
        self._settings = settings
        if not isinstance(limits, RequestLimits):
            raise InvalidRequestError("limits must be a fastsigv4.RequestLimits")
        self._limits = limits
        self._lane_limits = (
            limits.max_url_length,
            limits.max_query_parameters,
            limits.max_headers,
            limits.max_header_bytes,
        )
        self._policy = (
            self._regions,
            self._services,
            self._max_skew,
            self._max_expires,
            self._lookup,
            VerifiedRequest,
        )

    def __repr__(self) -> str:
        return (
            f"Verifier(regions={self._regions!r}, services={self._services!r}, "
            f"max_skew={self._max_skew}, max_expires={self._max_expires})"
        )

    def verify(
        self,
        method: str,
        url: str,
        headers: ReceivedHeaders = None,
        body: ReceivedBody = None,
        *,
        payload_sha256: str | None = None,
    ) -> VerifiedRequest:
        """Verify a request as received; return who signed it or raise a VerificationError.

        ``url`` is the full URL the request was sent to (scheme, Host, path and query as
        received); ``headers`` the received headers (a mapping, or (name, value) pairs as
        str or bytes). Give ``body`` (or its hex ``payload_sha256``) to check it against
        X-Amz-Content-SHA256; a request without that header signs the hash of its body,
        which is taken as empty when neither is given.
        """
        secret: SecretValue | object = _NOT_LOOKED_UP
        if payload_sha256 is None and (body is None or (type(body) is bytes and not body)):
            # The fast lane: a presigned request of the common shape, verified in one
            # core call. It only ever accepts; anything else, and any failure, goes on to
            # the full reading below, which names what is wrong.
            now = _time() if self._clock is None else self._clock()
            if type(now) is not float:
                now = _posix_seconds(now)
            outcome = _core.verify_presigned(
                method, url, headers, self._settings, self._lane_limits, self._policy, now
            )
            if outcome is not None:
                if type(outcome) is VerifiedRequest:
                    return outcome
                secret = outcome[0]  # what the lookup gave: it is not asked twice
        return self._verify_in_full(method, url, headers, body, payload_sha256, secret)

    def _verify_in_full(
        self,
        method: str,
        url: str,
        headers: ReceivedHeaders,
        body: ReceivedBody,
        payload_sha256: str | None,
        secret: SecretValue | object,
    ) -> VerifiedRequest:
        """verify() for any request: each check in order, the first failure raised.

        ``secret`` is what the lookup gave for the access key, when the fast lane
        already asked (a lookup may be a database query: asked once per request)."""
        claim, settings = _parse_claim(method, url, headers, self._settings, self._limits)
        self._check_scope(claim)
        now = _time() if self._clock is None else self._clock()
        if type(now) is not float:
            now = _posix_seconds(now)
        expires_at = self._check_time(claim, now)
        _check_signed_headers(claim, settings)
        if secret is _NOT_LOOKED_UP:
            secret = self._lookup(claim.access_key_id)
        expected_token = None
        if not (type(secret) is str and secret and claim.session_token is None):
            secret, expected_token = self._secret(secret, claim, now)  # type: ignore[arg-type]
        payload_hash = _payload_hash(claim, settings, body, payload_sha256)
        canonical_request, string_to_sign = _canonical(claim, settings, payload_hash)
        key = _core.signing_key(
            claim.access_key_id, secret, claim.date, claim.region, claim.service
        )
        # In constant time, whatever the provided signature's first differing byte.
        if not key.matches(string_to_sign, claim.signature):
            token = claim.session_token or expected_token
            canonical_shown = _redact(canonical_request, token)
            raise SignatureDoesNotMatchError(
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult the "
                "service documentation for details.\n\n"
                f"The Canonical String for this request should have been\n'{canonical_shown}'"
                f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n",
                canonical_shown,
                string_to_sign,
            )
        return _new_tuple(
            VerifiedRequest,
            (
                claim.access_key_id,
                None,
                claim.region,
                claim.service,
                claim.signed_headers,
                claim.auth_type,
                None,
                payload_hash,
                claim.signed_at,
                expires_at,
            ),
        )

    def _check_scope(self, claim: _Claim) -> None:
        regions = self._regions
        if regions is not None and claim.region not in regions:
            expecting = " or ".join(repr(region) for region in sorted(regions))
            raise _malformed_for(claim.auth_type)(
                f"Credential should be scoped to a valid region; the region "
                f"{claim.region!r:.40} is wrong; expecting {expecting}"
            )
        services = self._services
        if services is not None and claim.service not in services:
            expecting = " or ".join(repr(service) for service in sorted(services))
            raise _malformed_for(claim.auth_type)(
                f"Credential should be scoped to correct service: {expecting}."
            )
        if claim.date != claim.amz_date[:8]:
            raise _malformed_for(claim.auth_type)(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{claim.date}' != '{claim.amz_date[:8]}', from "
                f"'{claim.amz_date}'."
            )

    def _check_time(self, claim: _Claim, now: float) -> int | None:
        """The presigned request's expiry (POSIX seconds); raises when now is outside the
        valid window."""
        seconds = claim.signed_at
        skew = self._max_skew
        expires = claim.expires
        if expires is None:
            if -skew <= now - seconds <= skew:
                return None
            now_text = amz_date_text(datetime.fromtimestamp(int(now), timezone.utc))
            minutes = f"{skew // 60} min." if skew % 60 == 0 else f"{skew} s"
            if now > seconds:
                bound = amz_date_text(datetime.fromtimestamp(int(now) - skew, timezone.utc))
                raise RequestTimeTooSkewedError(
                    f"Signature expired: {claim.amz_date} is now earlier than {bound} "
                    f"({now_text} - {minutes})"
                )
            bound = amz_date_text(datetime.fromtimestamp(int(now) + skew, timezone.utc))
            raise RequestTimeTooSkewedError(
                f"Signature not yet current: {claim.amz_date} is still later than {bound} "
                f"({now_text} + {minutes})"
            )
        if expires < 1:
            raise AuthorizationQueryParametersError("X-Amz-Expires must be at least 1 second")
        if expires > self._max_expires:
            raise AuthorizationQueryParametersError(
                f"X-Amz-Expires must be less than a week (in seconds) that is {self._max_expires}"
                if self._max_expires == 604800
                else f"X-Amz-Expires must be at most {self._max_expires} seconds"
            )
        expires_at = seconds + expires
        if now > expires_at:
            raise AccessDeniedError(
                f"Request has expired: X-Amz-Expires {expires}, Expires "
                f"{amz_date_text(_utc(expires_at))}, ServerTime "
                f"{amz_date_text(datetime.fromtimestamp(int(now), timezone.utc))}"
            )
        if seconds - now > skew:
            raise AccessDeniedError(
                f"Request is not yet valid: X-Amz-Date {claim.amz_date} is more than {skew} s "
                f"after ServerTime {amz_date_text(datetime.fromtimestamp(int(now), timezone.utc))}"
            )
        return expires_at

    def _secret(self, entry: SecretValue, claim: _Claim, now: float) -> tuple[str, str | None]:
        """(secret, the session token it requires) of the claim's access key, given what
        the lookup returned for it."""
        if entry is None:
            raise InvalidAccessKeyIdError(
                "The AWS Access Key Id you provided does not exist in our records."
            )
        if isinstance(entry, str) and entry:
            secret, expected_token, expiration = entry, None, None
        elif isinstance(entry, Credentials):
            secret = entry.secret_access_key
            expected_token, expiration = entry.session_token, entry.expiration
        else:
            raise InvalidRequestError(
                "secret_for_access_key must give a non-empty secret str, a Credentials or "
                f"None, not {type(entry).__name__}"
            )
        provided = claim.session_token
        if expected_token is None:
            if provided is not None:
                raise InvalidTokenError(
                    "The request carries a security token, but its access key was issued "
                    "without one."
                )
        elif provided is None:
            raise InvalidTokenError(
                "The access key requires a security token: send X-Amz-Security-Token."
            )
        elif not hmac.compare_digest(
            provided.encode("utf-8", "surrogatepass"), expected_token.encode("utf-8")
        ):
            raise InvalidTokenError("The security token included in the request is invalid.")
        if expiration is not None and now >= expiration.timestamp():
            raise InvalidTokenError("The security token included in the request is expired.")
        return secret, expected_token
