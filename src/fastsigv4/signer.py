"""Signer: SigV4 header signing and presigning of any HTTP request.

Inputs are values: the URL as it will be sent, headers, a body or its hash, and the
signing time. The caller's objects are never mutated; results are frozen values that
carry the canonical request and string to sign for debugging.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal
from urllib.parse import unquote

from . import _core
from ._time import Timestamp, resolve_timestamp
from .credentials import Credentials
from .errors import InvalidRequestError
from .settings import SigningSettings, settings_for_service

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "Body",
    "Headers",
    "PresignedRequest",
    "SignedRequest",
    "Signer",
]

ALGORITHM: Final = "AWS4-HMAC-SHA256"
EMPTY_SHA256: Final = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class _Payload(enum.Enum):
    UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

    def __repr__(self) -> str:
        return "fastsigv4.UNSIGNED_PAYLOAD"


UNSIGNED_PAYLOAD: Final = _Payload.UNSIGNED_PAYLOAD
"""Pass as ``body`` to sign ``UNSIGNED-PAYLOAD`` instead of a body hash."""

Body = bytes | bytearray | memoryview | str | None | Literal[_Payload.UNSIGNED_PAYLOAD]
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
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SCOPE_PART = re.compile(r"[^\s/]+")
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

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
_PRESIGN_PARAMETERS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    }
)


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


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    """A presigned request: ``url`` works until ``expires_at`` when sent with ``headers``.

    ``headers`` are the signed headers (besides Host) that the client must send with
    exactly these values, such as a Content-Type signed into a presigned PUT.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    expires_at: datetime
    signature: str
    canonical_request: str
    string_to_sign: str
    _session_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"PresignedRequest(method={self.method!r}, "
            f"url={_redact(self.url, self._session_token)!r}, headers={self.headers!r}, "
            f"expires_at={self.expires_at!r}, signature={self.signature!r})"
        )


@dataclass(frozen=True, slots=True)
class _Url:
    origin: str  # scheme://[userinfo@]host[:port], default port dropped
    host: str  # the Host header value
    path: str
    query: str


def _parse_url(url: str) -> _Url:
    if not isinstance(url, str):
        raise InvalidRequestError(f"url must be a str, not {type(url).__name__}")
    if _URL_CONTROL.search(url):
        raise InvalidRequestError(
            "url contains a control character (CR, LF, NUL, ...); percent-encode it"
        )
    if "#" in url:
        raise InvalidRequestError(
            "url contains '#': a fragment is never sent to the server, so it cannot be "
            "signed; if '#' belongs to the path or a query value, encode it as %23"
        )
    scheme, separator, rest = url.partition("://")
    if not separator or not _TOKEN.fullmatch(scheme) or not scheme[0].isalpha():
        raise InvalidRequestError(
            f"url {url!r:.80} is not absolute; pass 'scheme://host/path?query'"
        )
    scheme = scheme.lower()
    authority_end = len(rest)
    for delimiter in "/?":
        position = rest.find(delimiter)
        if 0 <= position < authority_end:
            authority_end = position
    authority, target = rest[:authority_end], rest[authority_end:]
    path, _, query = target.partition("?")
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        close = hostport.find("]")
        host, port_part = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (port_part and not port_part.startswith(":")):
            raise InvalidRequestError(f"url host {hostport!r} is not a valid IPv6 literal")
        port = port_part[1:]
    else:
        host, _, port = hostport.partition(":")
    if not host or not host.isascii() or any(char.isspace() for char in host):
        raise InvalidRequestError(
            f"url host {host!r} is empty or not ASCII; use the IDNA (punycode) form of the host"
        )
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidRequestError(f"url port {port!r} is not a number from 1 to 65535")
        port = str(int(port))  # clients send ':080' as ':80' (or drop it): sign what they send
    host = host.lower()
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    host_header = host + ":" + port if port else host
    origin = scheme + "://" + (userinfo + at if at else "") + host_header
    return _Url(origin, host_header, path, query)


def _query_names(query: str) -> set[str]:
    return {unquote(token.partition("=")[0]) for token in query.split("&") if token}


def _check_scope_part(name: str, value: str) -> str:
    if not isinstance(value, str) or not _SCOPE_PART.fullmatch(value):
        raise InvalidRequestError(
            f"{name} {value!r} must be a non-empty str without '/' or whitespace "
            f"(e.g. 'us-east-1' for a region, 's3' for a service)"
        )
    return value


