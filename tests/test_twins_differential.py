"""Differential tests: the compiled twin (``_core_c``) against the pure twin (``_core_py``).

For arbitrary input each function must either return equal results in both twins or
raise the same exception type with the same message in both.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsigv4 import SignedRequest, _core_py
from fastsigv4.errors import InvalidRequestError

if os.environ.get("FASTSIGV4_NO_EXTENSIONS", "") not in ("", "0"):
    pytest.skip(
        "FASTSIGV4_NO_EXTENSIONS is set: the compiled twin is disabled", allow_module_level=True
    )

_core_c: ModuleType = pytest.importorskip("fastsigv4._core_c")

# These tests call both twins directly, so running them once per routed twin (the
# conftest's parametrization) would only repeat them.
pytestmark = pytest.mark.python_only

PROPERTY = settings(max_examples=2000, deadline=None)

Outcome = tuple[object, ...]


def outcome(call: Callable[[], object]) -> Outcome:
    try:
        result = call()
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("returned", type(result), result)


def assert_twins_agree(
    name: str,
    *args: object,
    errors: tuple[type[Exception], ...] = (InvalidRequestError,),
) -> None:
    """Both twins' ``name(*args)`` return equal str results or raise the same error."""
    expected = outcome(lambda: getattr(_core_py, name)(*args))
    actual = outcome(lambda: getattr(_core_c, name)(*args))
    assert actual == expected
    if expected[0] == "raised":
        assert issubclass(expected[1], errors), expected  # type: ignore[arg-type]


# --- strategies ------------------------------------------------------------------------

# fmt: off
SPECIAL_PIECES = [
    "%", "%2F", "%2f", "%20", "%zz", "%4", "%%41", "%C3%A9", "%FF",
    "/", ".", "..", "//", "+", " ", "\t", "\r\n", "\r\n ", "\n\t", "\r", "\n",
    "&", "=", "~", "-", "_", "é", "😀", "\x00", "\x7f", "a", "Z", "9",
]
QUERY_PIECES = [
    "&", "=", "%", "%20", "%2B", "%2b", "%zz", "%4", "%C3%A9", "%FF", "+", " ",
    "a", "b", "A", "~", "é", "😀",
]
VALUE_PIECES = [
    " ", "\t", "\r\n ", "\n\t", "\r\n", "\n", "\r", "a", "b c", "é", "\x00", "\x7f",
    "~", ",", "\ud800",
]
# fmt: on

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ATOMS = st.one_of(st.sampled_from(SPECIAL_PIECES), st.characters(), SURROGATES)
SHORT_TEXT = st.one_of(st.text(), st.lists(ATOMS, max_size=40).map("".join))
TEXT = st.one_of(
    SHORT_TEXT,
    st.builds(lambda text, times: text * times, SHORT_TEXT, st.integers(20, 300)),
)

SEGMENTS = st.lists(st.sampled_from(["", ".", "..", "a", "%2F", "%zz", " ", "é", "~"]))
SEGMENT_PATHS = st.builds(
    lambda rooted, parts: ("/" if rooted else "") + "/".join(parts), st.booleans(), SEGMENTS
)

QUERY_ATOMS = st.one_of(st.sampled_from(QUERY_PIECES), st.characters())
QUERY_TEXT = st.lists(QUERY_ATOMS, max_size=12).map("".join)
QUERY_PAIRS = st.lists(st.tuples(QUERY_TEXT, st.none() | QUERY_TEXT), max_size=8).map(
    lambda pairs: "&".join(key if value is None else key + "=" + value for key, value in pairs)
)
QUERIES = st.one_of(TEXT, st.lists(QUERY_ATOMS, max_size=40).map("".join), QUERY_PAIRS)
EXTRA = st.lists(st.tuples(TEXT, TEXT), max_size=6)

NAMES = st.one_of(
    st.sampled_from(["host", "x-amz-date", "x-amz-meta-a", "content-type", "a", "b", "é-x"]),
    st.text(alphabet="abcxyz-0", min_size=1, max_size=8),
)
VALUES = st.one_of(st.lists(st.sampled_from(VALUE_PIECES), max_size=12).map("".join), TEXT)

KEYS = st.one_of(TEXT, st.sampled_from(["", "photos/2024/06/img_000123.jpg", None, 0, b"k"]))


# --- properties ------------------------------------------------------------------------


@PROPERTY
@given(value=TEXT, keep_slash=st.booleans())
def test_uri_encode(value: str, keep_slash: bool) -> None:
    assert_twins_agree("uri_encode", value, keep_slash)


@PROPERTY
@given(path=st.one_of(TEXT, SEGMENT_PATHS), double_encode=st.booleans(), normalize=st.booleans())
def test_canonical_path(path: str, double_encode: bool, normalize: bool) -> None:
    assert_twins_agree("canonical_path", path, double_encode, normalize)


@PROPERTY
@given(path=SEGMENT_PATHS)
def test_canonical_path_segments(path: str) -> None:
    for double_encode in (False, True):
        for normalize in (False, True):
            assert_twins_agree("canonical_path", path, double_encode, normalize)


