"""Signer: SigV4 header signing and presigning of any HTTP request.

Inputs are values: the URL as it will be sent, headers, a body or its hash, and the
signing time. The caller's objects are never mutated; results are frozen values that
carry the canonical request and string to sign for debugging.
"""

from __future__ import annotations

import enum
import functools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final, Literal, NamedTuple
from urllib.parse import unquote

from . import _core
from ._core_py import ALGORITHM, EMPTY_SHA256, SIGNING_PARAMETERS
from ._core_py import COMMON_METHODS as _COMMON_METHODS
from ._core_py import HTTP_TOKEN as _TOKEN
from ._time import Timestamp, resolve_timestamp
from .credentials import Credentials
from .errors import CredentialExpiryWarning, InvalidRequestError
from .settings import SigningSettings, settings_for_service

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "Body",
    "CredentialExpiryPolicy",
    "Headers",
    "PresignedRequest",
    "SignedRequest",
    "Signer",
]


class _Payload(enum.Enum):
    UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

    def __repr__(self) -> str:
        return "fastsigv4.UNSIGNED_PAYLOAD"


UNSIGNED_PAYLOAD: Final = _Payload.UNSIGNED_PAYLOAD
"""Pass as ``body`` to sign ``UNSIGNED-PAYLOAD`` instead of a body hash."""

Body = bytes | bytearray | memoryview | str | None | Literal[_Payload.UNSIGNED_PAYLOAD]
CredentialExpiryPolicy = Literal["warn", "clamp", "raise"]
Headers = Mapping[str, str] | Sequence[tuple[str, str]] | None

