"""Fuzz cases for both core twins, shared by the atheris harness and the Hypothesis tests.

A *case* is built from a :class:`Source` of choices (atheris' FuzzedDataProvider in
``fuzz_twins.py``; :class:`ByteSource` over bytes Hypothesis draws in
``test_fuzz_properties.py``) and is a list of labelled calls. :func:`check_case` runs
every call once per core twin (the pure ``_core_py`` and, when built, the compiled
``_core_c``, routed with ``_core.using``) and requires that

- both twins return equal results of the same type, or raise the same exception type
  with the same message, and emit the same warnings;
- any exception is a ``fastsigv4.SigV4Error``.

Calls on the public API build their Signer / S3Presigner / Verifier inside the call, so
each twin starts from the same (empty) per-object caches; some calls also check that a
repeated or batched call agrees with the single one, raising AssertionError (which is
never a SigV4Error, so it is reported) when it does not.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any, NamedTuple, Protocol, TypeVar

from fastsigv4 import (
    UNSIGNED_PAYLOAD,
    Credentials,
    S3Presigner,
    Signer,
    SigningSettings,
    SigV4Error,
    _core,
    _core_py,
)
from fastsigv4.verifier import RequestLimits, Verifier, inspect_request

T = TypeVar("T")

# --- twins -------------------------------------------------------------------------------

_COMPILED = _core.compiled_twin()
TWINS: tuple[ModuleType, ...] = (_core_py,) if _COMPILED is None else (_core_py, _COMPILED)


class Source(Protocol):
    """Where a case's choices come from."""

    def integer(self, low: int, high: int) -> int:
        """An int from low to high inclusive."""

    def boolean(self) -> bool: ...

    def pick(self, options: Sequence[T]) -> T: ...

    def unicode(self, max_chars: int) -> str:
        """Up to max_chars arbitrary code points, lone surrogates included."""

    def raw(self, max_bytes: int) -> bytes: ...

    def join(self, good: Sequence[str], bad: Sequence[str], max_parts: int) -> str:
        """Text of up to max_parts pieces, as :func:`join_pieces` draws it."""