@PROPERTY
@given(query=QUERIES, extra=EXTRA)
def test_canonical_query(query: str, extra: list[tuple[str, str]]) -> None:
    assert_twins_agree("canonical_query", query)
    assert_twins_agree("canonical_query", query, extra)


@PROPERTY
@given(name=st.one_of(NAMES, TEXT), value=VALUES)
def test_trimall(name: str, value: str) -> None:
    assert_twins_agree("trimall", name, value)


@PROPERTY
@given(headers=st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_canonical_headers(headers: list[tuple[str, str]]) -> None:
    assert_twins_agree("canonical_headers", headers)


@PROPERTY
@given(
    data=st.one_of(
        st.binary(),
        # Past 2 KiB the compiled twin hashes without the GIL.
        st.builds(bytes.__mul__, st.binary(min_size=1, max_size=64), st.integers(32, 300)),
    )
)
def test_sha256_hex(data: bytes) -> None:
    assert_twins_agree("sha256_hex", data)


@PROPERTY
@given(amz_date=TEXT, scope=TEXT, canonical_request=TEXT)
def test_string_to_sign(amz_date: str, scope: str, canonical_request: str) -> None:
    # A lone surrogate in the canonical request is an InvalidRequestError in both twins.
    assert_twins_agree("string_to_sign", amz_date, scope, canonical_request)


@PROPERTY
@given(key=st.binary(max_size=200), message=TEXT)
def test_signing_key_sign(key: bytes, message: str) -> None:
    expected = outcome(lambda: _core_py.SigningKey(key).sign(message))
    actual = outcome(lambda: _core_c.SigningKey(key).sign(message))
    assert actual == expected


@PROPERTY
@given(key=st.binary(max_size=80), message=TEXT, change=st.integers(0, 70), other=TEXT)
def test_signing_key_matches(key: bytes, message: str, change: int, other: str) -> None:
    """matches() is sign() compared: true for the signature, false for any other text."""
    pure_key, compiled_key = _core_py.SigningKey(key), _core_c.SigningKey(key)
    signed = outcome(lambda: pure_key.sign(message))
    candidates = [other]
    if signed[0] == "returned":
        signature = str(signed[-1])
        at = change % 64
        flipped = signature[:at] + ("0" if signature[at] != "0" else "1") + signature[at + 1 :]
        candidates += [signature, flipped, signature.upper(), signature[:-1], signature + "0"]
    for candidate in candidates:
        expected = outcome(partial(pure_key.matches, message, candidate))
        assert outcome(partial(compiled_key.matches, message, candidate)) == expected
        if signed[0] == "returned":
            assert expected == ("returned", bool, candidate == signature)
        else:  # the message's error (a lone surrogate)
            assert expected == signed


def test_signing_key_matches_refuses_what_is_not_text() -> None:
    for twin in (_core_py, _core_c):
        key: Any = twin.SigningKey(b"k")
        for bad in (None, b"0" * 64, 5):
            with pytest.raises(InvalidRequestError, match="signature must be a str"):
                key.matches("m", bad)
        assert key.matches("m", "é" * 64) is False


@PROPERTY
@given(parts=st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), message=TEXT)
def test_signing_key_derivation(parts: tuple[str, str, str, str, str], message: str) -> None:
    expected = outcome(lambda: _core_py.signing_key(*parts).sign(message))
    actual = outcome(lambda: _core_c.signing_key(*parts).sign(message))
    assert actual == expected


def assert_same(pure: Callable[[], object], compiled: Callable[[], object]) -> None:
    assert outcome(compiled) == outcome(pure)


def kernels(secret: bytes, parts: Sequence[Any]) -> tuple[Any, Any]:
    """(pure, compiled) kernels built from the same arguments."""
    return (
        _core_py.PresignKernel(_core_py.SigningKey(secret), *parts),
        _core_c.PresignKernel(_core_c.SigningKey(secret), *parts),
    )


@PROPERTY
@given(
    secret=st.binary(max_size=100),
    parts=st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT),
    keys=st.lists(KEYS, max_size=6),
)
def test_presign_kernel(
    secret: bytes, parts: tuple[str, str, str, str, str], keys: list[object]
) -> None:
    pure, compiled = kernels(secret, parts)
    for key in keys:
        assert_same(partial(pure.presign, key), partial(compiled.presign, key))
    assert_same(partial(pure.presign_many, keys), partial(compiled.presign_many, keys))


# --- examples --------------------------------------------------------------------------

S3_PARTS = (
    "https://bucket.s3.us-east-1.amazonaws.com/",
    "GET\n/",
    "\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240601T000000Z\nhost:bucket.s3.us-east-1"
    ".amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD",
    "AWS4-HMAC-SHA256\n20240601T000000Z\n20240601/us-east-1/s3/aws4_request\n",
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240601T000000Z&X-Amz-Signature=",
)

MEGABYTE_KEYS = [
    "k/" * (1 << 19),
    "a b%/é😀~" * (1 << 17),
    "x" * ((1 << 20) - 1) + "\ud800",
]


