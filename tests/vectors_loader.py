"""Load the SigV4/SigV4a conformance vectors in ``tests/vectors/``.

Dependency-free (standard library only). Every file is read as bytes and
decoded as UTF-8; trailing newlines are significant and are never stripped
from canonical requests, strings to sign or signatures. See
``tests/vectors/README.md`` for provenance and format notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

__all__ = [
    "BOTOCORE_ACCESS_KEY",
    "BOTOCORE_REGION",
    "BOTOCORE_RUNNER_SKIPS",
    "BOTOCORE_SECRET",
    "BOTOCORE_SERVICE",
    "BOTOCORE_SREQ_KNOWN_BAD",
    "BOTOCORE_TIMESTAMP",
    "S3_QUERY_SIGNERS",
    "VECTORS_DIR",
    "AwsCAuthCase",
    "AwsCAuthInputs",
    "AwsCAuthV4aCase",
    "BotocoreCase",
    "ConformanceVectors",
    "Expected",
    "HttpRequest",
    "botocore_session_token",
    "is_sreq_known_bad",
    "load_aws_c_auth_v4",
    "load_aws_c_auth_v4a",
    "load_aws_c_auth_v4a_inputs_only",
    "load_botocore_suite",
    "load_conformance_vectors",
    "load_json",
    "parse_http_request",
    "request_host",
    "request_url",
    "s3_doc_example_url",
    "s3_doc_header_examples",
    "s3_doc_presign_examples",
    "session_token_from_creq",
]

VECTORS_DIR: Path = Path(__file__).resolve().parent / "vectors"

_AWS_C_AUTH_DIR = VECTORS_DIR / "aws-c-auth"
_BOTOCORE_DIR = VECTORS_DIR / "botocore-aws4_testsuite"
_JSON_FILES = frozenset(
    {
        "s3-doc-examples.json",
        "botocore-s3-cases.json",
        "aws-c-auth-extra-vectors.json",
    }
)

# Fixed inputs of the botocore legacy suite (not stored in its files).
BOTOCORE_ACCESS_KEY = "AKIDEXAMPLE"
BOTOCORE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BOTOCORE_REGION = "us-east-1"
BOTOCORE_SERVICE = "service"
BOTOCORE_TIMESTAMP = "20150830T123600Z"

# Cases botocore's own test runner skips.
BOTOCORE_RUNNER_SKIPS: frozenset[str] = frozenset(
    {
        "normalize-path/get-space",
        "get-vanilla-query-order-key-case",
        "get-vanilla-query-order-key",
        "get-vanilla-query-order-value",
    }
)

# Upstream defect: this case's .sreq carries the signature of plain
# ``get-vanilla``; its .authz is correct. Do not compare its signed request.
BOTOCORE_SREQ_KNOWN_BAD: frozenset[str] = frozenset({"get-vanilla-with-session-token"})

_HTTP_VERSION_SUFFIX = " HTTP/1.1"


@dataclass(frozen=True)
class HttpRequest:
    """A raw HTTP/1.1 request exactly as written in a vector file."""

    method: str
    target: str
    """Request target as written, e.g. ``"/example space/"`` or ``"/?a=b"``."""
    headers: tuple[tuple[str, str], ...]
    """``(name, value)`` in file order; name as written, value untrimmed
    (everything after the first colon). A continuation line (leading space or
    tab) is appended to the previous value as a newline plus the raw line."""
    body: bytes


@dataclass(frozen=True)
class Expected:
    """Expected results for one signing variant (header or query).

    For SigV4a, ``signature`` (and the one inside ``signed_request``) is a
    randomized ECDSA sample: verify it, never compare it for equality.
    """

    canonical_request: str
    string_to_sign: str
    signature: str
    signed_request: HttpRequest


@dataclass(frozen=True)
class AwsCAuthInputs:
    """Signing inputs of one aws-c-auth suite folder (context.json + request.txt)."""

    name: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    region: str
    """SigV4: region. SigV4a: region set (``X-Amz-Region-Set``)."""
    service: str
    timestamp: str
    """``YYYYMMDDTHHMMSSZ`` (converted from context.json's ISO 8601)."""
    normalize: bool
    sign_body: bool
    expires: int
    omit_session_token: bool
    request: HttpRequest


@dataclass(frozen=True)
class AwsCAuthCase(AwsCAuthInputs):
    """A complete aws-c-auth SigV4 case."""

    header: Expected
    query: Expected


@dataclass(frozen=True)
class AwsCAuthV4aCase(AwsCAuthInputs):
    """A complete aws-c-auth SigV4a case (signatures are random samples)."""

    header: Expected
    query: Expected
    public_key_x: str
    """Hex X coordinate of the P-256 public key (public-key.json)."""
    public_key_y: str
    """Hex Y coordinate of the P-256 public key (public-key.json)."""


@dataclass(frozen=True)
class BotocoreCase:
    """A case of botocore's legacy ``aws4_testsuite``."""

    name: str
    """Path relative to the suite root, e.g. ``"normalize-path/get-slash"``."""
    request: HttpRequest
    """Parsed .req; it already contains ``X-Amz-Date``."""
    canonical_request: str
    string_to_sign: str
    authorization: str
    signed_request: HttpRequest | None


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def parse_http_request(raw: bytes) -> HttpRequest:
    """Parse a request file: request line, headers, empty line, body.

    Headers end at the first empty line and everything after it is the body.
    Without an empty line the body is empty (a single final newline just ends
    the last header line).
    """
    sep = raw.find(b"\n\n")
    if sep >= 0:
        head, body = raw[:sep], raw[sep + 2 :]
    else:
        head, body = (raw[:-1] if raw.endswith(b"\n") else raw), b""
    if raw.startswith(b"\n") or not head:
        msg = "missing request line"
        raise ValueError(msg)
    lines = head.decode("utf-8").split("\n")

    request_line = lines[0]
    if not request_line.endswith(_HTTP_VERSION_SUFFIX):
        msg = f"request line does not end with {_HTTP_VERSION_SUFFIX!r}: {request_line!r}"
        raise ValueError(msg)
    method, space, target = request_line[: -len(_HTTP_VERSION_SUFFIX)].partition(" ")
    if not method or not space:
        msg = f"malformed request line: {request_line!r}"
        raise ValueError(msg)

    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line.startswith((" ", "\t")):
            if not headers:
                msg = f"continuation line before any header: {line!r}"
                raise ValueError(msg)
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, colon, value = line.partition(":")
        if not colon or not name:
            msg = f"malformed header line: {line!r}"
            raise ValueError(msg)
        headers.append((name, value))

    return HttpRequest(method=method, target=target, headers=tuple(headers), body=body)


def _iso_to_amz_date(value: str) -> str:
    parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    if not value.endswith("Z") or parsed.utcoffset() != timedelta(0):
        msg = f"expected a UTC timestamp ending in 'Z': {value!r}"
        raise ValueError(msg)
    return parsed.strftime("%Y%m%dT%H%M%SZ")


def _load_inputs(case_dir: Path) -> AwsCAuthInputs:
    ctx = json.loads(_read_text(case_dir / "context.json"))
    creds = ctx["credentials"]
    token = creds.get("token")
    return AwsCAuthInputs(
        name=case_dir.name,
        access_key_id=str(creds["access_key_id"]),
        secret_access_key=str(creds["secret_access_key"]),
        session_token=None if token is None else str(token),
        region=str(ctx["region"]),
        service=str(ctx["service"]),
        timestamp=_iso_to_amz_date(str(ctx["timestamp"])),
        normalize=bool(ctx["normalize"]),
        sign_body=bool(ctx["sign_body"]),
        expires=int(ctx["expiration_in_seconds"]),
        omit_session_token=bool(ctx.get("omit_session_token", False)),
        request=parse_http_request((case_dir / "request.txt").read_bytes()),
    )


def _load_expected(case_dir: Path, variant: str) -> Expected:
    return Expected(
        canonical_request=_read_text(case_dir / f"{variant}-canonical-request.txt"),
        string_to_sign=_read_text(case_dir / f"{variant}-string-to-sign.txt"),
        signature=_read_text(case_dir / f"{variant}-signature.txt"),
        signed_request=parse_http_request(
            (case_dir / f"{variant}-signed-request.txt").read_bytes()
        ),
    )


def _case_dirs(root: Path) -> list[Path]:
    return sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)