class ByteSource:
    """A Source decoding a byte string, front to back; once it runs out every choice is
    its lowest (the first option: mostly the valid one), so shorter input means simpler
    cases. Hypothesis draws the bytes in test_fuzz_properties (one draw per example,
    shrunk by shortening and zeroing them)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def _take(self, count: int) -> bytes:
        chunk = self._data[self._position : self._position + count]
        self._position += count
        return chunk

    def integer(self, low: int, high: int) -> int:
        span = high - low
        if span <= 0:
            return low
        size = (span.bit_length() + 7) // 8
        return low + int.from_bytes(self._take(size), "big") % (span + 1)

    def boolean(self) -> bool:
        return bool(self.integer(0, 1))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def unicode(self, max_chars: int) -> str:
        ranges = ((0, 0x7F), (0x80, 0xFFFF), (0x10000, 0x10FFFF), (0xD800, 0xDFFF))
        return "".join(
            chr(self.integer(*self.pick(ranges))) for _ in range(self.integer(0, max_chars))
        )

    def raw(self, max_bytes: int) -> bytes:
        return self._take(self.integer(0, max_bytes))

    def join(self, good: Sequence[str], bad: Sequence[str], max_parts: int) -> str:
        return join_pieces(self, good, bad, max_parts)


# --- checking ------------------------------------------------------------------------------

Call = Callable[[ModuleType], object]


class Check(NamedTuple):
    """One call to run on every twin.

    ``internal``: the arguments are ones the package itself never passes (a kernel built
    from text with a lone surrogate), so the twins must agree but may raise anything.
    """

    label: str
    call: Call
    internal: bool = False
    inputs: str = ""  # the arguments, for the report


Case = list[Check]


@dataclass
class Outcome:
    kind: str  # "returned" or "raised"
    cls: type[object]
    value: object  # the result, or the exception message
    warned: tuple[tuple[type[Warning], str], ...]
    exception: BaseException | None = None  # not compared

    def key(self) -> tuple[object, ...]:
        return (self.kind, self.cls, self.value, self.warned)

    def __repr__(self) -> str:
        text = f"{self.kind} {self.cls.__name__}: {self.value!r}"
        if len(text) > 1500:
            text = text[:1500] + f"... ({len(text)} characters)"
        return text + (f" warnings={self.warned!r}" if self.warned else "")


def run(call: Call, twin: ModuleType) -> Outcome:
    """``call(twin)`` with the package routed through ``twin``, warnings recorded."""
    with _core.using(twin), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(twin)
        except Exception as exc:
            outcome = Outcome("raised", type(exc), str(exc), (), exc)
        else:
            outcome = Outcome("returned", type(result), result, ())
    outcome.warned = tuple((w.category, str(w.message)) for w in caught)
    return outcome


class TwinCheckError(AssertionError):
    """A case broke a rule: the twins disagree, or a non-SigV4Error escaped."""


def check(item: Check) -> Outcome:
    """Run one call on every twin; raise TwinCheckError unless the rules hold."""
    outcomes = [run(item.call, twin) for twin in TWINS]
    first = outcomes[0]
    for twin, other in zip(TWINS[1:], outcomes[1:], strict=True):
        if other.key() != first.key():
            raise TwinCheckError(
                f"{item.label}: the twins disagree\n  {TWINS[0].IMPLEMENTATION}: {first!r}\n"
                f"  {twin.IMPLEMENTATION}: {other!r}\n  inputs: {item.inputs}"
            )
    exc = first.exception
    if exc is not None and not item.internal and not isinstance(exc, SigV4Error):
        raise TwinCheckError(
            f"{item.label}: raised {type(exc).__name__}, not a fastsigv4.SigV4Error: {exc}\n"
            f"  inputs: {item.inputs}"
        ) from exc
    return first


def describe(**inputs: object) -> str:
    text = ", ".join(f"{name}={value!r}" for name, value in inputs.items())
    return text if len(text) <= 3000 else text[:3000] + f"... ({len(text)} characters)"


def check_case(case: Case) -> list[Outcome]:
    return [check(item) for item in case]


# --- text ------------------------------------------------------------------------------------
# Every generator mostly returns valid input, each part failing now and then, so that most
# cases get past the argument checks to the canonicalization behind them.

# fmt: off
PATH_GOOD = [
    "/", "/", "/", "//", ".", "..", "./", "../", "a", "b", "~", "%", "%2F", "%2f", "%20",
    "%zz", "%4", "%%41", "%C3%A9", "%FF", " ", "+", "&", "=", "@", ":", ";", "é", "😀",
    "k/", "a b", "日本", "$", "[", "]", "!", "'", "(", "*",
]
PATH_BAD = ["\x00", "\t", "\x7f", "\ud800", "#", "\n"]
QUERY_GOOD = [
    "&", "&", "=", "=", "%20", "%2B", "%2b", "%C3%A9", "%FF", "%41", "+", " ", "a", "b",
    "A", "~", "é", "😀", "/", "?", "versionId", "X-Amz-Meta", "x-id", "%26", "%3D", "",
]
QUERY_BAD = [
    "%", "%zz", "%4", "\ud800", "#", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential",
    "X%2DAmz%2DSignature", "X-Amz-Expires",
]
VALUE_GOOD = [
    " ", " ", "\t", "\r\n ", "\n\t", "a", "b c", ",", ";", "~", "text/plain",
    "20240601T120000Z", "AWS4-HMAC-SHA256", "=", "/", "host", "\"q\"", "%",
]
VALUE_BAD = ["\r\n", "\n", "\r", "é", "\x00", "\x7f", "\ud800", "\x1f"]
NAME_GOOD = [
    "Host", "host", "HOST", "Content-Type", "content-type", "X-Amz-Meta-A", "x-amz-meta-a",
    "X-Amz-Target", "User-Agent", "X-Forwarded-For", "Proxy-Authorization", "Expect", "Date",
    "a", "b", "TE", "Via", "x-amz-meta-a", "Content-MD5", "!#$%&'*+-.^_`|~",
]
NAME_BAD: list[Any] = [
    "X-Amz-Date", "Authorization", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "",
    "bad name", "x:y", "é", "x-amz-\ud800", None, 1, b"x-a",
]
SCHEMES_GOOD = ["https", "https", "http", "HTTPS", "ws", "wss", "s3", "a+b.c-d"]
SCHEMES_BAD = ["", "1a", "a b", "é", "-x"]
HOSTS_GOOD = [
    "h", "example.com", "EXAMPLE.COM", "bucket.s3.us-east-1.amazonaws.com", "127.0.0.1",
    "[::1]", "xn--caf-dma.com", "h%20x", "user@h", "a:b@h", "@h", "h.", "h-",
]
HOSTS_BAD = ["[::1", "[::1]x", "", "é.com", "a b", "h\t", "h\u3000", "\ud800"]
# ':²', ':٨٠' and 4301 digits: bare ValueErrors until 8975da6, kept as regression inputs.
PORTS_GOOD = ["", "", "", ":", ":443", ":80", ":080", ":8080", ":65535", ":1"]
PORTS_BAD = [
    ":0", ":65536", ":-1", ":+1", ":1_0", ": 80", ":٨٠", ":²", ":" + "1" * 4301, ":9:9",
    ":0x50",
]
METHODS_GOOD = ["GET", "GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "get", "Brew",
                "M-SEARCH"]
METHODS_BAD: list[Any] = ["", "GET ", "G\u00e9T", "GET\n", None, 1]
KEY_GOOD = [
    "a", "a b", "+", "%", "%2F", "/", "//", ".", "..", "é", "😀", "\x00", "~", "日本/語",
    "k/", "photos/2024/06/img_000123.jpg", "?", "#", "&", "=", "\t", "\x7f",
]
KEY_BAD: list[Any] = ["\ud800", "\udfff", "", None, 0, b"k"]
TIMESTAMPS_GOOD: list[Any] = [
    "20240601T120000Z", "20240601T120000Z", "20240630T235959Z", "20240701T000000Z",
    "20150830T123600Z", "20240229T235959Z", "00010101T000000Z",
    datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc),
    datetime(2024, 6, 1, 14, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2))),
    datetime(2024, 6, 30, 23, 59, 59, tzinfo=timezone.utc),
]
TIMESTAMPS_BAD: list[Any] = [
    "20230229T000000Z", "20241301T000000Z", "20240601T246000Z", "2024-06-01T12:00:00Z",
    "20240601T120000", "", "\uff12" * 16, 1717243200, b"20240601T120000Z",
    datetime(2024, 6, 1, 12, 0, 0),  # naive
    "99991231T235959Z",  # overflowed when presigning until 8975da6; effective_expires_at still
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # overflowed until 8975da6
    datetime(5, 1, 2, tzinfo=timezone.utc),  # year < 1000: a malformed X-Amz-Date until 8975da6
]
EXPIRES_GOOD = [1, 60, 900, 3600, 3600, 86400, 604800]
EXPIRES_BAD: list[Any] = [604801, 0, -1, True, 3.5, "60", 10**30, None]
REGIONS_GOOD = ["us-east-1", "us-east-1", "eu-west-1", "cn-north-1", "é", "us-east-1\x00"]
REGIONS_BAD: list[Any] = ["", "us east", "a/b", "\ud800", None]
SERVICES_GOOD = ["s3", "s3", "execute-api", "logs", "s3express", "s3-outposts"]
SERVICES_BAD: list[Any] = ["", "a/b", "\ud800", None]
BUCKETS_GOOD = ["examplebucket", "examplebucket", "my.bucket", "Bucket_Name", "ab", "a", "é",
                "192.168.0.1", "a..b", "-ab", "a b"]
BUCKETS_BAD: list[Any] = ["", "a/b", "\ud800", None]
ENDPOINTS_GOOD: list[Any] = [
    None, None, None, "http://127.0.0.1:9000", "https://minio.local/base/",
    "http://[::1]:9000", "https://user:pw@s3.local:443", "http://h/a b/",
]
ENDPOINTS_BAD: list[Any] = ["http://h:²", "ftp:/x", "http://h/?q", "http://h/#f", "no-scheme",
                            "http://é/", 5]
# fmt: on

HEX = "0123456789abcdef"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCESS_KEY = "AKIDEXAMPLE"
TOKEN = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/token=="
ODDS = 12  # one part in ODDS is drawn from the bad list


def mostly(src: Source, good: Sequence[T], bad: Sequence[Any]) -> Any:
    return src.pick(good) if src.integer(0, ODDS - 1) else src.pick(bad)


def text(src: Source, good: Sequence[str], bad: Sequence[str] = (), max_parts: int = 10) -> str:
    """Text made of ``good`` pieces, with now and then a ``bad`` one (see join_pieces)."""
    return src.join(good, bad, max_parts)


def join_pieces(src: Source, good: Sequence[str], bad: Sequence[str], max_parts: int) -> str:
    """Up to ``max_parts`` pieces: mostly ``good`` ones, now and then a ``bad`` one, an
    arbitrary or a printable character, or a long run of a good piece."""
    parts: list[str] = []
    for _ in range(src.integer(0, max_parts)):
        kind = src.integer(0, 4 * ODDS - 1)
        if kind == 0 and bad:
            parts.append(src.pick(bad))
        elif kind == 1:
            parts.append(src.unicode(3))
        elif kind == 2:
            parts.append(chr(src.integer(0x20, 0x7E)))
        elif kind == 3:  # a long run: buffers grow, chunks close
            parts.append(src.pick(good) * src.integer(2, 400))
        else:
            parts.append(src.pick(good))
    return "".join(parts)


def any_text(src: Source) -> str:
    good, bad = src.pick(
        [
            (PATH_GOOD, PATH_BAD),
            (QUERY_GOOD, QUERY_BAD),
            (VALUE_GOOD, VALUE_BAD),
            (KEY_GOOD, ["\ud800", "\udfff"]),
        ]
    )
    return text(src, good, bad, 14)


def query_string(src: Source) -> str:
    if src.integer(0, 7) == 0:
        return text(src, QUERY_GOOD, QUERY_BAD, 16)
    pairs = []
    for _ in range(src.integer(0, 6)):
        key = text(src, QUERY_GOOD, QUERY_BAD, 3)
        if src.integer(0, 3):
            key += "=" + text(src, QUERY_GOOD, QUERY_BAD, 3)
        pairs.append(key)
    return "&".join(pairs)


def url(src: Source) -> str:
    if src.integer(0, 31) == 0:
        return text(src, [*PATH_GOOD, *QUERY_GOOD, "://", "https://h", "?"], PATH_BAD, 20)
    scheme: str = mostly(src, SCHEMES_GOOD, SCHEMES_BAD)
    separator = "://" if src.integer(0, 31) else src.pick(["", ":/", ":///"])
    host: str = mostly(src, HOSTS_GOOD, HOSTS_BAD)
    if src.integer(0, 7) == 0:
        host = text(src, [*HOSTS_GOOD, ".", "-", "A"], HOSTS_BAD, 3)
    port: str = mostly(src, PORTS_GOOD, PORTS_BAD)
    path = ""
    if src.integer(0, 7):
        path = text(src, PATH_GOOD, PATH_BAD)
        if src.integer(0, 7):
            path = "/" + path
    query = "?" + query_string(src) if src.boolean() else ""
    return scheme + separator + host + port + path + query


def header_pairs(src: Source, max_pairs: int = 5) -> list[Any]:
    pairs: list[Any] = []
    for _ in range(src.integer(0, max_pairs)):
        if src.integer(0, 4 * ODDS) == 0:
            pairs.append(src.pick([("a",), ["a", "b"], ("a", "b", "c"), "ab", 7, ("a", None)]))
            continue
        if src.integer(0, 5):
            name: Any = mostly(src, NAME_GOOD, NAME_BAD)
        else:
            name = text(src, ["x-", "a", "-", "amz", "meta", "!", "#", "~", "_", "9"], (), 6)
        pairs.append((name, text(src, VALUE_GOOD, VALUE_BAD, 8)))
    return pairs


def headers(src: Source) -> Any:
    """A header container as a caller passes it: a dict, list or tuple of pairs, or None."""
    shape = src.integer(0, 4 * ODDS - 1)
    if shape == 0:
        return src.pick(["a: b", b"a: b", 5])
    if shape == 1:
        return None
    pairs = header_pairs(src)
    if shape % 3 == 0:
        try:
            return dict(pairs)
        except (TypeError, ValueError):
            return pairs
    return pairs if shape % 3 == 1 else tuple(pairs)


def body(src: Source) -> Any:
    kind = src.integer(0, ODDS)
    if kind == 0:
        return src.pick([0, 1.5, ["a"], "\ud800"])
    if kind == 1:
        return None
    if kind == 2:
        return UNSIGNED_PAYLOAD
    if kind == 3:
        return bytearray(src.raw(16))
    if kind == 4:
        return memoryview(src.raw(16))
    if kind < 8:
        return any_text(src).encode("utf-8", "surrogatepass")
    return src.raw(64)


def payload_sha256(src: Source) -> Any:
    if src.integer(0, 5):
        return None
    return mostly(
        src,
        [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "UNSIGNED-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ],
        ["A" * 64, "abc", "", 5],
    )


def timestamp(src: Source) -> Any:
    if src.integer(0, 4 * ODDS) == 0:
        return text(src, ["2024", "0601", "T", "12", "00", "Z", "9"], ["é"], 6)
    return mostly(src, TIMESTAMPS_GOOD, TIMESTAMPS_BAD)


def credentials(src: Source) -> Callable[[], Credentials]:
    """A factory: Credentials' own checks (bad input) then raise inside the call."""
    access_key: Any = ACCESS_KEY
    if src.integer(0, 2 * ODDS) == 0:
        access_key = src.pick(["", "a/b", "é", "A B", 5, "AK\x00"])
    secret: Any = SECRET
    if src.integer(0, 2 * ODDS) == 0:
        secret = src.pick([any_text(src), "", "\ud800", None, "é"])
    token: Any = None
    if src.integer(0, 2) == 0:
        token = TOKEN
        if src.integer(0, ODDS) == 0:
            token = src.pick([any_text(src), "", "tok\x01", "é", 5])
    expiration: Any = None
    if src.integer(0, 4) == 0:
        seconds = src.integer(-7200, 7200)
        expiration = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc) + timedelta(
            seconds=seconds
        )
    return functools.partial(Credentials, access_key, secret, token, expiration)