# Payload hash values other than a hex digest that a request may carry.
_SPECIAL_PAYLOAD_HASHES = frozenset(
    {
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# Visible ASCII but '/': the scope is sent in the Authorization header and query.
_SCOPE_PART = re.compile(r"[!-.0-~]+")

# Request headers that carry signing material the signer adds itself: input that
# already has them would be signed twice or contradict the signature.
_SIGNER_OWNED_HEADERS = {
    "authorization": "the request is already signed; pass the headers without Authorization",
    "x-amz-date": "the signer sets X-Amz-Date; pass the signing time as timestamp=",
    "x-amz-security-token": "the signer adds X-Amz-Security-Token from Credentials.session_token",
    "x-amz-content-sha256": (
        "the signer sets X-Amz-Content-SHA256; pass payload_sha256= (or body=UNSIGNED_PAYLOAD) "
        "and enable SigningSettings.add_content_sha256_header"
    ),
}
_PRESIGN_PARAMETERS = frozenset(SIGNING_PARAMETERS)


def _redact(text: str, secret: str | None) -> str:
    if not secret:
        return text
    return text.replace(secret, "<redacted>").replace(_core.uri_encode(secret), "<redacted>")


def _redact_headers(
    headers: tuple[tuple[str, str], ...], secret: str | None
) -> tuple[tuple[str, str], ...]:
    return tuple((name, _redact(value, secret)) for name, value in headers)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A header-signed request: send ``method`` to ``url`` with exactly ``headers``."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    signature: str
    canonical_request: str
    string_to_sign: str
    _session_token: str | None = None

    def __repr__(self) -> str:
        headers = _redact_headers(self.headers, self._session_token)
        return (
            f"SignedRequest(method={self.method!r}, "
            f"url={_redact(self.url, self._session_token)!r}, headers={headers!r}, "
            f"signature={self.signature!r})"
        )


@functools.cache
def _signed_request_maker(twin: str) -> Callable[..., SignedRequest]:
    """How sign() builds its result on core twin ``twin``: equal to SignedRequest(...)
    (which has no __post_init__), without the frozen __setattr__ call per field that is
    most of the cost of building one that way."""
    return _core.record_maker(SignedRequest)


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    """A presigned request: ``url`` works until ``effective_expires_at`` when sent with
    ``headers``.

    ``expires_at`` is the signing time plus X-Amz-Expires; ``effective_expires_at`` is
    the earlier of that and the credentials' expiration, after which AWS refuses the
    URL whatever X-Amz-Expires says. ``headers`` are the signed headers (besides Host)
    that the client must send with exactly these values, such as a Content-Type signed
    into a presigned PUT.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    expires_at: datetime
    effective_expires_at: datetime
    signature: str
    canonical_request: str
    string_to_sign: str
    _session_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"PresignedRequest(method={self.method!r}, "
            f"url={_redact(self.url, self._session_token)!r}, headers={self.headers!r}, "
            f"expires_at={self.expires_at!r}, effective_expires_at={self.effective_expires_at!r}, "
            f"signature={self.signature!r})"
        )


@dataclass(frozen=True, slots=True)
class _Url:
    origin: str  # scheme://[userinfo@]host[:port], default port dropped
    host: str  # the Host header value
    path: str
    query: str


def _parse_url(url: str) -> _Url:
    # The core's split_url holds the URL rules (the compiled twin reads the common ASCII
    # URL in C); the verifier calls it directly.
    return _Url(*_core.split_url(url))


# Parsing is a pure function of the URL text; a bounded cache makes a repeated URL free.
_parse_url_lru = functools.lru_cache(maxsize=256)(_parse_url)


def _parse_url_cached(url: str) -> _Url:
    # Only an exact str is looked up: anything else (unhashable, or a subclass equal to
    # a cached URL) gets _parse_url's own checks.
    return _parse_url_lru(url) if type(url) is str else _parse_url(url)


def _query_names(query: str) -> set[str]:
    return {unquote(token.partition("=")[0]) for token in query.split("&") if token}


def _check_scope_part(name: str, value: str) -> str:
    if not isinstance(value, str) or not _SCOPE_PART.fullmatch(value):
        raise InvalidRequestError(
            f"{name} {value!r} must be a non-empty str of visible ASCII characters without "
            f"'/' (e.g. 'us-east-1' for a region, 's3' for a service)"
        )
    return value


def _check_credentials(credentials: Credentials) -> Credentials:
    if not isinstance(credentials, Credentials):
        raise InvalidRequestError(
            "credentials must be a fastsigv4.Credentials(access_key_id, secret_access_key, ...)"
        )
    return credentials


def _check_method(method: str) -> str:
    if type(method) is str and method in _COMMON_METHODS:
        return method
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise InvalidRequestError(f"method {method!r} is not an HTTP method name such as 'GET'")
    return method.upper()


def _check_expires(expires: int, max_expires: int) -> int:
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise InvalidRequestError(f"expires must be an int number of seconds, not {expires!r}")
    if not 1 <= expires <= max_expires:
        raise InvalidRequestError(
            f"expires={expires} is out of range: it must be from 1 to {max_expires} seconds "
            "(AWS accepts at most 604800, 7 days; raise SigningSettings.max_expires only for "
            "servers that allow longer)"
        )
    return expires


_EXPIRY_POLICIES = ("warn", "clamp", "raise")


def _check_expiry_policy(policy: CredentialExpiryPolicy) -> CredentialExpiryPolicy:
    if policy not in _EXPIRY_POLICIES:
        raise InvalidRequestError(
            f"on_credential_expiry must be one of {_EXPIRY_POLICIES}, not {policy!r}"
        )
    return policy


def expiry_time(signing_time: datetime, expires: int) -> datetime:
    """``signing_time`` plus ``expires`` seconds; past the year 9999 an InvalidRequestError."""
    try:
        return signing_time + timedelta(seconds=expires)
    except OverflowError:
        pass
    raise InvalidRequestError(
        f"a URL signed at {signing_time:%Y-%m-%dT%H:%M:%S}Z for {expires} s would expire "
        "after the year 9999; sign with a real time"
    )


def presign_lifetime(
    signing_time: datetime,
    expires: int,
    credentials: Credentials,
    policy: CredentialExpiryPolicy,
) -> tuple[int, datetime]:
    """(X-Amz-Expires to sign, when the URL really stops working) under ``policy``.

    A URL dies when its credentials expire, whatever X-Amz-Expires says. When they
    expire first: "warn" signs as asked and warns (CredentialExpiryWarning), "clamp"
    signs X-Amz-Expires down to the credentials' remaining whole seconds, "raise"
    refuses. Credentials already expired at the signing time are refused under every
    policy: such a URL never works.
    """
    expires_at = expiry_time(signing_time, expires)
    expiration = credentials.expiration
    if expiration is None or expiration >= expires_at:
        return expires, expires_at
    remaining = int((expiration - signing_time).total_seconds())
    expiration_text = expiration.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if remaining < 1:
        raise InvalidRequestError(
            f"the credentials expired at {expiration_text}, before the signing time "
            f"{signing_time:%Y-%m-%dT%H:%M:%SZ}: a URL presigned with them never works; "
            "refresh the credentials first"
        )
    lifetime = (
        f"the credentials expire at {expiration_text}, {remaining} s after the signing "
        f"time, before expires={expires} s runs out"
    )
    if policy == "raise":
        raise InvalidRequestError(
            f"{lifetime}; pass expires <= {remaining}, refresh the credentials first, or "
            "use on_credential_expiry='clamp'"
        )
    if policy == "clamp":
        return remaining, signing_time + timedelta(seconds=remaining)
    warnings.warn(
        CredentialExpiryWarning(
            f"{lifetime}: the presigned URL stops working at {expiration_text}. Temporary "
            "credentials last hours (instance profiles up to 6 h, STS up to 36 h); sign "
            "long-lived URLs with an IAM user's keys (up to 7 days), or pass "
            "on_credential_expiry='clamp' to sign the time that is left"
        ),
        stacklevel=4,
    )
    return expires, expiration


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise InvalidRequestError("headers must be a mapping or a sequence of (name, value) pairs")
    pairs: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise InvalidRequestError(
                "headers must be a mapping or a sequence of (name, value) pairs; "
                f"got item {item!r:.60}"
            )
        name, value = item
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidRequestError(
                f"header name {name!r:.60} is not a valid HTTP field name (letters, digits "
                "and !#$%&'*+-.^_`|~ only, no spaces, colons or line breaks)"
            )
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"header {name!r} has a {type(value).__name__} value; pass header values as str"
            )
        lowercase = name.lower()
        if lowercase in _SIGNER_OWNED_HEADERS:
            raise InvalidRequestError(f"header {name!r} given: {_SIGNER_OWNED_HEADERS[lowercase]}")
        pairs.append((name, value))
    return pairs


def _payload_hash(body: Body, payload_sha256: str | None) -> str:
    if payload_sha256 is None and type(body) is bytes:
        return _core.sha256_hex(body)  # the common case, ahead of the general checks
    if not (
        body is None
        or body is UNSIGNED_PAYLOAD
        or isinstance(body, (bytes, bytearray, memoryview, str))
    ):
        raise InvalidRequestError(
            "body must be bytes, str, None or fastsigv4.UNSIGNED_PAYLOAD, "
            f"not {type(body).__name__}"
        )
    if payload_sha256 is not None:
        if body is not None and body is not UNSIGNED_PAYLOAD and len(body) > 0:
            raise InvalidRequestError(
                "pass either body or payload_sha256, not both: payload_sha256 stands for the body"
            )
        if not isinstance(payload_sha256, str) or not (
            _HEX_SHA256.fullmatch(payload_sha256) or payload_sha256 in _SPECIAL_PAYLOAD_HASHES
        ):
            raise InvalidRequestError(
                "payload_sha256 must be the lowercase hex SHA-256 of the body (64 characters) "
                "or a payload constant such as 'UNSIGNED-PAYLOAD'"
            )
        return payload_sha256
    if body is None:
        return EMPTY_SHA256
    if body is UNSIGNED_PAYLOAD:
        return "UNSIGNED-PAYLOAD"
    if isinstance(body, str):
        return _core.sha256_hex(_utf8_body(body))
    return _core.sha256_hex(body if isinstance(body, bytes) else bytes(body))


def _utf8_body(body: str) -> bytes:
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"body contains a lone surrogate at index {exc.start}; pass valid Unicode text or bytes"
        ) from None


# Per-Signer caches. Entries are immutable, and each is valid only for the core twin
# that computed it: after ``_core.use`` switches twins, the other twin does all the work.
# A full template cache starts over, like the core's signing key cache: the URLs and
# header lists in use are back after one miss each.
_TEMPLATE_CACHE_SIZE = 128

_TemplateKey = tuple[str, ...]  # _core.template_key


class _Stamp(NamedTuple):
    """What a Signer's signatures share for one X-Amz-Date (the core caches the key per day)."""

    amz_date: str  # a resolved timestamp: YYYYMMDDTHHMMSSZ
    twin: str  # _core.IMPLEMENTATION of the core that derived key
    scope: str
    credential: str  # access key id "/" scope
    key: _core.SigningKey
    make: Callable[..., SignedRequest]  # _signed_request_maker(twin)


class _SignTemplate(NamedTuple):
    """What sign() derives from one URL and header list, for one Signer and core twin.

    The canonical request is the method, then ``segments`` with the request's per-request
    header values between them (X-Amz-Content-SHA256 when the settings add it, then
    X-Amz-Date), then the payload hash.
    """

    url: str  # the URL to send
    sent: tuple[tuple[str, str], ...]  # headers sent ahead of X-Amz-Date
    segments: tuple[str, ...]
    signed_names: str


def _cut_line(block: str, line: str) -> tuple[str, str]:
    """(the lines before, the lines after) the line ``line`` of a canonical header block.

    Each block line is ``name:value`` plus a newline and no canonical value holds a line
    break, so a line equal to ``x-amz-date:`` is that header's with an empty value: the
    placeholder sign() put there (callers cannot pass the headers the signer sets).
    """
    lines = block.split("\n")
    index = lines.index(line)
    return "".join([text + "\n" for text in lines[:index]]), "\n".join(lines[index + 1 :])


class Signer:
    """Signs requests for one set of credentials, region and service.

    ``settings`` defaults to the service's preset: S3 rules for ``s3``,
    ``s3-object-lambda``, ``s3-outposts`` and ``s3express``, default rules otherwise.
    ``on_credential_expiry`` says what presign does when the credentials expire before
    the URL would ("warn", "clamp" or "raise"; see ``presign_lifetime``).
    A Signer can be shared between threads: its only mutable state is two caches (the
    scope and signing key of the latest X-Amz-Date; what repeated URL and header lists
    canonicalize to), whose entries are immutable and replaced or added in single atomic
    steps.
    """

    __slots__ = (
        "_credentials",
        "_on_credential_expiry",
        "_region",
        "_service",
        "_settings",
        "_stamp",
        "_templates",
    )

    def __init__(
        self,
        credentials: Credentials,
        region: str,
        service: str,
        *,
        settings: SigningSettings | None = None,
        on_credential_expiry: CredentialExpiryPolicy = "warn",
    ) -> None:
        self._credentials = _check_credentials(credentials)
        self._region = _check_scope_part("region", region)
        self._service = _check_scope_part("service", service)
        if settings is None:
            settings = settings_for_service(service)
        elif not isinstance(settings, SigningSettings):
            raise InvalidRequestError("settings must be a fastsigv4.SigningSettings or None")
        self._settings = settings
        self._stamp: _Stamp | None = None
        self._templates: dict[_TemplateKey, _SignTemplate] = {}
        self._on_credential_expiry = _check_expiry_policy(on_credential_expiry)

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    @property
    def region(self) -> str:
        return self._region

    @property
    def service(self) -> str:
        return self._service

    @property
    def settings(self) -> SigningSettings:
        return self._settings

    # Pickles and copies carry the configuration only: the caches start empty (and a
    # compiled signing key cannot be pickled).
    def __getstate__(
        self,
    ) -> tuple[Credentials, str, str, SigningSettings, CredentialExpiryPolicy]:
        return (
            self._credentials,
            self._region,
            self._service,
            self._settings,
            self._on_credential_expiry,
        )

    def __setstate__(
        self, state: tuple[Credentials, str, str, SigningSettings, CredentialExpiryPolicy]
    ) -> None:
        (
            self._credentials,
            self._region,
            self._service,
            self._settings,
            self._on_credential_expiry,
        ) = state
        self._stamp = None
        self._templates = {}

    def __repr__(self) -> str:
        return (
            f"Signer(access_key_id={self._credentials.access_key_id!r}, region={self._region!r}, "
            f"service={self._service!r}, settings={self._settings!r})"
        )

    def _signed_headers(
        self, pairs: list[tuple[str, str]], url: _Url
    ) -> tuple[list[tuple[str, str]], bool]:
        """The (lowercase name, value) pairs to sign, and whether the caller gave Host."""
        is_signed = self._settings.is_signed_header
        signed: list[tuple[str, str]] = []
        has_host = False
        for name, value in pairs:
            lowercase = name.lower()
            if lowercase == "host":
                has_host = True
            if is_signed(lowercase):
                signed.append((lowercase, value))
            else:
                _core.trimall(name, value)  # unsigned headers are sent too: same checks
        if not has_host:
            signed.append(("host", url.host))
        return signed, has_host

    def _wire_url(self, url: _Url, query: str) -> str:
        # S3 rules sign the path as sent, so the URL carries exactly the signed path.
        path = url.path
        if not self._settings.double_uri_encode:
            path = _core.canonical_path(path, False, False)
        return url.origin + (path or "/") + ("?" + query if query else "")

    def _scope(self, date: str) -> str:
        return date + "/" + self._region + "/" + self._service + "/aws4_request"

    def _stamp_of(self, amz_date: str, twin: str) -> _Stamp:
        """Scope and signing key for a resolved X-Amz-Date, kept while it is the latest."""
        stamp = self._stamp
        # Only an exact str is kept or compared: a subclass gets a stamp of its own.
        if type(amz_date) is str and stamp is not None and stamp[:2] == (amz_date, twin):
            return stamp
        credentials = self._credentials
        date = amz_date[:8]
        scope = self._scope(date)
        key = _core.signing_key(
            credentials.access_key_id,
            credentials.secret_access_key,
            date,
            self._region,
            self._service,
        )
        stamp = _Stamp(
            amz_date,
            twin,
            scope,
            credentials.access_key_id + "/" + scope,
            key,
            _signed_request_maker(twin),
        )
        if type(amz_date) is str:
            # Threads signing for different times each keep the stamp they built here.
            self._stamp = stamp
        return stamp

    def _sign_template(self, parsed: _Url, pairs: list[tuple[str, str]]) -> _SignTemplate:
        settings = self._settings
        token = self._credentials.session_token
        signed, has_host = self._signed_headers(pairs, parsed)
        sent = ([] if has_host else [("Host", parsed.host)]) + pairs
        if token is not None:
            sent.append(("X-Amz-Security-Token", token))
            if settings.session_token_mode == "include":
                signed.append(("x-amz-security-token", token))
        # The per-request headers, in sorted order, are canonicalized with empty values
        # and cut out again, leaving the segments around their values. Their real values
        # (a YYYYMMDDTHHMMSSZ date, a hex hash or payload constant) are canonical as is.
        per_request = ["x-amz-date"]
        if settings.add_content_sha256_header:
            per_request.insert(0, "x-amz-content-sha256")
        block, signed_names = _core.canonical_headers(signed + [(name, "") for name in per_request])
        path = _core.canonical_path(
            parsed.path, settings.double_uri_encode, settings.normalize_path
        )
        segments = []
        text = "\n" + path + "\n" + _core.canonical_query(parsed.query) + "\n"
        for name in per_request:
            before, block = _cut_line(block, name + ":")
            segments.append(text + before + name + ":")
            text = "\n"
        segments.append(text + block + "\n" + signed_names + "\n")
        return _SignTemplate(
            self._wire_url(parsed, parsed.query), tuple(sent), tuple(segments), signed_names
        )

    def sign(
        self,
        method: str,
        url: str,
        headers: Headers = None,
        body: Body = b"",
        *,
        payload_sha256: str | None = None,
        timestamp: Timestamp = None,
    ) -> SignedRequest:
        """Sign a request with an Authorization header.

        ``url`` is the URL as it will be sent; Host comes from it unless a Host header
        is given. ``body`` is hashed (bytes, or str as UTF-8; None is empty), or pass
        ``UNSIGNED_PAYLOAD`` or a precomputed hex ``payload_sha256``.
        """
        if type(method) is not str or method not in _COMMON_METHODS:
            method = _check_method(method)
        twin = _core.IMPLEMENTATION
        cache_key = _core.template_key(twin, url, headers)
        template = None if cache_key is None else self._templates.get(cache_key)
        if template is None:
            # A cached template vouches for its URL and headers; anything else is checked,
            # in the same order as always, so the first problem found is the one reported.
            parsed = _parse_url_cached(url)
            if parsed.query and "X-Amz-Signature" in _query_names(parsed.query):
                raise InvalidRequestError(
                    "url already carries X-Amz-Signature (it is presigned); sign the URL "
                    "without the X-Amz-* parameters"
                )
            pairs = _header_pairs(headers)
        # The latest stamp serves an exact-str X-Amz-Date equal to its own (and its twin);
        # a timestamp that is one already resolves to itself.
        stamp: _Stamp | None = self._stamp
        if (
            type(timestamp) is str
            and stamp is not None
            and stamp[0] == timestamp
            and stamp[1] == twin
        ):
            amz_date = timestamp
        else:
            amz_date, _ = resolve_timestamp(timestamp)
            if type(amz_date) is not str or stamp is None or stamp[:2] != (amz_date, twin):
                stamp = None
        if payload_sha256 is None and type(body) is bytes:
            payload: bytes | str = body  # the common case: sign_request hashes it
        else:
            payload = _payload_hash(body, payload_sha256)
        if template is None:
            template = self._sign_template(parsed, pairs)
            if cache_key is not None:
                templates = self._templates
                if len(templates) >= _TEMPLATE_CACHE_SIZE:
                    templates.clear()
                templates[cache_key] = template

        if stamp is None:
            # The key last: a secret it cannot derive from is reported after request errors.
            stamp = self._stamp_of(amz_date, twin)
        _, _, scope, credential, key, make = stamp
        wire_url, sent, segments, signed_names = template
        return _core.sign_request(
            key,
            method,
            segments,
            amz_date,
            payload,
            scope,
            credential,
            signed_names,
            sent,
            make,
            wire_url,
            self._credentials.session_token,
        )

    def sign_many(
        self,
        requests: Iterable[tuple[str, str, Headers, Body]],
        *,
        timestamp: Timestamp = None,
    ) -> list[SignedRequest]:
        """Sign many ``(method, url, headers, body)`` requests, in input order.

        The timestamp is resolved once, before the first request: every request is signed
        for the same instant (with ``timestamp=None``, the clock is read once per batch).
        Each result equals ``sign(method, url, headers, body, timestamp=...)`` with that
        instant. An invalid request raises InvalidRequestError naming its position.
        """
        # The resolved X-Amz-Date is a valid timestamp= of its own, resolved again per
        # request from resolve_timestamp's one-entry cache.
        amz_date, _ = resolve_timestamp(timestamp)
        sign = self.sign
        results: list[SignedRequest] = []
        for index, request in enumerate(requests):
            if not isinstance(request, tuple) or len(request) != 4:
                raise InvalidRequestError(
                    f"requests[{index}] must be a (method, url, headers, body) tuple, "
                    f"not {type(request).__name__}"
                )
            method, url, headers, body = request
            try:
                results.append(sign(method, url, headers, body, timestamp=amz_date))
            except InvalidRequestError as exc:
                raise InvalidRequestError(f"requests[{index}]: {exc}") from exc
        return results

    def presign(
        self,
        method: str,
        url: str,
        *,
        expires: int = 3600,
        headers: Headers = None,
        body: Body = None,
        payload_sha256: str | None = None,
        timestamp: Timestamp = None,
    ) -> PresignedRequest:
        """Presign a request: the signature goes into the URL's query.

        The caller's query parameters keep their order and the X-Amz-* parameters are
        appended. Headers given here are signed and returned in ``.headers``: the client
        must send them unchanged. The payload hash is that of ``body``/``payload_sha256``
        when given, else UNSIGNED-PAYLOAD (S3 rules) or the empty-body hash.
        """
        return self._presign(method, url, expires, headers, body, payload_sha256, timestamp, None)

    def presign_many(
        self,
        method: str,
        urls: Iterable[str],
        *,
        expires: int = 3600,
        headers: Headers = None,
        timestamp: Timestamp = None,
    ) -> list[PresignedRequest]:
        """Presign ``method`` for many URLs, in input order, with the same headers.

        The timestamp is resolved once, before the first URL: every URL is presigned for
        the same instant (with ``timestamp=None``, the clock is read once per batch). Each
        result equals ``presign(method, url, expires=..., headers=..., timestamp=...)``
        with that instant. The arguments are checked even when ``urls`` is empty; an
        invalid URL raises InvalidRequestError naming its position.
        """
        resolved = resolve_timestamp(timestamp)
        _check_method(method)
        _check_expires(expires, self._settings.max_expires)
        _header_pairs(headers)
        presign = self._presign
        results: list[PresignedRequest] = []
        for index, url in enumerate(urls):
            try:
                results.append(presign(method, url, expires, headers, None, None, None, resolved))
            except InvalidRequestError as exc:
                raise InvalidRequestError(f"urls[{index}]: {exc}") from exc
        return results

    def _presign(
        self,
        method: str,
        url: str,
        expires: int,
        headers: Headers,
        body: Body,
        payload_sha256: str | None,
        timestamp: Timestamp,
        resolved: tuple[str, datetime] | None,
    ) -> PresignedRequest:
        """presign(), given ``timestamp`` or else its already ``resolved`` form."""
        method = _check_method(method)
        parsed = _parse_url_cached(url)
        settings = self._settings
        expires = _check_expires(expires, settings.max_expires)
        if parsed.query:
            clash = _PRESIGN_PARAMETERS.intersection(_query_names(parsed.query))
            if clash:
                raise InvalidRequestError(
                    f"url already carries {', '.join(sorted(clash))}; presign the URL without "
                    "X-Amz-* signing parameters"
                )
        pairs = _header_pairs(headers)
        amz_date, signing_time = resolve_timestamp(timestamp) if resolved is None else resolved
        expires, effective_expires_at = presign_lifetime(
            signing_time, expires, self._credentials, self._on_credential_expiry
        )
        if body is not None or payload_sha256 is not None:
            payload_hash = _payload_hash(body, payload_sha256)
        elif settings.presign_unsigned_payload:
            payload_hash = "UNSIGNED-PAYLOAD"
        else:
            payload_hash = EMPTY_SHA256
        token = self._credentials.session_token

        signed, _ = self._signed_headers(pairs, parsed)
        block, signed_names = _core.canonical_headers(signed)
        scope = self._scope(amz_date[:8])
        parameters = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", self._credentials.access_key_id + "/" + scope),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires)),
        ]
        if token is not None and settings.session_token_mode == "include":
            parameters.append(("X-Amz-Security-Token", token))
        parameters.append(("X-Amz-SignedHeaders", signed_names))
        canonical_request = "\n".join(
            (
                method,
                _core.canonical_path(
                    parsed.path, settings.double_uri_encode, settings.normalize_path
                ),
                _core.canonical_query(parsed.query, parameters),
                block,
                signed_names,
                payload_hash,
            )
        )
        string_to_sign = _core.string_to_sign(amz_date, scope, canonical_request)
        # The key last: a secret it cannot derive from is reported after request errors.
        signature = self._stamp_of(amz_date, _core.IMPLEMENTATION).key.sign(string_to_sign)
        parameters.append(("X-Amz-Signature", signature))
        if token is not None and settings.session_token_mode == "append_after_signing":
            parameters.append(("X-Amz-Security-Token", token))
        signing_query = "&".join(
            [_core.uri_encode(name) + "=" + _core.uri_encode(value) for name, value in parameters]
        )
        caller_query = parsed.query.rstrip("&")
        query = caller_query + "&" + signing_query if caller_query else signing_query
        # The client derives Host from the URL; any other signed header it must send as is.
        to_send = tuple(
            (name, value)
            for name, value in pairs
            if settings.is_signed_header(name.lower())
            and not (name.lower() == "host" and value.strip().lower() == parsed.host)
        )
        return PresignedRequest(
            method,
            self._wire_url(parsed, query),
            to_send,
            signing_time + timedelta(seconds=expires),
            effective_expires_at,
            signature,
            canonical_request,
            string_to_sign,
            token,
        )