def _check_credentials(credentials: Credentials) -> Credentials:
    if not isinstance(credentials, Credentials):
        raise InvalidRequestError(
            "credentials must be a fastsigv4.Credentials(access_key_id, secret_access_key, ...)"
        )
    return credentials


def _check_method(method: str) -> str:
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


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    if isinstance(items, (str, bytes)):
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


class Signer:
    """Signs requests for one set of credentials, region and service.

    ``settings`` defaults to the service's preset: S3 rules for ``s3``,
    ``s3-object-lambda``, ``s3-outposts`` and ``s3express``, default rules otherwise.
    A Signer holds no mutable state and can be shared between threads.
    """

    __slots__ = ("_credentials", "_region", "_service", "_settings")

    def __init__(
        self,
        credentials: Credentials,
        region: str,
        service: str,
        *,
        settings: SigningSettings | None = None,
    ) -> None:
        self._credentials = _check_credentials(credentials)
        self._region = _check_scope_part("region", region)
        self._service = _check_scope_part("service", service)
        if settings is None:
            settings = settings_for_service(service)
        elif not isinstance(settings, SigningSettings):
            raise InvalidRequestError("settings must be a fastsigv4.SigningSettings or None")
        self._settings = settings

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

    def _scope(self, amz_date: str) -> str:
        return amz_date[:8] + "/" + self._region + "/" + self._service + "/aws4_request"

    def _signature(self, amz_date: str, scope: str, canonical_request: str) -> tuple[str, str]:
        credentials = self._credentials
        string_to_sign = _core.string_to_sign(amz_date, scope, canonical_request)
        key = _core.signing_key(
            credentials.access_key_id,
            credentials.secret_access_key,
            amz_date[:8],
            self._region,
            self._service,
        )
        return string_to_sign, key.sign(string_to_sign)

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
        method = _check_method(method)
        parsed = _parse_url(url)
        if parsed.query and "X-Amz-Signature" in _query_names(parsed.query):
            raise InvalidRequestError(
                "url already carries X-Amz-Signature (it is presigned); sign the URL without "
                "the X-Amz-* parameters"
            )
        pairs = _header_pairs(headers)
        amz_date, _ = resolve_timestamp(timestamp)
        payload_hash = _payload_hash(body, payload_sha256)
        settings = self._settings
        token = self._credentials.session_token

        signed, has_host = self._signed_headers(pairs, parsed)
        added: list[tuple[str, str]] = []
        if token is not None:
            added.append(("X-Amz-Security-Token", token))
            if settings.session_token_mode == "include":
                signed.append(("x-amz-security-token", token))
        added.append(("X-Amz-Date", amz_date))
        signed.append(("x-amz-date", amz_date))
        if settings.add_content_sha256_header:
            added.append(("X-Amz-Content-SHA256", payload_hash))
            signed.append(("x-amz-content-sha256", payload_hash))

        block, signed_names = _core.canonical_headers(signed)
        canonical_request = "\n".join(
            (
                method,
                _core.canonical_path(
                    parsed.path, settings.double_uri_encode, settings.normalize_path
                ),
                _core.canonical_query(parsed.query),
                block,
                signed_names,
                payload_hash,
            )
        )
        scope = self._scope(amz_date)
        string_to_sign, signature = self._signature(amz_date, scope, canonical_request)
        authorization = (
            f"{ALGORITHM} Credential={self._credentials.access_key_id}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        )
        sent = ([] if has_host else [("Host", parsed.host)]) + pairs + added
        sent.append(("Authorization", authorization))
        return SignedRequest(
            method,
            self._wire_url(parsed, parsed.query),
            tuple(sent),
            signature,
            canonical_request,
            string_to_sign,
            token,
        )

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
        method = _check_method(method)
        parsed = _parse_url(url)
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
        amz_date, signing_time = resolve_timestamp(timestamp)
        if body is not None or payload_sha256 is not None:
            payload_hash = _payload_hash(body, payload_sha256)
        elif settings.presign_unsigned_payload:
            payload_hash = "UNSIGNED-PAYLOAD"
        else:
            payload_hash = EMPTY_SHA256
        token = self._credentials.session_token

        signed, _ = self._signed_headers(pairs, parsed)
        block, signed_names = _core.canonical_headers(signed)
        scope = self._scope(amz_date)
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
        string_to_sign, signature = self._signature(amz_date, scope, canonical_request)
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
            signature,
            canonical_request,
            string_to_sign,
            token,
        )