def settings(src: Source) -> Any:
    if src.integer(0, 2):
        return None
    return SigningSettings(
        double_uri_encode=src.boolean(),
        normalize_path=src.boolean(),
        session_token_mode=src.pick(["include", "append_after_signing"]),
        add_content_sha256_header=src.boolean(),
        presign_unsigned_payload=src.boolean(),
        excluded_headers=src.pick(
            [frozenset(), frozenset({"user-agent", "x-amz-meta-*"}), frozenset({"content-type"})]
        ),
        max_expires=src.pick([604800, 60, 10**40]),
    )


def expiry_policy(src: Source) -> Any:
    return mostly(src, ["warn", "warn", "clamp", "raise"], ["bogus", None])


# --- the core twins, called directly ---------------------------------------------------------


def core_check(function: str, label: str = "", **arguments: object) -> Check:
    """A Check of ``twin.<function>(...)`` with ``arguments`` passed in order (their names
    are the report's)."""
    values = tuple(arguments.values())
    return Check(
        label or function,
        lambda twin: getattr(twin, function)(*values),
        inputs=describe(**arguments),
    )


def case_uri_encode(src: Source) -> Case:
    value = any_text(src)
    return [core_check("uri_encode", value=value, keep_slash=src.boolean())]


def case_canonical_path(src: Source) -> Case:
    path = text(src, PATH_GOOD, PATH_BAD, 16)
    return [
        core_check(
            "canonical_path",
            f"canonical_path(double_encode={double_encode}, normalize={normalize})",
            path=path,
            double_encode=double_encode,
            normalize=normalize,
        )
        for double_encode in (False, True)
        for normalize in (False, True)
    ]