def _is_complete(case_dir: Path) -> bool:
    return (case_dir / "header-canonical-request.txt").is_file()


def _check_count(what: str, actual: int, expected: int) -> None:
    if actual != expected:
        msg = f"expected {expected} {what}, found {actual}"
        raise AssertionError(msg)


def load_aws_c_auth_v4() -> list[AwsCAuthCase]:
    """Load the 38 aws-c-auth SigV4 cases, sorted by name."""
    cases: list[AwsCAuthCase] = []
    for case_dir in _case_dirs(_AWS_C_AUTH_DIR / "v4"):
        inputs = _load_inputs(case_dir)
        cases.append(
            AwsCAuthCase(
                **vars(inputs),
                header=_load_expected(case_dir, "header"),
                query=_load_expected(case_dir, "query"),
            )
        )
    _check_count("aws-c-auth v4 cases", len(cases), 38)
    return cases


def load_aws_c_auth_v4a() -> list[AwsCAuthV4aCase]:
    """Load the 38 complete aws-c-auth SigV4a cases, sorted by name."""
    cases: list[AwsCAuthV4aCase] = []
    for case_dir in _case_dirs(_AWS_C_AUTH_DIR / "v4a"):
        if not _is_complete(case_dir):
            continue
        inputs = _load_inputs(case_dir)
        key = json.loads(_read_text(case_dir / "public-key.json"))
        cases.append(
            AwsCAuthV4aCase(
                **vars(inputs),
                header=_load_expected(case_dir, "header"),
                query=_load_expected(case_dir, "query"),
                public_key_x=str(key["X"]),
                public_key_y=str(key["Y"]),
            )
        )
    _check_count("complete aws-c-auth v4a cases", len(cases), 38)
    return cases