@pytest.mark.parametrize("key", MEGABYTE_KEYS, ids=["ascii", "mixed", "surrogate-at-end"])
def test_megabyte_key(key: str) -> None:
    assert_twins_agree("uri_encode", key, True)
    assert_twins_agree("uri_encode", key, False)
    pure, compiled = kernels(b"secret", S3_PARTS)
    assert_same(partial(pure.presign, key), partial(compiled.presign, key))
    batch = ["small", key, "small/again"]
    assert_same(partial(pure.presign_many, batch), partial(compiled.presign_many, batch))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("&&", ""),
        ("=", "="),
        ("&=&", "="),
        ("b&a=2&a=10&a", "a=&a=10&a=2&b="),
        ("k=v=w&%41=%7e", "A=~&k=v%3Dw"),
        ("a+b=%2B", "a%2Bb=%2B"),
    ],
)
def test_canonical_query_examples(query: str, expected: str) -> None:
    assert _core_c.canonical_query(query) == expected
    assert_twins_agree("canonical_query", query)


def test_canonical_query_extra_pairs() -> None:
    extra = [("X-Amz-Date", "20240601T000000Z"), ("a", "é /"), ("a", "")]
    assert _core_c.canonical_query("a=1", extra) == (
        "X-Amz-Date=20240601T000000Z&a=&a=%C3%A9%20%2F&a=1"
    )
    assert_twins_agree("canonical_query", "a=1", extra)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], ("", "")),
        ([("x-a", " \t "), ("x-b", "")], ("x-a:\nx-b:\n", "x-a;x-b")),
        ([("b", "2"), ("a", "1"), ("b", " 3  4 "), ("b", "")], ("a:1\nb:2,3 4,\n", "a;b")),
        ([("x-fold", "one\r\n two\n\tthree")], ("x-fold:one two three\n", "x-fold")),
    ],
)
def test_canonical_headers_examples(
    headers: list[tuple[str, str]], expected: tuple[str, str]
) -> None:
    assert _core_c.canonical_headers(headers) == expected
    assert_twins_agree("canonical_headers", headers)


@pytest.mark.parametrize("value", [" ", "\t\t", " \r\n ", "\n\t", "", "a\r\nb", "a\x00", "é"])
def test_trimall_examples(value: str) -> None:
    assert_twins_agree("trimall", "x-h", value)


BOOM = RuntimeError("the iterable itself fails here")


def lazy(items: list[object]) -> Iterator[object]:
    for item in items:
        if item is BOOM:
            raise BOOM
        yield item


@pytest.mark.parametrize(
    "items",
    [
        [("a", "1"), ("b", "2")],
        [("a", "1"), ("b",)],
        [("a", "1"), ["b", "2"]],
        [("a", "1"), ("b", "\ud800")],
        [("a", "1"), ("b", "bad\x01"), ("c",)],
        [("a", "1"), 7],
        [("a", "1"), BOOM],
        [("a", "1"), ("b", "bad\x01"), BOOM],
        [("a", "1"), ("b", "%zz"), BOOM],
    ],
)
def test_lazily_consumed_pairs(items: list[object]) -> None:
    # The pure twin takes over midway with exactly the same sequence of items.
    pure_twin: Any = _core_py  # iterators of odd items: ill-typed on purpose
    assert_same(
        lambda: pure_twin.canonical_query("q=1", lazy(items)),
        lambda: _core_c.canonical_query("q=1", lazy(items)),
    )
    assert_same(
        lambda: pure_twin.canonical_headers(lazy(items)),
        lambda: _core_c.canonical_headers(lazy(items)),
    )


BAD_VALUES: list[object] = [None, 1, b"x", ["a"], 1.5]


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_non_str_arguments(bad: object) -> None:
    # Whatever the pure twin does with them (raise, or even return), the compiled one does.
    calls: list[tuple[str, tuple[object, ...]]] = [
        ("uri_encode", (bad,)),
        ("uri_encode", (bad, True)),
        ("canonical_path", (bad, True, True)),
        ("canonical_path", (bad, False, False)),
        ("canonical_query", (bad,)),
        ("canonical_query", ("a=1", bad)),
        ("canonical_query", ("a=1", [("k", bad)])),
        ("trimall", ("x-h", bad)),
        ("trimall", (bad, "ok")),
        ("canonical_headers", (bad,)),
        ("canonical_headers", ([(bad, "v")],)),
        ("sha256_hex", (bad,)),
        ("string_to_sign", (bad, "scope", "request")),
        ("string_to_sign", ("date", "scope", bad)),
    ]
    for name, args in calls:
        assert_same(partial(getattr(_core_py, name), *args), partial(getattr(_core_c, name), *args))
    pure_twin: Any = _core_py  # the calls below are ill-typed on purpose
    assert_same(
        lambda: pure_twin.SigningKey(bad).sign("m"), lambda: _core_c.SigningKey(bad).sign("m")
    )
    assert_same(
        lambda: pure_twin.SigningKey(b"k").sign(bad), lambda: _core_c.SigningKey(b"k").sign(bad)
    )
    for twin in (_core_py, _core_c):
        twin.clear_signing_key_cache()
    assert_same(
        lambda: pure_twin.signing_key("AK", bad, "d", "r", "s").sign("m"),
        lambda: _core_c.signing_key("AK", bad, "d", "r", "s").sign("m"),
    )
    pure, compiled = kernels(b"k", S3_PARTS)
    assert_same(partial(pure.presign, bad), partial(compiled.presign, bad))
    assert_same(partial(pure.presign_many, bad), partial(compiled.presign_many, bad))