def case_canonical_query(src: Source) -> Case:
    query = query_string(src)
    extra = [
        (text(src, QUERY_GOOD, QUERY_BAD, 3), text(src, QUERY_GOOD, QUERY_BAD, 3))
        for _ in range(src.integer(0, 3))
    ]
    return [
        core_check("canonical_query", query=query),
        core_check("canonical_query", "canonical_query+extra", query=query, extra=extra),
    ]


def case_trimall(src: Source) -> Case:
    name = mostly(src, NAME_GOOD, ["é", "\ud800", ""])
    return [core_check("trimall", name=name, value=text(src, VALUE_GOOD, VALUE_BAD, 12))]


def case_canonical_headers(src: Source) -> Case:
    names = ["host", "a", "b", "x-amz-date", "content-type", "é", "x", "x-amz-meta-a"]
    pairs = [
        (src.pick(names), text(src, VALUE_GOOD, VALUE_BAD, 6)) for _ in range(src.integer(0, 8))
    ]
    return [core_check("canonical_headers", headers=pairs)]


def case_string_to_sign(src: Source) -> Case:
    amz_date = src.pick(["20240601T120000Z", any_text(src)])
    scope = src.pick(["20240601/us-east-1/s3/aws4_request", any_text(src)])
    return [
        core_check(
            "string_to_sign", amz_date=amz_date, scope=scope, canonical_request=any_text(src)
        )
    ]


