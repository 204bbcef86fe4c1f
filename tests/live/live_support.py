"""Helpers of the live tests: a plain urllib client, server handles, S3 calls, key corpus.

Every request the live tests send goes through ``send`` (``urllib.request``, no proxy,
no redirects). Signing is always done by fastsigv4; the servers are the verifiers.
"""

from __future__ import annotations

import secrets
import string
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.message import Message
from pathlib import Path
from typing import Final

from fastsigv4 import Credentials, Signer

# The AWS documentation's example key pair: it opens nothing anywhere but on our servers.
EXAMPLE_ACCESS_KEY: Final = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_KEY: Final = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_CREDENTIALS: Final = Credentials(EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY)
REGION: Final = "us-east-1"
JUICEFS_ROLE_ARN: Final = "arn:aws:iam::000000000000:role/live"  # JuiceFS takes any ARN
# What a server answers a request whose signature or signing material is wrong.
REJECTED: Final = frozenset({400, 403})

_SECRETS: set[str] = {EXAMPLE_SECRET_KEY}


def register_secret(value: str) -> str:
    """Remember a secret (or session token) so that ``redact`` hides it in messages."""
    _SECRETS.add(value)
    return value


def redact(text: str) -> str:
    for value in _SECRETS:
        for form in (value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value)):
            text = text.replace(form, "<redacted>")
    return text


