"""Pure-Python twin of the SigV4 canonicalization and hashing core.

``_core_c`` (compiled from ``_ext/_core_c.pyx``) exports the same names and must
return byte-identical results and raise the same errors; ``_core`` picks one.
Every rule lives here once and is shared by signer and verifier.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import MemberDescriptorType
from typing import NoReturn, TypeVar
from urllib.parse import quote, quote_from_bytes, unquote, unquote_to_bytes

from ._time import parse_amz_date
from .errors import InvalidRequestError
from .settings import SigningSettings, settings_for_service

__all__ = [
    "IMPLEMENTATION",
    "SHA256_IMPLEMENTATION",
    "PresignKernel",
    "PresignedParts",
    "SigningKey",
    "amz_date_seconds",
    "canonical_headers",
    "canonical_path",
    "canonical_query",
    "clear_signing_key_cache",
    "decode_lines",
    "line_keys",
    "presigned_parts",
    "read_presigned",
    "record_maker",
    "request_to_sign",
    "sha256_hex",
    "sign_request",
    "signing_key",
    "split_url",
    "string_to_sign",
    "template_key",
    "trimall",
    "uri_encode",
    "verify_presigned",
]

IMPLEMENTATION = "python"
# What computes SHA-256 here; the compiled twin names its compression ("sha-ni", "portable").
SHA256_IMPLEMENTATION = "hashlib"

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# HTTP token characters (RFC 9110 tchar): methods, header names, a URL scheme's.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
HTTP_TOKEN = re.compile(_TCHAR + "+")
# Valid uppercase method names, accepted without the token check.
COMMON_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

_UNRESERVED_ONLY = re.compile(r"[A-Za-z0-9\-._~]*")
# Text the query rule leaves as it is: unreserved characters and uppercase %XX escapes of
# bytes outside the unreserved set (decoded and encoded again, they come out the same).
_CANONICAL_TEXT = (
    r"[A-Za-z0-9\-._~]*(?:%(?:[0189A-F][0-9A-F]|2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF])"
    r"[A-Za-z0-9\-._~]*)*"
)
_CANONICAL_TOKEN = re.compile(_CANONICAL_TEXT)
_NAME_VALUE = operator.itemgetter(0, 2)  # of str.partition's (name, "=", value)
_EQUALS = itertools.repeat("=")
# A query whose every name and value is such text (empty pieces allowed).
_CANONICAL_QUERY = re.compile(
    f"{_CANONICAL_TEXT}(?:={_CANONICAL_TEXT})?(?:&{_CANONICAL_TEXT}(?:={_CANONICAL_TEXT})?)*"
)
_UNRESERVED_OR_SLASH_ONLY = re.compile(r"[A-Za-z0-9\-._~/]*")
# A complete %XX escape; the S3 path rule keeps these as sent.
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# obs-fold (RFC 9112 5.2): a line break followed by a space or tab continues the value.
_OBS_FOLD = re.compile(r"\r?\n[ \t]")
# Anything but TAB and visible ASCII, except the line breaks of an obs-fold.
_NOT_FIELD_CHAR = re.compile(r"\r\n(?![ \t])|\r(?!\n)|\n(?![ \t])|[^\t\n\r\x20-\x7e]")


def utf8_bytes(text: str, what: str) -> bytes:
    """UTF-8 of ``text``; a lone surrogate (no UTF-8 form) is an InvalidRequestError."""
    if not isinstance(text, str):
        raise InvalidRequestError(f"{what} must be a str, not {type(text).__name__}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        index = exc.start
    # Raised outside the except block: the UnicodeEncodeError, which holds the whole
    # text (a secret, perhaps), must not ride along as __context__.
    raise InvalidRequestError(
        f"{what} contains a lone surrogate (U+{ord(text[index]):04X}) at index "
        f"{index}, which has no UTF-8 form; pass valid Unicode text (if it came "
        "from bytes, decode them with errors='strict')"
    )


def uri_encode(value: str, keep_slash: bool = False) -> str:
    """AWS URI encoding: ``A-Za-z0-9-._~`` kept, every other UTF-8 byte as uppercase %XX."""
    return _uri_encode(value, keep_slash, "text to URI-encode")


def _uri_encode(value: str, keep_slash: bool, what: str) -> str:
    if (_UNRESERVED_OR_SLASH_ONLY if keep_slash else _UNRESERVED_ONLY).fullmatch(value):
        return value
    return quote_from_bytes(utf8_bytes(value, what), "/" if keep_slash else "")


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 5.2.4 plus the AWS rule that empty segments (repeated slashes) go too.
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    if not output:
        return "/"
    last = path.rsplit("/", 1)[-1]
    trailing = "/" if last in ("", ".", "..") else ""
    return "/" + "/".join(output) + trailing


def _encode_keeping_escapes(path: str) -> str:
    # The path as sent: complete %XX escapes stay, everything else is encoded once.
    if _UNRESERVED_OR_SLASH_ONLY.fullmatch(path):
        return path
    parts = _ESCAPE.split(path)
    for index in range(0, len(parts), 2):
        parts[index] = quote(utf8_bytes(parts[index], "URL path"), "/")
    return "".join(parts)


def canonical_path(path: str, double_encode: bool, normalize: bool) -> str:
    """The canonical URI of a URL path as it will be sent.

    double_encode: the path text is URI-encoded once more (``%20`` becomes ``%2520``),
    as every service but S3 expects. Otherwise (S3) complete ``%XX`` escapes are kept
    and every other byte outside the unreserved set is encoded once.
    normalize: dot segments removed and repeated slashes collapsed first.
    """
    if not path:
        path = "/"
    if normalize:
        path = _remove_dot_segments(path)
    if double_encode:
        return _uri_encode(path, True, "URL path")
    return _encode_keeping_escapes(path)


def _requote(text: str, what: str) -> str:
    # Decode %XX (never '+': the query is not form data) and re-encode the AWS way.
    if _CANONICAL_TOKEN.fullmatch(text):
        return text
    if _MALFORMED_ESCAPE.search(text):
        raise InvalidRequestError(
            f"{what} contains a '%' that is not followed by two hex digits; "
            "encode a literal '%' as %25"
        )
    return quote_from_bytes(unquote_to_bytes(utf8_bytes(text, what)), "")


def canonical_query(query: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The canonical query string.

    ``query`` is the query as sent (``a=1&b&c=%20``): split on ``&`` and the first
    ``=``, ``%XX`` decoded, re-encoded with the AWS encoder; a valueless ``k`` becomes
    ``k=``, empty ``&&`` pieces are skipped, duplicates kept. ``extra`` holds raw
    (unencoded) pairs such as the X-Amz-* presign parameters. Sorted by the encoded
    (key, value) pairs.
    """
    pairs: list[tuple[str, str]] = []
    if query and _CANONICAL_QUERY.fullmatch(query):
        # Every name and value is canonical already (the usual case): no requoting, and
        # (name, value) split off each non-empty token at C speed.
        pairs = list(map(_NAME_VALUE, map(str.partition, filter(None, query.split("&")), _EQUALS)))
    elif query:
        for token in query.split("&"):
            if token:
                key, _, value = token.partition("=")
                pairs.append(
                    (
                        _requote(key, "a query parameter name"),
                        _requote(value, "a query parameter value"),
                    )
                )
    for key, value in extra:
        pairs.append((uri_encode(key), uri_encode(value)))
    pairs.sort()
    return "&".join(map("=".join, pairs))