def case_signing_key(src: Source) -> Case:
    defaults = (ACCESS_KEY, SECRET, "20240601", "us-east-1", "s3")
    parts = [default if src.integer(0, 3) else any_text(src) for default in defaults]
    raw_key = src.raw(100)
    message = any_text(src)
    return [
        Check(
            "signing_key(...).sign",
            lambda twin: twin.signing_key(*parts).sign(message),
            inputs=describe(parts=parts, message=message),
        ),
        Check(
            "SigningKey(bytes).sign",
            lambda twin: twin.SigningKey(raw_key).sign(message),
            inputs=describe(key=raw_key, message=message),
        ),
    ]


S3_KERNEL_PARTS = (
    "https://bucket.s3.us-east-1.amazonaws.com/",
    "GET\n/",
    "\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240601T000000Z\nhost:bucket.s3.us-east-1"
    ".amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD",
    "AWS4-HMAC-SHA256\n20240601T000000Z\n20240601/us-east-1/s3/aws4_request\n",
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240601T000000Z&X-Amz-Signature=",
)


def s3_key(src: Source) -> Any:
    if src.integer(0, 2 * ODDS) == 0:
        return src.pick(KEY_BAD)
    return text(src, KEY_GOOD, (), 8) or "k"


def case_presign_kernel(src: Source) -> Case:
    secret = src.raw(64)
    parts = [part if src.integer(0, 7) else any_text(src) for part in S3_KERNEL_PARTS]
    keys = [s3_key(src) for _ in range(src.integer(0, 12))]
    chunk_keys = src.integer(1, 9)
    chunk_bytes = src.pick([1, 50, 4096, 1 << 18])
    # S3Presigner never builds a kernel from text without a UTF-8 form.
    internal = any("\ud800" <= char <= "\udfff" for part in parts for char in part)

    def kernel(twin: ModuleType) -> Any:
        return twin.PresignKernel(twin.SigningKey(secret), *parts)

    def presign_many(twin: ModuleType) -> object:
        # The compiled twin signs in chunks: small ones put boundaries between these keys.
        if not hasattr(twin, "_PRESIGN_CHUNK_KEYS"):
            return kernel(twin).presign_many(iter(keys))
        compiled: Any = twin  # the chunk limits are not in its type stub
        saved = compiled._PRESIGN_CHUNK_KEYS, compiled._PRESIGN_CHUNK_BYTES
        compiled._PRESIGN_CHUNK_KEYS, compiled._PRESIGN_CHUNK_BYTES = chunk_keys, chunk_bytes
        try:
            return kernel(twin).presign_many(iter(keys))
        finally:
            compiled._PRESIGN_CHUNK_KEYS, compiled._PRESIGN_CHUNK_BYTES = saved

    def presign(key: Any) -> Call:
        return lambda twin: kernel(twin).presign(key)

    inputs = describe(secret=secret, parts=parts, keys=keys, chunks=(chunk_keys, chunk_bytes))
    case = [
        Check(f"PresignKernel.presign(keys[{index}])", presign(key), internal, inputs)
        for index, key in enumerate(keys[:3])
    ]
    case.append(Check("PresignKernel.presign_many", presign_many, internal, inputs))
    return case


# --- the public API, on each twin ------------------------------------------------------------


def _same(label: str, first: object, second: object) -> None:
    if first != second:
        raise AssertionError(f"{label}: {first!r:.500} != {second!r:.500}")


def _outcome_of(call: Callable[[], object]) -> tuple[str, object]:
    try:
        return "returned", call()
    except SigV4Error as exc:
        return "raised", (type(exc), str(exc))