def test_kernel_with_unusual_parts() -> None:
    # Non-str parts and lone surrogates only fail at presign time, in both twins.
    for index in range(5):
        for odd in (1, "\ud800", "é"):
            parts: list[object] = list(S3_PARTS)
            parts[index] = odd
            pure, compiled = kernels(b"k", parts)
            for key in ("a b", "", None):
                assert_same(partial(pure.presign, key), partial(compiled.presign, key))


def test_signing_key_cache() -> None:
    _core_c.clear_signing_key_cache()
    first = _core_c.signing_key("AK", "secret", "20240601", "us-east-1", "s3")
    assert _core_c.signing_key("AK", "secret", "20240601", "us-east-1", "s3") is first
    for index in range(300):  # overflows the 256-entry cache: it is cleared, not grown
        _core_c.signing_key("AK", "secret", str(index), "us-east-1", "s3")
    assert _core_c.signing_key("AK", "secret", "20240601", "us-east-1", "s3") is not first
    _core_c.clear_signing_key_cache()
    assert _core_c.signing_key("AK", "secret", "20240601", "us-east-1", "s3") is not first


def test_reprs() -> None:
    assert repr(_core_c.SigningKey(b"secret")) == "<SigningKey (redacted)>"
    pure, compiled = kernels(b"k", S3_PARTS)
    assert repr(compiled) == repr(pure)
    assert _core_c.IMPLEMENTATION == "c"


# --- the compiled batch path: PresignKernel.presign_many in chunks -----------------------


class KeyStr(str):
    """A str subclass: off the compiled fast path, presigned by the pure twin's kernel."""


@contextmanager
def chunking(keys: int, size: int) -> Iterator[None]:
    """Chunks of at most ``keys`` keys, closed at ``size`` UTF-8 bytes, in the compiled twin."""
    saved = (_core_c._PRESIGN_CHUNK_KEYS, _core_c._PRESIGN_CHUNK_BYTES)
    _core_c._PRESIGN_CHUNK_KEYS, _core_c._PRESIGN_CHUNK_BYTES = keys, size
    try:
        yield
    finally:
        _core_c._PRESIGN_CHUNK_KEYS, _core_c._PRESIGN_CHUNK_BYTES = saved


# A URL that is not ASCII: the compiled twin builds it in a scratch buffer and decodes it.
NON_ASCII_PARTS = ("https://bücket.example/", *S3_PARTS[1:4], S3_PARTS[4].replace("AWS4", "ÄWS4"))

LONG_PIECES = ["k/", "é", "😀", "a b%", "日本/"]
BATCH_KEYS = st.one_of(
    st.sampled_from(["photos/2024/06/img_000123.jpg", "a", "a b+c", "日本/語", "%2F", "é😀\x00"]),
    # Longer than 4 KiB of UTF-8.
    st.builds(
        lambda piece, extra: piece * (4097 // len(piece.encode()) + 1 + extra),
        st.sampled_from(LONG_PIECES),
        st.integers(0, 300),
    ),
    # Off the fast path: the pure twin's error, or its URL (a str subclass).
    st.sampled_from(["", None, 0, b"k", "\ud800", "x" * 5000 + "\udfff"]),
    st.builds(KeyStr, st.sampled_from(["a", "é x", "k/" * 3000])),
    TEXT,
)


def shaped(keys: list[object], shape: str) -> Iterable[object]:
    if shape == "list":
        return keys
    if shape == "generator":
        return lazy(keys)
    return lazy([*keys, BOOM])  # an iterable that fails after the keys


# Each example is a batch of up to 40 keys, some longer than 4 KiB: fewer examples.
@settings(max_examples=600, deadline=None)
@given(
    secret=st.binary(max_size=100),
    parts=st.one_of(
        st.just(S3_PARTS), st.just(NON_ASCII_PARTS), st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT)
    ),
    keys=st.lists(BATCH_KEYS, max_size=40),
    chunk_keys=st.integers(1, 9),
    chunk_bytes=st.sampled_from([1, 50, 4096, 1 << 18]),
    shape=st.sampled_from(["list", "generator", "failing"]),
)
def test_presign_many_in_chunks(
    secret: bytes,
    parts: tuple[str, ...],
    keys: list[object],
    chunk_keys: int,
    chunk_bytes: int,
    shape: str,
) -> None:
    pure, compiled = kernels(secret, parts)
    with chunking(chunk_keys, chunk_bytes):
        assert_same(
            lambda: pure.presign_many(shaped(keys, shape)),
            lambda: compiled.presign_many(shaped(keys, shape)),
        )