def random_credentials(session_token: str | None = None) -> Credentials:
    """An access key no server knows, with a random secret."""
    alphabet = string.ascii_uppercase + string.digits
    access_key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return Credentials(access_key, register_secret(secrets.token_urlsafe(30)), session_token)


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def describe(self) -> str:
        """Status and the start of the body, secrets redacted: for assertion messages."""
        text = self.body[:400].decode("utf-8", "replace")
        return redact(f"HTTP {self.status}: {text}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

HeaderPairs = Sequence[tuple[str, str]] | Mapping[str, str]


def send(
    method: str,
    url: str,
    headers: HeaderPairs = (),
    body: bytes | None = None,
    *,
    timeout: float = 30.0,
) -> Response:
    """Send one request with exactly these headers (Host included when given).

    urllib adds Content-Type ``application/x-www-form-urlencoded`` to a request with a
    body unless one is given (and moto's Flask then swallows the body as a form), so a
    body without a Content-Type goes out as ``application/octet-stream`` (unsigned:
    every server accepts a sent but unsigned Content-Type, as AWS does).
    """
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    request = urllib.request.Request(url, data=body, method=method)
    for name, value in pairs:
        request.add_header(name, value)
    if body is not None and not any(name.lower() == "content-type" for name, _ in pairs):
        request.add_header("Content-Type", "application/octet-stream")
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


Request = tuple[str, str, HeaderPairs, "bytes | None"]


def send_all(requests: Sequence[Request], workers: int = 4) -> list[Response]:
    """``send`` each ``(method, url, headers, body)``, a few at a time; answers in order.

    The servers serve requests concurrently, so this keeps the large round trips short.
    """
    with ThreadPoolExecutor(workers, thread_name_prefix="live-http") as pool:
        return list(pool.map(lambda request: send(*request), requests))


# --------------------------------------------------------------------------- servers


# What each server verifies for S3 requests: PEERS.md's table, confirmed by these tests.
# A check listed here is asserted by the tamper tests; one missing is never asserted.
#   presigned   presigned URLs are verified
#   region      a scope region other than the server's is rejected
#   body        the body is hashed and compared with X-Amz-Content-SHA256
#   skew        a header-signed request dated 20 minutes ago is rejected
#   expiry      an expired presigned URL is rejected
#   service     a scope service other than s3 is rejected
#   scope-date  the date in the Authorization header's credential scope is signed
#   session     session tokens are verified
CHECKS: Final[Mapping[str, frozenset[str]]] = {
    # JuiceFS gateway (MinIO's code): all of them; region only because MINIO_REGION is set.
    "juicefs": frozenset(
        {"presigned", "region", "body", "skew", "expiry", "service", "scope-date", "session"}
    ),
    # nanio: region in scope ✘, body vs x-amz-content-sha256 ✘, session token ignored
    # (PEERS.md); it derives the signing key from whatever service the scope names.
    "nanio": frozenset({"presigned", "skew", "expiry", "scope-date"}),
    # moto: 500 on every presigned URL, region ✘, S3 body ✘, clock skew / expiry ✘
    # (PEERS.md). It re-signs with botocore, which takes the scope date from X-Amz-Date and
    # never reads the one in the Authorization header (observed), and it routes a request
    # by the service it was signed for.
    "moto": frozenset({"session"}),
}


@dataclass(frozen=True)
class LiveServer:
    """A running verifier on 127.0.0.1 and the checks it makes (``CHECKS``)."""

    name: str
    endpoint: str
    credentials: Credentials
    stderr_log: Path

    @property
    def host(self) -> str:
        return self.endpoint.partition("://")[2]


@dataclass(frozen=True)
class MotoServer:
    """moto's server, its IAM user (``server.credentials``) and a role it may assume."""

    server: LiveServer
    user_arn: str
    role_arn: str


def s3_signer(
    server: LiveServer,
    credentials: Credentials | None = None,
    *,
    region: str = REGION,
    service: str = "s3",
) -> Signer:
    return Signer(credentials or server.credentials, region, service)


def encode_key(key: str) -> str:
    """The URL path of a raw key, by the stdlib (independent of fastsigv4's encoder)."""
    return urllib.parse.quote(key, safe="/")


def q(value: str) -> str:
    """A query value as SigV4 encodes it (nanio signs the query exactly as sent)."""
    return urllib.parse.quote(value, safe="")


def object_url(server: LiveServer, bucket: str, key: str, query: str = "") -> str:
    url = f"{server.endpoint}/{bucket}/{encode_key(key)}"
    return url + "?" + query if query else url


def signed_send(
    signer: Signer,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """Header-sign (body hashed; empty when None) and send."""
    request = signer.sign(method, url, headers=headers, body=body or b"")
    return send(method, request.url, request.headers, body)


def unique_name(tag: str, twin: str) -> str:
    """A fresh bucket (or queue, log group) name: lowercase, DNS-compatible."""
    return f"{tag}-{twin}-{secrets.token_hex(4)}".lower()


def create_bucket(server: LiveServer, bucket: str, signer: Signer | None = None) -> None:
    answer = signed_send(
        signer or s3_signer(server), "PUT", f"{server.endpoint}/{bucket}", body=b""
    )
    assert answer.status == 200, f"{server.name}: create bucket {bucket}: {answer.describe()}"


def head_status(server: LiveServer, bucket: str, key: str, signer: Signer | None = None) -> int:
    """HEAD status of an object, with a correctly signed request (200 or 404)."""
    answer = signed_send(signer or s3_signer(server), "HEAD", object_url(server, bucket, key))
    assert answer.status in (200, 404), f"{server.name}: HEAD {key!r}: {answer.describe()}"
    return answer.status


def xml_texts(document: bytes, tag: str) -> list[str]:
    """The text of every element named ``tag`` (any namespace), in document order."""
    root = ElementTree.fromstring(document)
    return [
        element.text or ""
        for element in root.iter()
        if element.tag == tag or element.tag.endswith("}" + tag)
    ]


@dataclass(frozen=True)
class Listing:
    keys: list[str]
    common_prefixes: list[str]
    pages: int


def list_objects(
    server: LiveServer,
    bucket: str,
    signer: Signer,
    *,
    prefix: str = "",
    delimiter: str = "",
    start_after: str = "",
    page_size: int = 1000,
) -> Listing:
    """ListObjectsV2, following continuation tokens, keys decoded from encoding-type=url."""
    keys: list[str] = []
    prefixes: list[str] = []
    token = ""
    pages = 0
    while True:
        parameters = [("list-type", "2"), ("max-keys", str(page_size)), ("encoding-type", "url")]
        for name, value in (
            ("prefix", prefix),
            ("delimiter", delimiter),
            ("start-after", start_after),
            ("continuation-token", token),
        ):
            if value:
                parameters.append((name, value))
        query = "&".join(f"{name}={q(value)}" for name, value in parameters)
        answer = signed_send(signer, "GET", f"{server.endpoint}/{bucket}?{query}")
        assert answer.status == 200, f"{server.name}: ListObjectsV2: {answer.describe()}"
        pages += 1
        root_contents = ElementTree.fromstring(answer.body)
        for element in root_contents:
            local = element.tag.rpartition("}")[2]
            if local == "Contents":
                keys.extend(_decoded(child.text or "") for child in element if _is(child, "Key"))
            elif local == "CommonPrefixes":
                prefixes.extend(
                    _decoded(child.text or "") for child in element if _is(child, "Prefix")
                )
        truncated = xml_texts(answer.body, "IsTruncated")
        next_tokens = xml_texts(answer.body, "NextContinuationToken")
        if truncated != ["true"]:
            return Listing(keys, prefixes, pages)
        assert next_tokens, f"{server.name}: truncated list without a continuation token"
        token = next_tokens[0]
        assert token, f"{server.name}: empty continuation token"
        assert pages < 1000, f"{server.name}: ListObjectsV2 does not end"


def _is(element: ElementTree.Element, tag: str) -> bool:
    return element.tag == tag or element.tag.endswith("}" + tag)


def _decoded(text: str) -> str:
    # encoding-type=url: every server encodes '+' as %2B, so a '+' is an encoded space.
    return urllib.parse.unquote_plus(text)


FORM: Final = "application/x-www-form-urlencoded; charset=utf-8"


def query_call(
    endpoint: str, signer: Signer, parameters: Mapping[str, str], path: str = "/"
) -> Response:
    """A query-protocol call (IAM, STS, SQS): form body POSTed, header-signed."""
    body = urllib.parse.urlencode(parameters).encode()
    signed = signer.sign("POST", endpoint + path, headers={"Content-Type": FORM}, body=body)
    return send("POST", signed.url, signed.headers, body)


def session_credentials_from(document: bytes) -> Credentials:
    """The Credentials of an AssumeRole answer; its secret and token are registered."""
    access_key = xml_texts(document, "AccessKeyId")
    secret = xml_texts(document, "SecretAccessKey")
    token = xml_texts(document, "SessionToken")
    assert len(access_key) == len(secret) == len(token) == 1, "no credentials in AssumeRole"
    return Credentials(access_key[0], register_secret(secret[0]), register_secret(token[0]))


def assume_role(endpoint: str, credentials: Credentials, role_arn: str) -> Credentials:
    """sts:AssumeRole signed by fastsigv4 (service sts): temporary credentials."""
    parameters = {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": "fastsigv4-live",
        "DurationSeconds": "3600",
    }
    answer = query_call(endpoint, Signer(credentials, REGION, "sts"), parameters)
    assert answer.status == 200, f"AssumeRole: {answer.describe()}"
    return session_credentials_from(answer.body)


# --------------------------------------------------------------------------- tampering


@dataclass(frozen=True)
class Wire:
    """A request as it goes on the wire."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str:
        return header_value(self.headers, name)

    def with_header(self, name: str, value: str) -> Wire:
        return replace(self, headers=tuple(replace_header(self.headers, name, value)))

    def without_header(self, name: str) -> Wire:
        kept = tuple(pair for pair in self.headers if pair[0].lower() != name.lower())
        assert len(kept) == len(self.headers) - 1, f"expected one {name} header"
        return replace(self, headers=kept)

    def with_url(self, url: str) -> Wire:
        return replace(self, url=url)

    def with_query(self, name: str, change: Callable[[str], str]) -> Wire:
        return replace(
            self, url=with_query_value(self.url, name, change(query_value(self.url, name)))
        )

    def with_authorization(self, old: str, new: str) -> Wire:
        authorization = self.header("Authorization")
        assert authorization.count(old) == 1, f"{old!r} not once in Authorization"
        return self.with_header("Authorization", authorization.replace(old, new))

    def send(self) -> Response:
        body = self.body if self.body or self.method in ("PUT", "POST") else None
        return send(self.method, self.url, self.headers, body)


def signed_wire(
    signer: Signer,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> Wire:
    """A header-signed request, ready to tamper with or send."""
    signed = signer.sign(method, url, headers=headers, body=body)
    return Wire(method, signed.url, signed.headers, body)


def replace_header(
    headers: Iterable[tuple[str, str]], name: str, value: str
) -> list[tuple[str, str]]:
    pairs = list(headers)
    hits = [index for index, (header, _) in enumerate(pairs) if header.lower() == name.lower()]
    assert len(hits) == 1, f"expected one {name} header"
    pairs[hits[0]] = (pairs[hits[0]][0], value)
    return pairs


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str:
    values = [value for header, value in headers if header.lower() == name.lower()]
    assert len(values) == 1, f"expected one {name} header"
    return values[0]


def flip_char(text: str, index: int = -1) -> str:
    """``text`` with the character at ``index`` changed to a different one of its class."""
    char = text[index]
    if char.isdigit() or char in "abcdef":
        new = "0" if char != "0" else "1"
    elif char.isalpha():
        new = "a" if char != "a" else "b"
    else:
        new = "x"
    position = index % len(text)
    return text[:position] + new + text[position + 1 :]


def shift_amz_date(amz_date: str, seconds: int) -> str:
    moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return (moment + timedelta(seconds=seconds)).strftime("%Y%m%dT%H%M%SZ")


def split_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL without its query, and the raw (still encoded) query pairs in order."""
    base, _, query = url.partition("?")
    pairs = [tuple(token.split("=", 1)) for token in query.split("&") if token]
    return base, [(pair[0], pair[1] if len(pair) > 1 else "") for pair in pairs]


def join_query(base: str, pairs: Sequence[tuple[str, str]]) -> str:
    return base + "?" + "&".join(f"{name}={value}" for name, value in pairs) if pairs else base


def with_query_value(url: str, name: str, value: str) -> str:
    base, pairs = split_query(url)
    hits = [index for index, (key, _) in enumerate(pairs) if key == name]
    assert len(hits) == 1, f"expected one {name} query parameter"
    pairs[hits[0]] = (name, value)
    return join_query(base, pairs)


def query_value(url: str, name: str) -> str:
    values = [value for key, value in split_query(url)[1] if key == name]
    assert len(values) == 1, f"expected one {name} query parameter"
    return values[0]


# --------------------------------------------------------------------------- keys

# Characters the servers accept inside keys and that SigV4 must encode (or keep).
PUNCTUATION: Final = " +=&$@,;:'()*!~"
MORE_ASCII: Final = '"<>\\#?[]{}|^`'


def adversarial_keys() -> dict[str, list[str]]:
    """Object keys every server here (JuiceFS, nanio) stores and returns unchanged.

    Not here: ``.``/``..`` segments, ``//``, a leading ``/`` and a trailing ``/``, which
    these servers reject although AWS accepts them (PEERS.md); they are covered by the
    vectors and botocore tests. See ``juicefs_only_keys`` for what nanio cannot store.
    """
    classes: dict[str, list[str]] = {
        "punctuation": [],
        "ascii-specials": [],
        "spaces": [
            "a b",
            " leading-space",
            "trailing-space ",
            "two  spaces",
            "   ",
            "sp/ / /x",
            "plus+space/a+b",
            "plus+space/a b",  # '+' and ' ' must stay distinct keys
        ],
        "percent": [
            "100%",
            "%",
            "a%",
            "%%",
            "%%%",
            "%zz",
            "%g0",
            "%2",
            "%Z1",
            "50% off/sale%",
            "pct/%x%y",
        ],
        "non-ascii": [
            "ü",
            "café/crème brûlée",
            "日本語/ファイル名.txt",
            "中文 空格",
            "한국어",
            "привет мир",
            "αβγ/δ",
            "مرحبا",
            "שלום",
            "नमस्ते",
            "ภาษาไทย",
            "ß/straße",
            "ñandú",
            "e\u0301-combining",
            "\u00e9-precomposed",
            "nbsp\u00a0x",
            "zwsp\u200bx",
            "bom\ufeffx",
            "rtl\u200fmark",
            "ls\u2028sep",
            "replacement\ufffd",
            "private\U0010fffd",
            "fullwidth\uff0fslash",
            "€£¥©®°µ¶",
            "\u00ff\u0100\u07ff\u0800\uffff",
        ],
        "emoji": [
            "😀",
            "🚀/🌍",
            "family👨\u200d👩\u200d👧\u200d👦",
            "flag🏳\ufe0f\u200d🌈",
            "keycap1\ufe0f\u20e3",
            "thumb👍🏽",
            "🇩🇪🇯🇵",
            "🙂 face+plus=eq.txt",
        ],
        "long": [
            "L" * 200,
            "/".join(["s" * 200] * 5 + ["t" * 19]),  # 1024 bytes, the S3 maximum
            "deep/" * 100 + "leaf",
            "é" * 100,  # 200 bytes of 2-byte characters
            "🚀" * 50,  # 200 bytes of 4-byte characters
            ("x" * 150 + "/") * 6 + "end",
            (PUNCTUATION * 10)[:200].replace(" ", "_") + "/p",
        ],
        "nested": [
            "a/b/c/d/e/f.txt",
            "nested/x y/+/=/&/$/@/,/;/:/'/(/)/*/!/~/end",
            "n/...",
            "n/..a",
            "n/a..",
            "n/.hidden",
            "n/a.b.c",
            "n/-/_/~",
            "n/é/😀/ü",
        ],
    }
    for char in PUNCTUATION:
        classes["punctuation"] += [
            f"p/a{char}b",
            f"{char}lead-{ord(char)}",
            f"trail-{ord(char)}{char}",
        ]
        classes["punctuation"] += [f"pp/{char}{char}", f"mix/{char}é{char}😀"]
    for char in MORE_ASCII:
        classes["ascii-specials"] += [f"s/a{char}b", f"{char}x-{ord(char)}"]
    classes["ascii-specials"] += [
        "q?x=1&y=2",
        "a=b&c=d",
        "#frag",
        "semi;colon=1",
        "all" + MORE_ASCII,
    ]
    punctuation, specials = PUNCTUATION, MORE_ASCII
    classes["combined"] = [
        f"c/{i:03d}/{punctuation[i % 15]}ü{specials[i % 13]}%{i % 10}😀{punctuation[i * 7 % 15]}"
        for i in range(40)
    ]
    _check_corpus([key for keys in classes.values() for key in keys])
    return classes


def juicefs_only_keys() -> list[str]:
    """Keys JuiceFS stores but nanio 0.1.7 cannot (found by probing both servers).

    nanio decodes the (already decoded) ASGI path a second time before signing, so a key
    holding a complete ``%XX`` escape such as ``%41`` fails its signature check; it also
    refuses control characters and path segments near 255 bytes (filesystem names).
    """
    keys = [
        "%20",
        "%41",
        "%2F",
        "%25",
        "a%2Bb",
        "%E2%82%AC",
        "a%20b",  # distinct from "a b" in the common corpus
        "tab\tx",
        "lf\nx",
        "cr\rx",
        "ctl\x01\x1fx",
        "del\x7fx",
        "L" * 1000,  # one 1000-byte segment
        "S" * 1024,  # one 1024-byte segment
    ]
    _check_corpus(keys)
    return keys


def _check_corpus(keys: list[str]) -> None:
    """Keys of one bucket on a filesystem-backed server: no key may be another's folder."""
    assert len(set(keys)) == len(keys), "duplicate keys in the corpus"
    folders = {key[: index + 1] for key in keys for index, char in enumerate(key) if char == "/"}
    clashes = [key for key in keys if key + "/" in folders]
    assert not clashes, f"keys that are also folders of other keys: {clashes}"
    for key in keys:
        assert len(key.encode("utf-8")) <= 1024, f"key longer than 1024 bytes: {key[:20]!r}"
        assert "//" not in key, key
        assert not key.startswith("/"), key
        assert not key.endswith("/"), key
        assert not {".", ".."} & set(key.split("/")), key