def signer_factory(src: Source) -> tuple[Callable[[], Signer], dict[str, object]]:
    """A Signer factory of drawn credentials, region, service, settings and expiry policy
    (a new Signer per call, so each twin starts from empty caches), and those inputs."""
    make_credentials = credentials(src)
    region = mostly(src, REGIONS_GOOD, REGIONS_BAD)
    service = mostly(src, SERVICES_GOOD, SERVICES_BAD)
    signing_settings, policy = settings(src), expiry_policy(src)

    def make_signer() -> Signer:
        return Signer(
            make_credentials(),
            region,
            service,
            settings=signing_settings,
            on_credential_expiry=policy,
        )

    inputs = {
        "credentials": make_credentials,
        "region": region,
        "service": service,
        "settings": signing_settings,
        "on_credential_expiry": policy,
    }
    return make_signer, inputs


def case_signer_sign(src: Source) -> Case:
    make_signer, signer_inputs = signer_factory(src)
    method, target = mostly(src, METHODS_GOOD, METHODS_BAD), url(src)
    fields, payload, digest, when = headers(src), body(src), payload_sha256(src), timestamp(src)

    def sign(twin: ModuleType) -> object:
        signer = make_signer()
        first = signer.sign(method, target, fields, payload, payload_sha256=digest, timestamp=when)
        # The second call takes the template cache.
        again = signer.sign(method, target, fields, payload, payload_sha256=digest, timestamp=when)
        _same("sign() twice", first, again)
        if digest is None:
            batch = _outcome_of(
                lambda: signer.sign_many([(method, target, fields, payload)] * 2, timestamp=when)
            )
            _same("sign_many", batch, ("returned", [first, first]))
        return first

    inputs = describe(
        **signer_inputs,
        method=method,
        url=target,
        headers=fields,
        body=payload,
        payload_sha256=digest,
        timestamp=when,
    )
    return [Check("Signer.sign", sign, inputs=inputs)]


def case_signer_presign(src: Source) -> Case:
    make_signer, signer_inputs = signer_factory(src)
    method, target, fields = mostly(src, METHODS_GOOD, METHODS_BAD), url(src), headers(src)
    expires = mostly(src, EXPIRES_GOOD, EXPIRES_BAD)
    payload = body(src) if src.integer(0, 3) == 0 else None
    digest, when = payload_sha256(src), timestamp(src)

    def presign(twin: ModuleType) -> object:
        signer = make_signer()
        first = signer.presign(
            method,
            target,
            expires=expires,
            headers=fields,
            body=payload,
            payload_sha256=digest,
            timestamp=when,
        )
        if payload is None and digest is None:
            batch = _outcome_of(
                lambda: signer.presign_many(
                    method, [target, target], expires=expires, headers=fields, timestamp=when
                )
            )
            _same("presign_many", batch, ("returned", [first, first]))
        return first

    inputs = describe(
        **signer_inputs,
        method=method,
        url=target,
        expires=expires,
        headers=fields,
        body=payload,
        payload_sha256=digest,
        timestamp=when,
    )
    return [Check("Signer.presign", presign, inputs=inputs)]


def case_s3_presigner(src: Source) -> Case:
    make_credentials = credentials(src)
    region = mostly(src, REGIONS_GOOD, REGIONS_BAD)
    bucket = mostly(src, BUCKETS_GOOD, BUCKETS_BAD)
    endpoint = mostly(src, ENDPOINTS_GOOD, ENDPOINTS_BAD)
    addressing = mostly(src, ["auto", "auto", "virtual", "path"], ["bogus", None])
    method = mostly(src, ["GET", "GET", "PUT", "HEAD"], METHODS_BAD)
    expires, when = mostly(src, EXPIRES_GOOD, EXPIRES_BAD), timestamp(src)
    policy = expiry_policy(src)
    keys = [s3_key(src) for _ in range(src.integer(0, 10))]
    batch_size = src.integer(1, 4)
    threads = src.integer(0, 7) == 0

    def presigner() -> S3Presigner:
        return S3Presigner(
            make_credentials(),
            region,
            bucket,
            endpoint=endpoint,
            addressing=addressing,
            method=method,
            expires=expires,
            timestamp=when,
            on_credential_expiry=policy,
        )

    def one_by_one(twin: ModuleType) -> object:
        p = presigner()
        return [p.presign(key) for key in keys]

    def batched(twin: ModuleType) -> object:
        p = presigner()
        if not keys:  # presign_many([]) builds the kernel (and may raise), a loop does not
            return p.presign_many(keys)
        expected = _outcome_of(lambda: [p.presign(key) for key in keys])
        many = _outcome_of(lambda: p.presign_many(keys))
        _same("presign_many vs presign", many, expected)
        iterated = _outcome_of(lambda: list(p.presign_iter(keys, batch_size)))
        _same("presign_iter", iterated, expected)
        if threads:
            parallel = _outcome_of(lambda: p.presign_parallel(keys, 2, batch_size))
            _same("presign_parallel", parallel, expected)
        return many, p.effective_expires_at()

    inputs = describe(
        credentials=make_credentials,
        region=region,
        bucket=bucket,
        endpoint=endpoint,
        addressing=addressing,
        method=method,
        expires=expires,
        timestamp=when,
        on_credential_expiry=policy,
        keys=keys,
        batch_size=batch_size,
        threads=threads,
    )
    return [
        Check("S3Presigner.presign", one_by_one, inputs=inputs),
        Check("S3Presigner bulk", batched, inputs=inputs),
    ]