@pytest.mark.parametrize("parts", [S3_PARTS, NON_ASCII_PARTS], ids=["ascii", "non-ascii-url"])
def test_presign_many_default_chunks(parts: tuple[str, ...]) -> None:
    # The shipped chunking (4096 keys, 256 KiB): boundaries fall inside these batches,
    # keys off the fast path sit on and next to them, and long keys close chunks by size.
    rng = random.Random(20240601)
    keys: list[object] = [
        f"photos/2024/{index % 12:02d}/img_{index:06d}.jpg" for index in range(12_000)
    ]
    for position in (0, 4095, 4096, 4097, 8191, 8192, 11_999, *rng.sample(range(12_000), 20)):
        keys[position] = KeyStr(f"sub/{position}")
    for position in rng.sample(range(12_000), 200):
        keys[position] = rng.choice(LONG_PIECES) * rng.randrange(1100, 3000)
    pure, compiled = kernels(b"secret", parts)
    assert_same(partial(pure.presign_many, keys), partial(compiled.presign_many, keys))
    for position in (4096, 9001):
        bad = list(keys)
        bad[position] = rng.choice(["", None, "\ud800"])
        assert_same(partial(pure.presign_many, bad), partial(compiled.presign_many, bad))


# --- the compiled block path: PresignKernel.presign_lines ---------------------------------

# Byte pieces of a block of input lines: line breaks, CRs, non-ASCII and invalid UTF-8
# (a stray continuation byte, an overlong form, a surrogate, above U+10FFFF, truncated).
# fmt: off
LINE_PIECES = [
    b"\n", b"\r", b"\r\n", b"\n\n", b" ", b"a", b"k/", b"a b+c", b"%2F", b"~", b"\x00",
    "é".encode(), "日本".encode(), "😀".encode(), "\U0010ffff".encode(),
    b"\x80", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\x9f\xbf",
    b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\xe6\x97",
    b"\xf0\x9f\x98",
]
# fmt: on
LINE_BLOCKS = st.one_of(
    st.lists(st.sampled_from(LINE_PIECES), max_size=60).map(b"".join),
    st.binary(max_size=200),
    st.lists(st.text(), max_size=8).map(lambda keys: "\n".join(keys).encode("utf-8", "replace")),
    # Longer than the GIL-release threshold (2 KiB), or than a 4 KiB key.
    st.builds(
        lambda piece, times: piece * times,
        st.lists(st.sampled_from(LINE_PIECES[:15]), min_size=1, max_size=6).map(b"".join),
        st.integers(100, 1500),
    ),
)


@settings(max_examples=3000, deadline=None)
@given(
    secret=st.binary(max_size=40),
    parts=st.one_of(
        st.just(S3_PARTS), st.just(NON_ASCII_PARTS), st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT)
    ),
    data=LINE_BLOCKS,
    first_line=st.integers(1, 10**12),
)
def test_presign_lines(secret: bytes, parts: tuple[str, ...], data: bytes, first_line: int) -> None:
    pure, compiled = kernels(secret, parts)
    expected = outcome(partial(pure.presign_lines, data, first_line))
    assert outcome(partial(compiled.presign_lines, data, first_line)) == expected
    # A block is the kernel's presign_many's URLs, one per line.
    if expected[0] == "returned":
        urls = pure.presign_many(_core_py.line_keys(data))
        lines = "".join(url + "\n" for url in urls).encode()
        assert expected[2] == (lines, len(urls))


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        (b"", []),
        (b"\n", []),
        (b"\r\n\r\n\n\r", []),
        (b"a", ["a"]),
        (b"a\nb", ["a", "b"]),
        (b"a\r\nb\r", ["a", "b"]),
        (b"a\r\r\n\rb\n", ["a\r", "\rb"]),
        (b"\n\n  a b  \n\t\n", ["  a b  ", "\t"]),
        ("日本/😀\né\r\n".encode(), ["日本/😀", "é"]),
        (b"\x00\n", ["\x00"]),
    ],
)
def test_presign_lines_examples(data: bytes, keys: list[str]) -> None:
    assert _core_py.line_keys(data) == keys
    for parts in (S3_PARTS, NON_ASCII_PARTS):
        pure, compiled = kernels(b"secret", parts)
        urls = "".join(compiled.presign(key) + "\n" for key in keys).encode()
        assert pure.presign_lines(data) == compiled.presign_lines(data) == (urls, len(keys))


@pytest.mark.parametrize(
    ("data", "first_line", "message"),
    [
        (b"\xff", 1, "input line 1 is not valid UTF-8 (invalid start byte: 0xFF at byte 1 "),
        (
            b"ok\n\nab\xc3",
            7,
            "input line 9 is not valid UTF-8 (unexpected end of data: 0xC3 at byte 3 ",
        ),
        (
            b"a\nb\xc3(\n",
            1,
            "input line 2 is not valid UTF-8 (invalid continuation byte: 0xC3 at byte 2 ",
        ),
        (b"\xed\xa0\x80\n", 1, "input line 1 is not valid UTF-8 (invalid continuation byte: 0xED "),
        (b"k/" * 3000 + b"\n\xf4\x90\x80\x80", 5, "input line 6 is not valid UTF-8"),
    ],
)
def test_presign_lines_invalid_utf8(data: bytes, first_line: int, message: str) -> None:
    pure, compiled = kernels(b"secret", S3_PARTS)
    expected = outcome(partial(pure.presign_lines, data, first_line))
    assert outcome(partial(compiled.presign_lines, data, first_line)) == expected
    assert expected[:2] == ("raised", InvalidRequestError)
    assert str(expected[2]).startswith(message)