def load_aws_c_auth_v4a_inputs_only() -> list[AwsCAuthInputs]:
    """Load the 2 SigV4a folders holding only context.json and request.txt.

    aws-c-auth does not run these (repeated query keys).
    """
    inputs = [_load_inputs(d) for d in _case_dirs(_AWS_C_AUTH_DIR / "v4a") if not _is_complete(d)]
    _check_count("inputs-only aws-c-auth v4a folders", len(inputs), 2)
    return inputs


def load_botocore_suite() -> list[BotocoreCase]:
    """Load the 34 cases of botocore's legacy suite, sorted by name."""
    cases: list[BotocoreCase] = []
    for case_dir in sorted({p.parent for p in _BOTOCORE_DIR.rglob("*.req")}):
        leaf = case_dir.name

        def path(ext: str, case_dir: Path = case_dir, leaf: str = leaf) -> Path:
            return case_dir / f"{leaf}.{ext}"

        sreq = path("sreq")
        cases.append(
            BotocoreCase(
                name=case_dir.relative_to(_BOTOCORE_DIR).as_posix(),
                request=parse_http_request(path("req").read_bytes()),
                canonical_request=_read_text(path("creq")),
                string_to_sign=_read_text(path("sts")),
                authorization=_read_text(path("authz")),
                signed_request=parse_http_request(sreq.read_bytes()) if sreq.is_file() else None,
            )
        )
    cases.sort(key=lambda c: c.name)
    _check_count("botocore suite cases", len(cases), 34)
    return cases