def authorization(src: Source) -> str:
    """An Authorization value, mostly well formed, each part possibly mangled."""
    credential = "/".join(
        default if src.integer(0, ODDS) else src.pick(["", "é", "\ud800", any_text(src)])
        for default in (ACCESS_KEY, "20240601", "us-east-1", "execute-api", "aws4_request")
    )
    signed = mostly(
        src,
        ["host;x-amz-date", "host;x-amz-date", "host", "host;x-amz-content-sha256;x-amz-date"],
        ["x-amz-date;host", "", "HOST", "host;host", text(src, ["host", ";", "a"], (), 4)],
    )
    signature = mostly(src, ["".join(src.pick(HEX) for _ in range(64)), "0" * 64], ["", "zz"])
    algorithm = mostly(
        src, ["AWS4-HMAC-SHA256"], ["AWS", "AWS AK:sig", "AWS4-ECDSA-P256-SHA256", ""]
    )
    parts = [
        algorithm,
        " Credential=" + credential,
        ", SignedHeaders=" + signed,
        ", Signature=" + signature,
    ]
    if src.integer(0, ODDS) == 0:
        parts.insert(src.integer(1, 3), src.pick([", Signature=x", ",", ", Bogus=1", " "]))
    return "".join(parts)


def received_headers(src: Source) -> Any:
    pairs: list[Any] = []
    if src.integer(0, ODDS):
        pairs.append(("Authorization", authorization(src)))
    if src.integer(0, 5):
        pairs.append(
            ("X-Amz-Date", timestamp(src) if src.integer(0, 4) == 0 else "20240601T120000Z")
        )
    elif src.boolean():
        dates = [
            "Sat, 01 Jun 2024 12:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 -2359",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "nonsense",
        ]
        pairs.append(("Date", src.pick(dates)))
    pairs.extend(header_pairs(src, 3))
    if src.integer(0, 7) == 0:  # ASGI-style bytes pairs
        pairs = [
            tuple(
                part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
                for part in pair
            )
            if isinstance(pair, tuple)
            else pair
            for pair in pairs
        ]
    return pairs


def presigned_query(src: Source) -> str:
    credential = mostly(
        src,
        [
            "AKIDEXAMPLE%2F20240601%2Fus-east-1%2Fs3%2Faws4_request",
            "AKIDEXAMPLE/20240601/us-east-1/execute-api/aws4_request",
        ],
        ["AKIDEXAMPLE/99991231/us-east-1/s3/aws4_request", any_text(src), ""],
    )
    fields = [
        ("X-Amz-Algorithm", mostly(src, ["AWS4-HMAC-SHA256"], ["AWS4-HMAC-SHA1", ""])),
        ("X-Amz-Credential", credential),
        ("X-Amz-Date", mostly(src, ["20240601T120000Z"], ["99991231T235959Z", "2024"])),
        ("X-Amz-Expires", mostly(src, ["3600", "60"], ["0", "604801", "١٢", "9" * 20, "-1"])),
        ("X-Amz-SignedHeaders", mostly(src, ["host"], ["host%3Bx-amz-date", "", "Host"])),
        ("X-Amz-Signature", mostly(src, ["0" * 64], ["", "zz"])),
    ]
    pieces = [f"{name}={value}" for name, value in fields if src.integer(0, 2 * ODDS)]
    if src.boolean():
        pieces.insert(src.integer(0, len(pieces)), query_string(src))
    return "&".join(pieces)


def case_read_presigned(src: Source) -> Case:
    """The verifier's fast lane, on forged presigned URLs: both twins return the same,
    never raise, and what they accept the full reading reads the same way."""
    target = src.pick(["https://h/", "http://127.0.0.1:9000/b/k", url(src)])
    target = target.partition("?")[0] + "?" + presigned_query(src)
    method = mostly(src, METHODS_GOOD, METHODS_BAD)
    fields = received_headers(src) if src.integer(0, 3) == 0 else None
    lane_settings = settings(src)
    limits = mostly(src, [(16384, 1000, 200, 65536)], [(64, 3, 3, 80), (10**4, 5, 1, 1)])

    def read(twin: ModuleType) -> object:
        reading = twin.read_presigned(method, target, fields, lane_settings, limits)
        if reading is not None:
            try:
                full = inspect_request(
                    method, target, fields, settings=lane_settings, limits=RequestLimits(*limits)
                )
            except SigV4Error as error:
                raise AssertionError(
                    f"the lane took what the full reading refuses: {error}"
                ) from None
            _same(
                "read_presigned vs inspect_request",
                reading,
                (
                    full.access_key_id,
                    full.date,
                    full.region,
                    full.service,
                    twin.amz_date_seconds(full.amz_date),
                    full.expires,
                    full.signature,
                    full.payload_hash,
                    full.string_to_sign,
                ),
            )
        return reading

    secret = mostly(src, [SECRET], ["", None, 5])
    regions = src.pick([None, frozenset({"us-east-1"}), frozenset({"eu-west-1"})])
    policy = (regions, None, 900, src.pick([604800, 60, 2**60]), {ACCESS_KEY: secret}.get, tuple)
    now = src.pick([1717243200.0, 1717243200.0 + 4000, float("nan")])  # 2024-06-01T12:00:00Z

    def verify(twin: ModuleType) -> object:
        return twin.verify_presigned(method, target, fields, lane_settings, limits, policy, now)

    inputs = describe(
        method=method, url=target, headers=fields, settings=lane_settings, limits=limits
    )
    return [
        Check("read_presigned", read, inputs=inputs),
        Check("verify_presigned", verify, inputs=f"{inputs}, secret={secret!r}, now={now}"),
    ]