@pytest.mark.parametrize("data", ["a\n", bytearray(b"a\n"), memoryview(b"a\n"), None, 1])
def test_presign_lines_takes_bytes_only(data: object) -> None:
    pure, compiled = kernels(b"secret", S3_PARTS)
    expected = outcome(partial(pure.presign_lines, data))
    assert outcome(partial(compiled.presign_lines, data)) == expected
    assert expected == (
        "raised",
        InvalidRequestError,
        f"input lines must be bytes, not {type(data).__name__}",
    )


def test_presign_lines_of_a_kernel_with_a_lone_surrogate() -> None:
    # presign returns a str it cannot encode; presign_lines says so.
    pure, compiled = kernels(b"secret", ("https://b.example/\ud800/", *S3_PARTS[1:]))
    expected = outcome(partial(pure.presign_lines, b"a\n"))
    assert outcome(partial(compiled.presign_lines, b"a\n")) == expected
    assert expected[:2] == ("raised", InvalidRequestError)
    assert str(expected[2]).startswith("URL text contains a lone surrogate (U+D800)")


def test_presign_lines_megabyte_keys() -> None:
    data = b"\n".join(key.encode("utf-8", "surrogatepass") for key in MEGABYTE_KEYS[:2])
    pure, compiled = kernels(b"secret", S3_PARTS)
    urls = "".join(compiled.presign(key) + "\n" for key in MEGABYTE_KEYS[:2]).encode()
    assert pure.presign_lines(data) == compiled.presign_lines(data) == (urls, 2)


# --- header signing: sign_request and template_key ----------------------------------


class Text(str):
    """A str subclass: off the compiled fast paths, handled by the pure twin."""


def typed(value: object) -> object:
    """value with the type of every str and tuple in it spelled out, for comparisons."""
    if isinstance(value, tuple):
        return (type(value), tuple(typed(item) for item in value))
    return (type(value), value)


def fields(*values: object) -> tuple[object, ...]:
    """A sign_request ``make`` that returns the result's fields as they are."""
    return values


# sign_request's last arguments (make, url, session_token) for its result as a tuple.
AS_FIELDS = (fields, "https://h.example/", "tok")


def assert_sign_request_agrees(secret: bytes, *args: object) -> None:
    """Both twins' sign_request(their SigningKey(secret), *args, *AS_FIELDS) agree, down
    to types; and so do the SignedRequest results each twin's record_maker builds."""
    pure_twin: Any = _core_py  # some calls are ill-typed on purpose
    pure_key, compiled_key = _core_py.SigningKey(secret), _core_c.SigningKey(secret)
    expected = outcome(lambda: typed(pure_twin.sign_request(pure_key, *args, *AS_FIELDS)))
    actual = outcome(lambda: typed(_core_c.sign_request(compiled_key, *args, *AS_FIELDS)))
    assert actual == expected
    if expected[0] == "returned":
        # The same fields, in a SignedRequest from each twin's record maker.
        for twin, key in ((pure_twin, pure_key), (_core_c, compiled_key)):
            make = twin.record_maker(SignedRequest)
            signed = twin.sign_request(key, *args, make, *AS_FIELDS[1:])
            assert type(signed) is SignedRequest
            values = tuple(getattr(signed, field.name) for field in dataclasses.fields(signed))
            assert typed(values) == expected[2]


# Canonical-request segments as Signer builds them, with 2 (X-Amz-Date) or 3
# (X-Amz-Content-SHA256, X-Amz-Date) per-request values between them.
SEGMENTS_2 = ("\n/\n\nhost:h.example\nx-amz-date:", "\n\nhost;x-amz-date\n")
SEGMENTS_3 = (
    "\n/k\n\nhost:h.example\nx-amz-content-sha256:",
    "\nx-amz-date:",
    "\n\nhost;x-amz-content-sha256;x-amz-date\n",
)
SENT = (("Host", "h.example"), ("X-Amz-Security-Token", "tok"))
BODIES = st.one_of(
    st.binary(max_size=600),
    # Past 2 KiB the compiled twin hashes without the GIL.
    st.builds(bytes.__mul__, st.binary(min_size=1, max_size=64), st.integers(32, 300)),
)
PAYLOADS = st.one_of(
    BODIES, TEXT, st.sampled_from(["UNSIGNED-PAYLOAD", "e3b0c442" * 8]), st.builds(Text, TEXT)
)
SIGN_SEGMENTS = st.one_of(
    st.sampled_from([SEGMENTS_2, SEGMENTS_3]),
    st.lists(TEXT, min_size=2, max_size=3).map(tuple),
    st.lists(TEXT, max_size=4).map(tuple),  # 0, 1 or 4 segments: the pure twin's error
    st.lists(TEXT, min_size=2, max_size=3),  # a list
    st.tuples(TEXT, st.builds(Text, TEXT)),
)
SIGN_HEADERS = st.one_of(
    st.just(SENT),
    st.just(()),
    st.lists(st.tuples(NAMES, VALUES), max_size=4).map(tuple),
    st.tuples(st.tuples(st.builds(Text, TEXT), TEXT)),
)