def session_token_from_creq(creq: str) -> str | None:
    """Return the ``x-amz-security-token`` header value of a canonical request.

    ``None`` when the canonical request has no such header.

    This is how botocore's runner picks the session token for a suite case.
    """
    lines = creq.split("\n")
    for line in lines[3:]:
        if line == "":
            break
        if line.startswith("x-amz-security-token:"):
            return line[len("x-amz-security-token:") :]
    return None


def load_json(name: str) -> Any:
    """Load one of the JSON vector files by file name (``.json`` optional)."""
    file_name = name if name.endswith(".json") else f"{name}.json"
    if file_name not in _JSON_FILES:
        msg = f"unknown vector file {name!r}; expected one of {sorted(_JSON_FILES)}"
        raise ValueError(msg)
    return json.loads(_read_text(VECTORS_DIR / file_name))


# --- helpers shared by the test modules that drive these vectors ---------------------

# The botocore signers of botocore-s3-cases.json that sign with S3's settings.
S3_QUERY_SIGNERS: frozenset[str] = frozenset(
    {"botocore.auth.S3SigV4QueryAuth", "client.generate_presigned_url (s3v4)"}
)


class ConformanceVectors(NamedTuple):
    """The SigV4 vector sets the conformance and verifier tests both run."""

    aws_c_auth: list[AwsCAuthCase]
    botocore: list[BotocoreCase]
    s3_doc: Any
    botocore_s3: Any


def load_conformance_vectors() -> ConformanceVectors:
    """Load the aws-c-auth v4 suite, botocore's suite and the two S3 JSON files."""
    return ConformanceVectors(
        aws_c_auth=load_aws_c_auth_v4(),
        botocore=load_botocore_suite(),
        s3_doc=load_json("s3-doc-examples.json"),
        botocore_s3=load_json("botocore-s3-cases.json"),
    )


def request_host(request: HttpRequest) -> str:
    """The raw value of a vector request's Host header."""
    return next(value for name, value in request.headers if name.lower() == "host")


def request_url(request: HttpRequest) -> str:
    """The https URL of a vector request (its Host header and request target)."""
    return "https://" + request_host(request).strip() + request.target


def s3_doc_example_url(example: dict[str, Any], *, include_query: bool = True) -> str:
    """The URL of an s3-doc-examples.json example, its query percent-encoded."""
    query = ""
    if include_query:
        query = "&".join(
            quote(key, safe="-_.~") + ("=" + quote(value, safe="-_.~") if value else "")
            for key, value in example["query"]
        )
    host: str = dict(example["signed_headers_values"])["host"]
    path: str = example["path"]
    return "https://" + host + path + ("?" + query if query else "")


def s3_doc_header_examples(s3_doc: Any) -> list[dict[str, Any]]:
    """The s3-doc-examples.json examples signed in the Authorization header."""
    return [example for example in s3_doc["examples"] if "expires_in_seconds" not in example]


def s3_doc_presign_examples(s3_doc: Any) -> list[dict[str, Any]]:
    """The s3-doc-examples.json examples signed in the query (presigned URLs)."""
    return [example for example in s3_doc["examples"] if "expires_in_seconds" in example]


def is_sreq_known_bad(case: BotocoreCase) -> bool:
    """Whether the case's .sreq is one of the upstream defects (BOTOCORE_SREQ_KNOWN_BAD)."""
    return case.name.rsplit("/", 1)[-1] in BOTOCORE_SREQ_KNOWN_BAD


def botocore_session_token(
    case: BotocoreCase,
) -> tuple[str | None, Literal["include", "append_after_signing"]]:
    """The session token botocore's runner uses for a case, and how it is sent.

    The token comes from the canonical request (signed); failing that, from the
    signed request's headers (post-sts-header-after: added after signing).
    """
    token = session_token_from_creq(case.canonical_request)
    if token is not None or case.signed_request is None:
        return token, "include"
    sent = next(
        (
            value
            for name, value in case.signed_request.headers
            if name.lower() == "x-amz-security-token"
        ),
        None,
    )
    return sent, "include" if sent is None else "append_after_signing"