def trimall(name: str, value: str) -> str:
    """A header value as signed: obs-fold unfolded, runs of spaces/tabs to one space, trimmed.

    Line breaks other than obs-fold, control characters and non-ASCII characters are
    rejected: they cannot be sent, or AWS does not accept them.
    """
    bad = _NOT_FIELD_CHAR.search(value)
    if bad is not None:
        char = bad.group()[0]
        position = bad.start()
        if char in "\r\n":
            raise InvalidRequestError(
                f"header {name!r} contains a line break at position {position} that is not "
                "an obs-fold continuation (a line break followed by a space or tab); header "
                "values are single lines: remove the line break"
            )
        if char < " " or char == "\x7f":
            raise InvalidRequestError(
                f"header {name!r} contains the control character U+{ord(char):04X} at "
                f"position {position}; remove it"
            )
        raise InvalidRequestError(
            f"header {name!r} contains the non-ASCII character U+{ord(char):04X} at position "
            f"{position}; AWS does not accept raw non-ASCII header values: encode the value "
            "first (percent-encoding, or RFC 2047 '=?UTF-8?B?...?=' for x-amz-meta-*)"
        )
    if "\n" in value:
        value = _OBS_FOLD.sub(" ", value)
    return " ".join(value.split())


def canonical_headers(headers: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(canonical header block, signed-headers list) of (lowercase name, value) pairs.

    Values of a repeated name are joined with ``,`` in their original order; names
    are sorted. Each block line ends with a newline.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        trimmed = trimall(name, value)
        values = grouped.get(name)
        if values is None:
            grouped[name] = [trimmed]
        else:
            values.append(trimmed)
    names = sorted(grouped)
    block = "".join([name + ":" + ",".join(grouped[name]) + "\n" for name in names])
    return block, ";".join(names)


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """The SigV4 string to sign for a canonical request."""
    digest = hashlib.sha256(utf8_bytes(canonical_request, "canonical request")).hexdigest()
    return ALGORITHM + "\n" + amz_date + "\n" + scope + "\n" + digest


_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


class SigningKey:
    """A derived SigV4 signing key, held as HMAC inner/outer pad states.

    Each signature then costs the message blocks plus two compressions instead of
    four more for the pads.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def sign(self, message: str) -> str:
        """Lowercase hex HMAC-SHA256 of the UTF-8 ``message`` under this key."""
        inner = self._inner.copy()
        try:
            inner.update(message.encode())
        except (UnicodeEncodeError, AttributeError):
            inner.update(utf8_bytes(message, "string to sign"))  # raises its error
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def matches(self, message: str, signature: str) -> bool:
        """Whether ``signature`` is ``sign(message)``, compared in constant time (the same
        time whatever the first differing character)."""
        if not isinstance(signature, str):
            _signature_text(signature)  # raises
        expected = self.sign(message)
        return signature.isascii() and hmac.compare_digest(expected, signature)

    def __repr__(self) -> str:
        return "<SigningKey (redacted)>"


def _signature_text(signature: object) -> NoReturn:
    """Raise the error for a signature that is not a str (matches() in both twins)."""
    raise InvalidRequestError(
        f"signature must be a str of hex digits, not {type(signature).__name__}"
    )


_KEY_CACHE: dict[tuple[str, str, str, str, str], SigningKey] = {}
_KEY_CACHE_MAX = 256


def signing_key(
    access_key_id: str, secret_access_key: str, date: str, region: str, service: str
) -> SigningKey:
    """The signing key for a scope, derived once per (key pair, date, region, service).

    The secret is part of the cache key, so a rotated secret never reuses a stale key,
    and so is the date, so the key changes at UTC midnight.
    """
    cache_key = (access_key_id, secret_access_key, date, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        secret = b"AWS4" + utf8_bytes(secret_access_key, "secret_access_key")
        derived = hmac.digest(secret, utf8_bytes(date, "date"), "sha256")
        for part, what in ((region, "region"), (service, "service"), ("aws4_request", "")):
            derived = hmac.digest(derived, utf8_bytes(part, what), "sha256")
        key = SigningKey(derived)
        if len(_KEY_CACHE) >= _KEY_CACHE_MAX:
            _KEY_CACHE.clear()
        _KEY_CACHE[cache_key] = key
    return key


def clear_signing_key_cache() -> None:
    """Forget every cached signing key (and with it the secrets in the cache keys)."""
    _KEY_CACHE.clear()


def template_key(twin: str, url: object, headers: object) -> tuple[str, ...] | None:
    """``(twin, url, name, value, ...)``: a cache key for what a signer derives from
    ``url`` and ``headers`` (each header name and value in order), or None when they
    cannot be cached.

    An equal key must mean an identical result, so only exact str values qualify (a str
    subclass may behave differently), from a dict, a list or tuple of pairs, or None.
    """
    if type(url) is not str:
        return None
    if headers is None:
        pairs: tuple[tuple[str, str], ...] = ()
    elif type(headers) is dict:
        pairs = tuple(headers.items())
    elif type(headers) is list or type(headers) is tuple:
        pairs = tuple(headers)
        for pair in pairs:
            if type(pair) is not tuple or len(pair) != 2:
                return None
    else:
        return None
    key = [twin, url]
    for pair in pairs:
        name, value = pair
        if type(name) is not str or type(value) is not str:
            return None
        key += pair
    return tuple(key)


_Record = TypeVar("_Record")


def sign_request(
    key: SigningKey,
    method: str,
    segments: Sequence[str],
    amz_date: str,
    payload: bytes | str,
    scope: str,
    credential: str,
    signed_names: str,
    headers: tuple[tuple[str, str], ...],
    make: Callable[..., _Record],
    url: object,
    session_token: object,
) -> _Record:
    """Sign one header-signed request from the parts a signer caches, in one call.

    ``payload`` is the body (bytes, hashed here) or its payload hash (a str, used as
    is). The canonical request is ``method`` followed by ``segments`` with the
    per-request values between them: with two segments the X-Amz-Date value
    ``amz_date``; with three the payload hash, then ``amz_date``; it ends with the
    payload hash. ``scope`` goes into the string to sign; ``credential`` (access key id
    "/" scope) and ``signed_names`` into the Authorization value.

    Returns ``make(method, url, headers out, signature, canonical request, string to
    sign, session_token)`` (a SignedRequest's fields, for ``record_maker(SignedRequest)``),
    where the headers out are ``headers`` followed by X-Amz-Date, X-Amz-Content-SHA256
    when there are three segments, and Authorization.
    """
    payload_hash = payload if isinstance(payload, str) else sha256_hex(payload)
    if len(segments) == 3:
        head, middle, tail = segments
        canonical_request = "".join(
            (method, head, payload_hash, middle, amz_date, tail, payload_hash)
        )
        added: tuple[tuple[str, str], ...] = (
            ("X-Amz-Date", amz_date),
            ("X-Amz-Content-SHA256", payload_hash),
        )
    else:
        head, tail = segments
        canonical_request = "".join((method, head, amz_date, tail, payload_hash))
        added = (("X-Amz-Date", amz_date),)
    to_sign = string_to_sign(amz_date, scope, canonical_request)
    signature = key.sign(to_sign)
    authorization = (
        f"{ALGORITHM} Credential={credential}, SignedHeaders={signed_names}, Signature={signature}"
    )
    headers += (*added, ("Authorization", authorization))
    return make(method, url, headers, signature, canonical_request, to_sign, session_token)


def _slots(cls: type) -> tuple[MemberDescriptorType, ...]:
    """The descriptors of the slots ``cls.__slots__`` names, which ``cls`` must define,
    in order; ``cls.__new__`` must be object's."""
    names = getattr(cls, "__slots__", None) if isinstance(cls, type) else None
    slots = [vars(cls).get(name) for name in names] if isinstance(names, tuple) else [None]
    if getattr(cls, "__new__", None) is not object.__new__ or not all(
        type(slot) is MemberDescriptorType for slot in slots
    ):
        raise TypeError(
            f"record_maker needs a class with object's __new__ whose __slots__ tuple names "
            f"its own slots, not {cls!r}"
        )
    return tuple(slots)  # type: ignore[arg-type]  # checked just above


def record_maker(cls: type[_Record]) -> Callable[..., _Record]:
    """A function building ``cls`` instances from their values in ``__slots__`` order.

    Neither ``__init__`` nor ``cls.__setattr__`` runs: each value goes into its slot as
    ``object.__setattr__`` puts it there, which is what a frozen dataclass's ``__init__``
    does, so for a slots dataclass without ``__post_init__`` the instance equals
    ``cls(*values)``. The function is generated unrolled, as dataclasses generate
    ``__init__``: a loop over the slots would cost twice as much.
    """
    slots = _slots(cls)
    namespace: dict[str, object] = {"new": object.__new__, "cls": cls}
    values = ", ".join(f"v{index}" for index in range(len(slots)))
    lines = [f"def make({values}):", "    record = new(cls)"]
    for index, slot in enumerate(slots):
        namespace[f"set{index}"] = slot.__set__
        lines.append(f"    set{index}(record, v{index})")
    lines.append("    return record")
    exec("\n".join(lines), namespace)  # only the names above: no input reaches the text
    make: Callable[..., _Record] = namespace["make"]  # type: ignore[assignment]
    return make


class PresignKernel:
    """Presigns raw S3 object keys against everything precomputed for one timestamp.

    Per key: encode the key once (``/`` kept), hash the canonical request built from
    the fixed prefix and suffix, HMAC the string to sign, append the signature.
    """

    __slots__ = (
        "_canonical_prefix",
        "_canonical_suffix",
        "_key",
        "_query",
        "_sts_prefix",
        "_url_prefix",
    )

    def __init__(
        self,
        signing_key: SigningKey,
        url_prefix: str,
        canonical_prefix: str,
        canonical_suffix: str,
        sts_prefix: str,
        query: str,
    ) -> None:
        self._key = signing_key
        self._url_prefix = url_prefix
        self._canonical_prefix = canonical_prefix
        self._canonical_suffix = canonical_suffix
        self._sts_prefix = sts_prefix
        self._query = query

    def presign(self, key: str) -> str:
        """The presigned URL of one raw object key."""
        if not isinstance(key, str) or not key:
            raise InvalidRequestError(
                f"an S3 object key must be a non-empty str, got {type(key).__name__} {key!r:.40}"
            )
        encoded = _uri_encode(key, True, "S3 object key")
        canonical = self._canonical_prefix + encoded + self._canonical_suffix
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        return self._url_prefix + encoded + self._query + self._key.sign(self._sts_prefix + digest)

    def presign_many(self, keys: Iterable[str]) -> list[str]:
        """Presigned URLs of many raw object keys, in input order."""
        presign = self.presign
        return [presign(key) for key in keys]

    def presign_lines(self, data: bytes, first_line: int = 1) -> tuple[bytes, int]:
        """The URLs of the keys in a block of input lines (see line_keys), in order, each
        followed by "\n", as UTF-8; and how many there are."""
        urls = self.presign_many(line_keys(data, first_line))
        return utf8_bytes("\n".join(urls) + "\n", "URL text") if urls else b"", len(urls)

    def __repr__(self) -> str:
        return f"<PresignKernel {self._url_prefix!r}>"


def line_keys(data: bytes, first_line: int = 1) -> list[str]:
    """The object keys in a block of input lines, one per line.

    ``data`` is split at "\n" only (a last line without one counts); one trailing "\r"
    is dropped from each line and blank lines are skipped, so spaces around a key are
    kept. Keys are UTF-8 (see decode_lines).
    """
    text = decode_lines(data, first_line)
    lines = text.split("\n")
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    return [line for line in lines if line]


def decode_lines(data: bytes, first_line: int = 1) -> str:
    """Input lines decoded as UTF-8; an InvalidRequestError names the first line that is
    not UTF-8, counting ``data``'s first line as line ``first_line``."""
    if not isinstance(data, bytes):
        raise InvalidRequestError(f"input lines must be bytes, not {type(data).__name__}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        position, reason = exc.start, exc.reason
    # Raised outside the except block, so the error does not carry the whole block along.
    start = data.rfind(b"\n", 0, position) + 1
    number = first_line + data.count(b"\n", 0, start)
    raise InvalidRequestError(
        f"input line {number} is not valid UTF-8 "
        f"({reason}: 0x{data[position]:02X} at byte {position - start + 1} of the line)"
    )


# ---------------------------------------------------------------------------------------
# Reading a request as received: the URL, the signing parameters of its query, its time.

_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A scheme is an HTTP token starting with a letter.
_SCHEME = re.compile(r"[A-Za-z]" + _TCHAR + "*")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


def split_url(url: str) -> tuple[str, str, str, str]:
    """(origin, Host header value, path, query) of an absolute URL as sent.

    origin is ``scheme://[userinfo@]host[:port]`` with the scheme and host lowercased, a
    port written as a plain number and the scheme's default port dropped; the Host value
    is the host (and port) of the origin. Path and query are kept exactly as given.
    """
    if not isinstance(url, str):
        raise InvalidRequestError(f"url must be a str, not {type(url).__name__}")
    if not (url.isascii() and url.isprintable()) and _URL_CONTROL.search(url):
        raise InvalidRequestError(
            "url contains a control character (CR, LF, NUL, ...); percent-encode it"
        )
    if "#" in url:
        raise InvalidRequestError(
            "url contains '#': a fragment is never sent to the server, so it cannot be "
            "signed; if '#' belongs to the path or a query value, encode it as %23"
        )
    scheme, separator, rest = url.partition("://")
    if not separator or not _SCHEME.fullmatch(scheme):
        raise InvalidRequestError(
            f"url {url!r:.80} is not absolute; pass 'scheme://host/path?query'"
        )
    scheme = scheme.lower()
    slash = rest.find("/")
    question = rest.find("?")
    if question >= 0 and (slash < 0 or question < slash):
        authority, path, query = rest[:question], "", rest[question + 1 :]
    elif slash >= 0:
        authority, (path, _, query) = rest[:slash], rest[slash:].partition("?")
    else:
        authority, path, query = rest, "", ""
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        close = hostport.find("]")
        host, port_part = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (port_part and not port_part.startswith(":")):
            raise InvalidRequestError(f"url host {hostport!r} is not a valid IPv6 literal")
        port = port_part[1:]
    else:
        host, _, port = hostport.partition(":")
    # host.split() != [host]: whitespace in the host (split() cuts exactly at the characters
    # str.isspace() accepts), found in a fraction of the time a per-character loop takes.
    if not host or not host.isascii() or host.split() != [host]:
        raise InvalidRequestError(
            f"url host {host!r} is empty or not ASCII; use the IDNA (punycode) form of the host"
        )
    if port:
        if not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
            raise InvalidRequestError(f"url port {port!r:.20} is not a number from 1 to 65535")
        port = str(int(port))  # clients send ':080' as ':80' (or drop it): sign what they send
        if port == _DEFAULT_PORTS.get(scheme):
            port = ""
    host = host.lower()
    if port:
        host = host + ":" + port
    return scheme + "://" + (userinfo + at if at else "") + host, host, path, query


# The query parameters of a presigned request, in the order presigned_parts returns them.
SIGNING_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
)
_SIGNING_INDEX = {name: index for index, name in enumerate(SIGNING_PARAMETERS)}
_SIGNATURE_INDEX = 5
_TOKEN_INDEX = 6

# (canonical query | None, its error | None, duplicated parameter | None, SigV2 names seen,
#  the decoded value or None of each of SIGNING_PARAMETERS, then X-Amz-Date as POSIX
#  seconds and X-Amz-Expires as a number, each None when absent or not valid)
PresignedParts = tuple[
    str | None,
    str | None,
    str | None,
    bool,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    int | None,
    int | None,
]


def _unquote(text: str) -> str:
    # urllib's unquote (%XX decoded as UTF-8, errors replaced, malformed escapes kept),
    # with a credential's '/' escapes, the usual case, decoded first.
    plain = text.replace("%2F", "/")
    return plain if "%" not in plain else unquote(text)


def presigned_parts(query: str, drop_token: bool = False) -> PresignedParts:
    """One pass over a received query: its signing parameters and its canonical query.

    Names and values are split at the first ``=`` and ``%XX``-decoded (as
    ``urllib.parse.unquote`` does) to find the signing parameters (SIGNING_PARAMETERS).
    Returns ``(canonical, error, duplicate, sigv2, *values)``:

    - ``canonical``: the canonical query of every parameter but X-Amz-Signature (and but
      X-Amz-Security-Token too when ``drop_token``), as canonical_query gives it; None
      when canonical_query raises, and ``error`` is then its message.
    - ``duplicate``: the first signing parameter met a second time; everything else is
      then None (and sigv2 False): the query is not read further.
    - ``sigv2``: both AWSAccessKeyId and Signature (SigV2 query parameters) appear.
    - ``values``: each signing parameter's decoded value, None when absent.
    - then X-Amz-Date as POSIX seconds (amz_date_seconds), and X-Amz-Expires as an int
      when it is 1 to 15 ASCII digits; None when absent or not so.
    """
    values: list[str | None] = [None, None, None, None, None, None, None]
    kept: list[str] = []
    sigv2 = 0
    index_of = _SIGNING_INDEX.get
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name:
            name = unquote(name)
        index = index_of(name)
        if index is None:
            if name == "AWSAccessKeyId":
                sigv2 |= 1
            elif name == "Signature":
                sigv2 |= 2
        else:
            if values[index] is not None:
                return None, None, name, False, None, None, None, None, None, None, None, None, None
            values[index] = _unquote(value) if "%" in value else value
            if index == _SIGNATURE_INDEX or (drop_token and index == _TOKEN_INDEX):
                continue
        kept.append(piece)
    canonical: str | None
    try:
        canonical, error = canonical_query("&".join(kept)), None
    except InvalidRequestError as exc:
        canonical, error = None, str(exc)
    algorithm, credential, date, expires, signed_headers, signature, token = values
    return (
        canonical,
        error,
        None,
        sigv2 == 3,
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        signature,
        token,
        None if date is None else amz_date_seconds(date),
        _expires_number(expires),
    )


def _expires_number(text: str | None) -> int | None:
    """X-Amz-Expires as a number: 1 to 15 ASCII digits, else None."""
    if text and len(text) < 16 and text.isascii() and text.isdigit():
        return int(text)
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


def amz_date_seconds(text: str) -> int | None:
    """POSIX seconds of an X-Amz-Date 'YYYYMMDDTHHMMSSZ' (see parse_amz_date), else None."""
    instant = parse_amz_date(text)
    return None if instant is None else (instant - _EPOCH) // _SECOND


def request_to_sign(
    method: str,
    path: str,
    double_encode: bool,
    normalize: bool,
    query: str,
    headers: Mapping[str, Sequence[str]],
    signed_headers: Sequence[str],
    payload_hash: str,
    amz_date: str,
    scope: str,
) -> tuple[str, str]:
    """(canonical request, string to sign) of a received request.

    ``path`` is the URL path as received (canonicalized here, see canonical_path),
    ``query`` the canonical query already, ``headers`` the received headers (lowercase
    name -> values in order) and ``signed_headers`` the names to sign, each in headers.
    """
    block, names = canonical_headers(
        [(name, value) for name in signed_headers for value in headers[name]]
    )
    canonical = "\n".join(
        (method, canonical_path(path, double_encode, normalize), query, block, names, payload_hash)
    )
    return canonical, string_to_sign(amz_date, scope, canonical)


# ---------------------------------------------------------------------------------------
# The verifier's fast lane: a presigned request of the common shape, read in one call.

_LANE_HOST = re.compile(r"[a-z0-9.\-]+")
_LANE_SIGNATURE = re.compile(r"[0-9a-f]{64}")
# Parameters whose presence sends a request to the verifier's full reading.
_LANE_REFUSED = frozenset({"X-Amz-Security-Token", "AWSAccessKeyId", "Signature"})
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_HOST_ONLY = ("host",)

# X-Amz-Credential text -> (access key id, date, region, service, scope, preset settings)
# of the valid ones; a server sees the same few over and over.
_lane_credentials: dict[str, tuple[str, str, str, str, str, SigningSettings]] = {}
_lane_dates: dict[str, int] = {}  # X-Amz-Date -> POSIX seconds, likewise

# (access key id, scope date, region, service, X-Amz-Date as POSIX seconds,
#  X-Amz-Expires, X-Amz-Signature, payload hash, string to sign)
PresignedReading = tuple[str, str, str, str, int, int, str, str, str]
RequestLimitNumbers = tuple[int, int, int, int]


_REMEMBERED_MAX = 256
_Value = TypeVar("_Value")


def remembered(
    cache: dict[str, _Value], text: str, read: Callable[[str], _Value | None]
) -> _Value | None:
    """``read(text)``, kept in ``cache`` unless None (or raised): a bounded memo of the
    texts a server sees over and over. A full cache starts over. Callers look in the
    cache first, inline; this is the miss."""
    value = read(text)
    if value is not None:
        if len(cache) >= _REMEMBERED_MAX:
            cache.clear()
        cache[text] = value
    return value


def _lane_credential(text: str) -> tuple[str, str, str, str, str, SigningSettings] | None:
    """The parts of a canonical X-Amz-Credential (unreserved text and %2F only)."""
    if "/" in text:
        return None
    parts = text.split("%2F")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    access_key_id, date, region, service, _ = parts
    if not (
        access_key_id
        and region
        and service
        and len(date) == 8
        and date.isascii()
        and date.isdigit()
        and _UNRESERVED_ONLY.fullmatch(access_key_id)
        and _UNRESERVED_ONLY.fullmatch(region)
        and _UNRESERVED_ONLY.fullmatch(service)
    ):
        return None
    scope = f"{date}/{region}/{service}/aws4_request"
    return access_key_id, date, region, service, scope, settings_for_service(service)


def read_presigned(
    method: str,
    url: str,
    headers: object,
    settings: SigningSettings | None,
    limits: RequestLimitNumbers,
) -> PresignedReading | None:
    """A presigned request of the common shape, read and canonicalized in one call.

    The verifier's fast lane: None unless every element is as a well-formed presigned
    request has it, and then exactly what the verifier's full reading finds (its
    claim, payload hash and string to sign); None sends the request to that reading,
    which also gives every error. ``limits`` are RequestLimits' four numbers (URL
    length, query parameters, headers, header bytes). The shape:

    - ``method`` one of the common uppercase methods; ``url`` an ASCII str within the
      limit, without controls or '#', ``http://`` or ``https://``, a host of lowercase
      letters, digits, '.' and '-', an optional port, then a path and a query;
    - the query: the six X-Amz-* signing parameters once each, X-Amz-Algorithm
      AWS4-HMAC-SHA256, X-Amz-SignedHeaders ``host``, a valid X-Amz-Date on the
      credential scope's date, X-Amz-Expires
      of 1 to 15 digits, X-Amz-Signature 64 lowercase hex digits, the credential as
      canonical text; every other parameter canonical already, none with a '%' in its
      name, no X-Amz-Security-Token and no SigV2 names;
    - ``headers`` None, a dict, or a list or tuple of (name, value) tuples of str,
      within the limits, without Authorization or any x-amz-* header, and at most one
      Host (which then is the host signed).
    """
    if type(method) is not str or method not in COMMON_METHODS or type(url) is not str:
        return None
    max_url_length, max_query_parameters, max_headers, max_header_bytes = limits
    if len(url) > max_url_length or not url.isascii():
        return None
    match = _LANE_STANDARD_URL.fullmatch(url)
    if match is not None and max_query_parameters > 5:
        # The query up to the signature is the canonical query once the credential,
        # date and expiry are found valid (below).
        parts: Sequence[str] | None = match.groups("")
    else:
        parts = _lane_url_parts(url, max_query_parameters)
    if parts is None:
        return None
    scheme, host, port, path, query, credential_text, amz_date, expires, signature = parts
    if not (0 < len(expires) < 16 and expires.isascii() and expires.isdigit()):
        return None
    if port:
        number = int(port)
        if not 0 < number < 65536:
            return None
        port = str(number)  # as split_url writes it: no leading zeros, default dropped
        if port != _DEFAULT_PORTS[scheme]:
            host = host + ":" + port
    signed_at = _lane_dates.get(amz_date)
    if signed_at is None:
        signed_at = remembered(_lane_dates, amz_date, amz_date_seconds)
        if signed_at is None:
            return None
    credential = _lane_credentials.get(credential_text)
    if credential is None:
        credential = remembered(_lane_credentials, credential_text, _lane_credential)
        if credential is None:
            return None
    access_key_id, date, region, service, scope, preset = credential
    if not amz_date.startswith(date):
        return None
    if settings is None:
        settings = preset

    if headers is not None:
        if type(headers) is dict:
            items: Iterable[object] = headers.items()
        elif type(headers) is list or type(headers) is tuple:
            items = headers
        else:
            return None
        if len(headers) > max_headers:
            return None
        total = 0
        host_header = None
        for item in items:
            if type(item) is not tuple or len(item) != 2:
                return None
            name, value = item
            if type(name) is not str or type(value) is not str or not HTTP_TOKEN.fullmatch(name):
                return None
            total += len(name) + len(value)
            name = name.lower()
            if name == "host":
                if host_header is not None:
                    return None
                host_header = value
            elif name == "authorization" or name.startswith("x-amz-"):
                return None
        if total > max_header_bytes:
            return None
        if host_header is not None:
            if _NOT_FIELD_CHAR.search(host_header):
                return None
            host = trimall("host", host_header)

    payload_hash = _UNSIGNED_PAYLOAD if settings.presign_unsigned_payload else EMPTY_SHA256
    canonical = (
        f"{method}\n{canonical_path(path, settings.double_uri_encode, settings.normalize_path)}"
        f"\n{query}\nhost:{host}\n\nhost\n{payload_hash}"
    )
    return (
        access_key_id,
        date,
        region,
        service,
        signed_at,
        int(expires),
        signature,
        payload_hash,
        f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}",
    )


# (allowed regions or None, allowed services or None, max skew, max expires, the
#  secret lookup, the result type): what Verifier.verify checks a presigned request
#  against, and the tuple type (VerifiedRequest) it returns.
VerifyPolicy = tuple[
    frozenset[str] | None, frozenset[str] | None, int, int, Callable[[str], object], type
]


def verify_presigned(
    method: str,
    url: str,
    headers: object,
    settings: SigningSettings | None,
    limits: RequestLimitNumbers,
    policy: VerifyPolicy,
    now: float,
) -> tuple[object, ...] | None:
    """Verifier.verify's fast lane: a presigned request of read_presigned's shape
    verified in one call.

    Returns the verified request (the policy's result type, from VerifiedRequest's
    items: access key id, None, region, service, signed headers, auth type, None,
    payload hash, then X-Amz-Date and the expiry as POSIX seconds) when the request is
    within the policy's regions, services, expiry and (at ``now``, POSIX seconds) time
    window, its access key's secret is a str and the signature matches; ``(what the
    lookup gave,)`` when the lookup was asked but the request does not pass; None when
    it was not asked. The verifier's full reading then says what is wrong, without
    asking the lookup again.
    """
    reading = read_presigned(method, url, headers, settings, limits)
    if reading is None:
        return None
    access_key_id, date, region, service, signed_at, expires, signature, payload_hash, text = (
        reading
    )
    regions, services, max_skew, max_expires, lookup, result_type = policy
    if not (
        (regions is None or region in regions)
        and (services is None or service in services)
        and 0 < expires <= max_expires
        and signed_at - max_skew <= now <= signed_at + expires
    ):
        return None
    secret = lookup(access_key_id)
    # The lane's signature is 64 lowercase hex digits: compare_digest takes it as it is.
    if not (
        type(secret) is str
        and secret
        and hmac.compare_digest(
            signing_key(access_key_id, secret, date, region, service).sign(text), signature
        )
    ):
        return (secret,)
    return tuple.__new__(
        result_type,
        (
            access_key_id,
            None,
            region,
            service,
            _HOST_ONLY,
            "query",
            None,
            payload_hash,
            signed_at,
            signed_at + expires,
        ),
    )


# The URL of a presigned request as the signers write it: the six signing parameters
# alone, in canonical order. Its groups are _lane_url_parts' result. A regular
# expression reads it in a fraction of the bytecodes a split and a loop take.
_LANE_STANDARD_URL = re.compile(
    r"(https?)://([a-z0-9.\-]+)(?::([0-9]{1,5}))?(/[^?#\x00-\x1f\x7f]*)?\?"
    r"(X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=([^&]*)&X-Amz-Date=([^&]*)"
    r"&X-Amz-Expires=([^&]*)&X-Amz-SignedHeaders=host)&X-Amz-Signature=([0-9a-f]{64})"
)


def _lane_url_parts(
    url: str, max_query_parameters: int
) -> tuple[str, str, str, str, str, str, str, str, str] | None:
    """(scheme, host, port, path, canonical query, then X-Amz-Credential, X-Amz-Date,
    X-Amz-Expires and X-Amz-Signature as sent) of a URL of the lane's shape, else None;
    read_presigned checks those four values."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in ("http", "https"):
        return None
    head, question, query = rest.partition("?")
    if not question or query.count("&") >= max_query_parameters:
        return None
    slash = head.find("/")
    authority, path = (head, "") if slash < 0 else (head[:slash], head[slash:])
    # Only the path can hold a control character or '#': the host and the query are
    # checked character by character below.
    if "#" in path or _URL_CONTROL.search(path):
        return None
    host, colon, port = authority.partition(":")
    if not _LANE_HOST.fullmatch(host) or (
        colon and not (port.isascii() and port.isdigit() and len(port) <= 5)
    ):
        return None
    signing: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if name in _SIGNING_INDEX:
            if name in signing or name in _LANE_REFUSED:
                return None
            signing[name] = value
            if name == "X-Amz-Signature":
                continue
        elif (
            name in _LANE_REFUSED
            or "%" in name
            or not _CANONICAL_TOKEN.fullmatch(name)
            or not _CANONICAL_TOKEN.fullmatch(value)
        ):
            return None
        pairs.append((name, value))
    if (
        len(signing) != 6
        or signing["X-Amz-Algorithm"] != ALGORITHM
        or signing["X-Amz-SignedHeaders"] != "host"
        or not _LANE_SIGNATURE.fullmatch(signing["X-Amz-Signature"])
    ):
        return None
    pairs.sort()
    return (
        scheme,
        host,
        port,
        path,
        "&".join(map("=".join, pairs)),
        signing["X-Amz-Credential"],
        signing["X-Amz-Date"],
        signing["X-Amz-Expires"],
        signing["X-Amz-Signature"],
    )