@PROPERTY
@given(
    secret=st.binary(max_size=100),
    method=st.one_of(st.sampled_from(["GET", "POST", "PUT"]), TEXT),
    segments=SIGN_SEGMENTS,
    amz_date=st.one_of(st.just("20240601T000000Z"), TEXT),
    payload=PAYLOADS,
    scope=st.one_of(st.just("20240601/us-east-1/logs/aws4_request"), TEXT),
    credential=st.one_of(st.just("AKID/20240601/us-east-1/logs/aws4_request"), TEXT),
    signed_names=st.one_of(st.just("host;x-amz-date"), TEXT),
    headers=SIGN_HEADERS,
)
def test_sign_request(
    secret: bytes,
    method: str,
    segments: Sequence[str],
    amz_date: str,
    payload: bytes | str,
    scope: str,
    credential: str,
    signed_names: str,
    headers: tuple[tuple[str, str], ...],
) -> None:
    assert_sign_request_agrees(
        secret, method, segments, amz_date, payload, scope, credential, signed_names, headers
    )


@pytest.mark.parametrize("size", [0, 55, 56, 64, 127, 128, 1024, 2047, 2048, 100_000])
@pytest.mark.parametrize("segments", [SEGMENTS_2, SEGMENTS_3], ids=["2-segments", "3-segments"])
def test_sign_request_body_sizes(size: int, segments: tuple[str, ...]) -> None:
    # Around the SHA-256 block and padding edges, hashlib's threshold (used without
    # SHA-NI) and the size from which the body is hashed without the GIL.
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    args = ("POST", segments, "20240601T000000Z", body, "s/c/o/pe", "AK/s/c/o/pe", "host", SENT)
    assert_sign_request_agrees(b"key", *args)
    _, _, headers, signature, canonical_request, string_to_sign, _ = _core_c.sign_request(
        _core_c.SigningKey(b"key"), *args, *AS_FIELDS
    )
    assert canonical_request.endswith("\n" + _core_py.sha256_hex(body))
    assert _core_py.SigningKey(b"key").sign(string_to_sign) == signature
    assert headers[-1] == (
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential=AK/s/c/o/pe, SignedHeaders=host, Signature={signature}",
    )


@pytest.mark.parametrize("bad", BAD_VALUES)
@pytest.mark.parametrize("position", range(9))
def test_sign_request_wrong_types(bad: object, position: int) -> None:
    args: list[object] = [
        "POST",
        SEGMENTS_2,
        "20240601T000000Z",
        b"{}",
        "s/c/o/pe",
        "AK/s/c/o/pe",
        "host",
        SENT,
    ]
    if position == 0:
        pure_twin: Any = _core_py
        assert_same(
            lambda: pure_twin.sign_request(bad, *args, *AS_FIELDS),
            lambda: _core_c.sign_request(bad, *args, *AS_FIELDS),
        )
        return
    args[position - 1] = bad
    assert_sign_request_agrees(b"key", *args)


@pytest.mark.parametrize("make", ["record_maker(_Slots)", None, "fields"])
def test_sign_request_make(make: object) -> None:
    # Whatever make is, each twin calls it with the same fields: a record maker for
    # another class raises its own TypeError for the count, anything else is called.
    args = ("POST", SEGMENTS_2, "20240601T000000Z", b"{}", "s", "AK/s", "host", SENT)
    makes = [
        twin.record_maker(_Slots) if make == "record_maker(_Slots)" else make
        for twin in (_core_py, _core_c)
    ]
    pure_twin: Any = _core_py
    assert_same(
        lambda: pure_twin.sign_request(_core_py.SigningKey(b"k"), *args, makes[0], "u", None),
        lambda: _core_c.sign_request(_core_c.SigningKey(b"k"), *args, makes[1], "u", None),
    )


def test_sign_request_with_the_other_twins_key() -> None:
    # A key the compiled fast path does not take goes to the pure twin, which signs
    # with the key's own sign() method.
    args = (
        "POST",
        SEGMENTS_2,
        "20240601T000000Z",
        b"{}",
        "s/c/o/pe",
        "AK/s/c/o/pe",
        "host",
        (),
        *AS_FIELDS,
    )
    expected = _core_py.sign_request(_core_py.SigningKey(b"key"), *args)
    pure_key: Any = _core_py.SigningKey(b"key")
    assert _core_c.sign_request(pure_key, *args) == expected
    assert _core_py.sign_request(_core_c.SigningKey(b"key"), *args) == expected