def case_verifier(src: Source) -> Case:
    """The verifier's parsers on received requests: forged ones, and our own signatures."""
    limits = mostly(
        src,
        [RequestLimits()],
        [
            RequestLimits(
                max_url_length=64, max_query_parameters=3, max_headers=3, max_header_bytes=80
            )
        ],
    )
    offset = mostly(src, [0, 0, 100], [1000, -1000, 10**6])
    clock_at = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc) + timedelta(seconds=offset)
    entry: Any = SECRET if src.integer(0, 5) else Credentials(ACCESS_KEY, SECRET, TOKEN)
    method = mostly(src, METHODS_GOOD, METHODS_BAD)
    payload: Any = src.pick([None, b"", b"body", "text", src.raw(8)])
    kind = src.integer(0, 2)
    if kind == 0:  # forged header auth
        target, fields = url(src), received_headers(src)
    elif kind == 1:  # forged presigned URL
        target = src.pick(["https://h/", "https://bucket.s3.us-east-1.amazonaws.com/k", url(src)])
        target = target.partition("?")[0] + "?" + presigned_query(src)
        fields = received_headers(src) if src.integer(0, 3) == 0 else None
    else:  # signed by us, then possibly tampered with
        target, fields = url(src), headers(src)
    signed_region = mostly(src, ["us-east-1"], ["é", "\ud800", "us-east-1\x00"])
    service = src.pick(["execute-api", "s3"])
    presign = src.boolean()
    tamper = src.integer(0, 6)

    def received() -> tuple[Any, Any, Any]:
        if kind < 2:
            return method, target, fields
        signer = Signer(Credentials(ACCESS_KEY, SECRET), signed_region, service)
        signed: Any
        if presign:
            signed = signer.presign(method, target, headers=fields, timestamp="20240601T120000Z")
            sent: Any = list(signed.headers)
        else:
            signed = signer.sign(method, target, fields, payload, timestamp="20240601T120000Z")
            sent = [pair for pair in signed.headers if pair[0] != "Host"]
        wire = signed.url
        if tamper == 1:
            sent.append(("X-Amz-Meta-Added", "1"))
        elif tamper == 2 and sent:
            sent[0] = (sent[0][0], sent[0][1] + " x")
        elif tamper == 3:
            wire += "&added=1" if "?" in wire else "?added=1"
        return signed.method, wire, sent

    def verify(twin: ModuleType) -> object:
        verb, wire, sent = received()
        verifier = Verifier({ACCESS_KEY: entry}, clock=lambda: clock_at, limits=limits)
        return verifier.verify(verb, wire, sent, payload)

    def inspect(twin: ModuleType) -> object:
        verb, wire, sent = received()
        return inspect_request(verb, wire, sent, payload, limits=limits)

    inputs = describe(
        kind=("forged header auth", "forged presigned URL", "signed by Signer")[kind],
        method=method,
        url=target,
        headers=fields,
        body=payload,
        limits=limits,
        clock=clock_at,
        secret=entry,
        signed_region=signed_region,
        service=service,
        presign=presign,
        tamper=tamper,
    )
    return [
        Check("Verifier.verify", verify, inputs=inputs),
        Check("inspect_request", inspect, inputs=inputs),
    ]


CORE_TARGETS: dict[str, Callable[[Source], Case]] = {
    "uri_encode": case_uri_encode,
    "canonical_path": case_canonical_path,
    "canonical_query": case_canonical_query,
    "trimall": case_trimall,
    "canonical_headers": case_canonical_headers,
    "string_to_sign": case_string_to_sign,
    "signing_key": case_signing_key,
    "presign_kernel": case_presign_kernel,
    "read_presigned": case_read_presigned,
}
API_TARGETS: dict[str, Callable[[Source], Case]] = {
    "signer_sign": case_signer_sign,
    "signer_presign": case_signer_presign,
    "s3_presigner": case_s3_presigner,
    "verifier": case_verifier,
}
TARGETS: dict[str, Callable[[Source], Case]] = {**CORE_TARGETS, **API_TARGETS}
TARGET_NAMES: tuple[str, ...] = tuple(TARGETS)


def build(src: Source) -> tuple[str, Case]:
    """Choose a target, then build its case."""
    name = TARGET_NAMES[src.integer(0, len(TARGET_NAMES) - 1)]
    return name, TARGETS[name](src)