# Requests signed one after another with one key: whatever sign_request keeps under a key
# of the text it hashed (the canonical request up to its payload hash, the string to
# sign up to the request's hash) must never stand in for other text, even of the same
# length; text too long to keep, or empty, is hashed as is.
RUN_SEGMENTS = [
    SEGMENTS_2,
    SEGMENTS_3,
    ("\n/\n\nhost:h.example\nx-amz-date:", "\n\nhost;x-amz-datf\n"),
    ("\n/" + "a" * 600 + "\n\nhost:h.example\nx-amz-date:", "\n\nhost;x-amz-date\n"),
    ("", "", ""),
    ("é\n", "\n"),
]
REQUEST_RUNS = st.lists(
    st.tuples(
        st.sampled_from(["GET", "PUT", "POST", ""]),
        st.sampled_from(RUN_SEGMENTS),
        st.sampled_from(["20240601T000000Z", "20240601T000001Z", "20240602T000000Z"]),
        st.sampled_from(["s/c/o/pe", "s/c/o/pf", "s/c/o/p", "s/c/o/" + "p" * 600]),
        st.one_of(st.binary(max_size=100), st.just("UNSIGNED-PAYLOAD")),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(run=REQUEST_RUNS)
def test_sign_request_runs_with_one_key(
    run: list[tuple[str, tuple[str, ...], str, str, bytes | str]],
) -> None:
    pure_key, compiled_key = _core_py.SigningKey(b"key"), _core_c.SigningKey(b"key")
    for method, segments, amz_date, scope, payload in run:
        args = (method, segments, amz_date, payload, scope, "AK/" + scope, "host", SENT, *AS_FIELDS)
        expected = typed(_core_py.sign_request(pure_key, *args))
        assert typed(_core_c.sign_request(compiled_key, *args)) == expected


RECORD = ("GET", "https://h/", (("Host", "h"),), "0" * 64, "cr", "sts", None)


def test_record_maker() -> None:
    for twin in (_core_py, _core_c):
        made = twin.record_maker(SignedRequest)(*RECORD)
        assert type(made) is SignedRequest
        assert made == SignedRequest(*RECORD)
        assert hash(made) == hash(SignedRequest(*RECORD))
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.method = "PUT"  # type: ignore[misc]


@pytest.mark.parametrize("count", [0, 6, 8])
def test_record_maker_wrong_count(count: int) -> None:
    values = (RECORD * 2)[:count]
    assert_same(
        lambda: _core_py.record_maker(SignedRequest)(*values),
        lambda: _core_c.record_maker(SignedRequest)(*values),
    )


class _NoSlots:
    pass


class _OwnNew:
    __slots__ = ("a",)

    def __new__(cls) -> _OwnNew:
        return super().__new__(cls)


class _SlotsList:
    __slots__ = ["a"]


class _Slots:
    __slots__ = ("a",)


class _InheritedSlots(_Slots):
    pass


@pytest.mark.parametrize(
    "cls",
    [object, int, "SignedRequest", None, _NoSlots, _OwnNew, _SlotsList, _InheritedSlots],
)
def test_record_maker_refuses(cls: Any) -> None:
    assert_same(lambda: _core_py.record_maker(cls), lambda: _core_c.record_maker(cls))
    with pytest.raises(TypeError, match="record_maker needs a class"):
        _core_py.record_maker(cls)


TEMPLATE_HEADERS = st.one_of(
    st.none(),
    st.dictionaries(NAMES, VALUES, max_size=4),
    st.lists(st.tuples(NAMES, VALUES), max_size=4),
    st.lists(st.tuples(NAMES, VALUES), max_size=4).map(tuple),
    st.lists(
        st.one_of(
            st.tuples(NAMES, VALUES),
            st.tuples(st.builds(Text, NAMES), VALUES),
            st.tuples(NAMES, st.builds(Text, VALUES)),
            st.tuples(NAMES),
            st.tuples(NAMES, VALUES, VALUES),
            st.lists(NAMES, min_size=2, max_size=2),
            st.just("ab"),
        ),
        max_size=4,
    ),
    st.dictionaries(st.builds(Text, NAMES), VALUES, max_size=2),
    st.dictionaries(NAMES, st.builds(Text, VALUES), max_size=2),
    st.sampled_from([{}, [], (), "ab", b"ab", 1, iter([("a", "b")])]),
)


@PROPERTY
@given(
    url=st.one_of(TEXT, st.builds(Text, TEXT), st.sampled_from([None, 1, b"u"])),
    headers=TEMPLATE_HEADERS,
)
def test_template_key(url: object, headers: object) -> None:
    expected = outcome(lambda: typed(_core_py.template_key("t", url, headers)))
    actual = outcome(lambda: typed(_core_c.template_key("t", url, headers)))
    assert actual == expected


def test_template_key_examples() -> None:
    pairs = [("Content-Type", "text/plain"), ("X-A", "1")]
    for twin in (_core_py, _core_c):
        expected = ("t", "https://h/", "Content-Type", "text/plain", "X-A", "1")
        assert twin.template_key("t", "https://h/", dict(pairs)) == expected
        assert twin.template_key("t", "https://h/", pairs) == expected
        assert twin.template_key("t", "https://h/", tuple(pairs)) == expected
        assert twin.template_key("t", "https://h/", None) == ("t", "https://h/")
        assert twin.template_key("t", "https://h/", {"X-A": Text("1")}) is None
        assert twin.template_key("t", Text("https://h/"), None) is None
        assert twin.template_key("t", "https://h/", iter(pairs)) is None
