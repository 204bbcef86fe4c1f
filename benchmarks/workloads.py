"""Shared benchmark workloads, participants and signature checks.

Used by ``compare.py`` (the one-process ratio table), ``callgrind.py`` (instruction
counts) and the pytest-benchmark suites ``test_bench_*.py``.

Workloads (all signed with the AWS documentation's example credentials, region
us-east-1, at the frozen time 2024-01-01T00:00:00Z):

- **W1**: one presigned S3 GET (``expires=3600``) per call, the key varies per call.
- **W1-batch**: presigned GETs for 100,000 keys: ``S3Presigner.presign_many`` for
  fastsigv4; the peers have no batch API, so a loop of their single-URL call.
- **W2**: header-signed ``POST`` of a 1 KiB JSON body to CloudWatch Logs with the
  ``PutLogEvents`` headers (Content-Type, X-Amz-Target).
- **W4**: W1-batch on two threads against the same work on one thread.

Every participant is a *peer* (another library, used as its documentation says) or
one of *ours* (a fastsigv4 twin). Before anything is timed its output is compared
with the pure-Python twin's for the same inputs: the same X-Amz-Signature (and the
same URL up to query-parameter order) for W1, the same Authorization header for W2.
Peers that are not installed, or cannot run here, are skipped with a reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, TypeVar

import fastsigv4
from fastsigv4 import Credentials, S3Presigner, Signer, _core, _core_py

# ---------------------------------------------------------------------------
# Fixed inputs

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # the AWS documentation's example pair:
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # it opens nothing
CREDENTIALS = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
REGION = "us-east-1"
BUCKET = "examplebucket"
S3_HOST = f"{BUCKET}.s3.{REGION}.amazonaws.com"  # virtual-hosted, regional endpoint
EXPIRES = 3600
SIGNING_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
AMZ_DATE = SIGNING_TIME.strftime("%Y%m%dT%H%M%SZ")

N_KEYS = 100_000
KEYS = [f"photos/2024/{index % 12:02d}/img_{index:06d}.jpg" for index in range(N_KEYS)]
# Keys that need care: encoded once ('%' -> %25, '+' -> %2B), never normalized,
# non-ASCII, longer than the compiled twin's 512-byte stack buffer.
SPECIAL_KEYS = [
    "a b+c",
    "dir//x/./y/../z",
    "ünï/çødé",
    "~t!$&'()*,;=:@",
    "100%",
    "%41",
    "q?x=1&y#h",
    "emoji/😀.png",
    "trailing/",
    "/leading",
    "ü" * 300,
]
CHECK_KEYS = KEYS[:200] + KEYS[-50:] + SPECIAL_KEYS

LOGS_SERVICE = "logs"
LOGS_HOST = f"logs.{REGION}.amazonaws.com"
LOGS_URL = f"https://{LOGS_HOST}/"
LOG_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Logs_20140328.PutLogEvents",
}


def _log_events_body(size: int = 1024) -> bytes:
    """A valid PutLogEvents JSON document of exactly ``size`` bytes."""
    events: list[dict[str, Any]] = [
        {"timestamp": 1704067200000 + index, "message": f"GET /api/items/{index} 200 12ms"}
        for index in range(8)
    ]
    document: dict[str, Any] = {
        "logGroupName": "app",
        "logStreamName": "web-1",
        "logEvents": events,
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    events[-1]["message"] += "x" * (size - len(body))
    body = json.dumps(document, separators=(",", ":")).encode()
    assert len(body) == size, len(body)
    return body


LOG_BODY = _log_events_body()

Group = Literal["ours", "peer"]
ContextFactory = Callable[[], AbstractContextManager[object]]


class Unavailable(Exception):
    """A participant that cannot run here; the message says why."""


def _twins() -> list[tuple[str, ModuleType]]:
    twins = []
    compiled = _core.compiled_twin()
    if compiled is not None:
        twins.append(("fastsigv4 c", compiled))
    twins.append(("fastsigv4 python", _core_py))
    return twins


def _twin_context(twin: ModuleType) -> ContextFactory:
    return lambda: _core.using(twin)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _import(name: str, distribution: str) -> Any:
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as exc:
        if sys.version_info < (3, 12) and distribution == "aws-sdk-signers":
            raise Unavailable(
                f"{distribution} requires Python >= 3.12 (this is "
                f"{platform.python_version()}); run compare.py on 3.12+ to include it"
            ) from None
        raise Unavailable(
            f"{distribution} is not installed ({exc}); pip install -e '.[bench]'"
        ) from None


# ---------------------------------------------------------------------------
# Frozen clocks and the no-network guard


@contextmanager
def frozen_botocore_clock() -> Iterator[None]:
    """Make botocore (its Python and CRT signers) sign at SIGNING_TIME.

    Both ``botocore.auth`` and ``botocore.crt.auth`` call the module-level name
    ``get_current_datetime`` (from botocore.compat) on every signature.
    """
    botocore_auth = _import("botocore.auth", "botocore")
    modules = [botocore_auth]
    with suppress(ImportError):
        modules.append(__import__("botocore.crt.auth", fromlist=["_"]))
    naive = SIGNING_TIME.replace(tzinfo=None)

    def frozen(remove_tzinfo: bool = True) -> dt.datetime:
        return naive if remove_tzinfo else SIGNING_TIME

    saved = [module.get_current_datetime for module in modules]
    for module in modules:
        module.get_current_datetime = frozen
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.get_current_datetime = original


class NetworkUsed(AssertionError):
    pass


@contextmanager
def no_network() -> Iterator[list[str]]:
    """Fail any attempt to resolve a name or open a connection; yields the attempts.

    Every participant must sign offline; minio in particular must not look the
    bucket's region up (it does not when the client is given ``region``).
    """
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args[:2]!r}")
            raise NetworkUsed(f"benchmark participant tried network I/O: {what}{args[:2]!r}")

        return refused

    saved = (socket.getaddrinfo, socket.create_connection, socket.socket.connect)
    socket.getaddrinfo = refuse("getaddrinfo")
    socket.create_connection = refuse("create_connection")
    socket.socket.connect = refuse("socket.connect")  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        socket.getaddrinfo, socket.create_connection = saved[0], saved[1]
        socket.socket.connect = saved[2]  # type: ignore[method-assign]


def guard_self_test() -> str:
    """Show that no_network() catches a real lookup: minio without ``region=``."""
    try:
        minio = _import("minio", "minio")
    except Unavailable as exc:
        return f"not run ({exc})"
    client = minio.Minio("s3.amazonaws.com", ACCESS_KEY_ID, SECRET_ACCESS_KEY)  # no region
    with no_network() as attempts, suppress(NetworkUsed):
        client.presigned_get_object(
            BUCKET, "k", expires=dt.timedelta(seconds=EXPIRES), request_date=SIGNING_TIME
        )
    if not attempts:
        return "FAILED: minio without region= made no attempt the guard saw"
    return f"minio without region= tries {attempts[0]}: refused, so the guard works"


# ---------------------------------------------------------------------------
# S3 presign participants (W1, W1-batch, W4)

PresignOne = Callable[[str], str]
PresignMany = Callable[[Sequence[str]], list[str]]
PresignParallel = Callable[[Sequence[str], int], list[str]]


@dataclass(frozen=True)
class S3Participant:
    name: str
    group: Group
    presign: PresignOne
    presign_many: PresignMany
    context: ContextFactory = nullcontext
    # Set for ours when S3Presigner.presign_parallel exists (GIL-free workers).
    presign_parallel: PresignParallel | None = None
    batch_api: bool = False  # presign_many is a real batch call, not a loop
    note: str = ""


def _loop(presign: PresignOne) -> PresignMany:
    def presign_many(keys: Sequence[str]) -> list[str]:
        return [presign(key) for key in keys]

    return presign_many


def _s3_peer(
    name: str, presign: PresignOne, note: str, context: ContextFactory = nullcontext
) -> S3Participant:
    """A peer's W1 participant: no batch API, so presign_many loops over presign."""
    return S3Participant(name, "peer", presign, _loop(presign), context, note=note)


def _ours_s3(name: str, twin: ModuleType) -> S3Participant:
    with _core.using(twin):
        presigner = S3Presigner(CREDENTIALS, REGION, BUCKET, timestamp=AMZ_DATE, expires=EXPIRES)
        presigner.presign(KEYS[0])  # builds (and caches) this twin's kernel
    parallel: PresignParallel | None = None
    if hasattr(presigner, "presign_parallel"):
        method = presigner.presign_parallel

        def parallel(keys: Sequence[str], workers: int) -> list[str]:
            result: list[str] = method(keys, workers=workers)
            return result

    return S3Participant(
        name,
        "ours",
        presigner.presign,
        presigner.presign_many,
        _twin_context(twin),
        presign_parallel=parallel,
        batch_api=True,
        note=f"timestamp={AMZ_DATE!r}",
    )


def _quote_key(key: str) -> str:
    # What botocore's S3 serializer does to a key: UTF-8, every byte but
    # A-Za-z0-9-._~ and '/' percent-encoded once.
    return urllib.parse.quote(key, safe="/~")


@contextmanager
def _botocore_query_auth(kind: Literal["python", "crt"]) -> Iterator[None]:
    """Route botocore's 's3v4-query' signature version to the Python or CRT signer.

    With awscrt installed botocore signs S3 through CRT by default; botocore reads
    ``AUTH_TYPE_MAPS`` at each signature, so both can be measured in one process.
    """
    botocore_auth = _import("botocore.auth", "botocore")
    if kind == "python":
        signer_class = botocore_auth.S3SigV4QueryAuth
    else:
        signer_class = _import("botocore.crt.auth", "awscrt").CrtS3SigV4QueryAuth
    saved = botocore_auth.AUTH_TYPE_MAPS.get("s3v4-query")
    botocore_auth.AUTH_TYPE_MAPS["s3v4-query"] = signer_class
    try:
        with frozen_botocore_clock():
            yield
    finally:
        botocore_auth.AUTH_TYPE_MAPS["s3v4-query"] = saved


def _botocore_client(kind: Literal["python", "crt"]) -> S3Participant:
    session_module = _import("botocore.session", "botocore")
    config_module = _import("botocore.config", "botocore")
    if kind == "crt":
        _import("awscrt", "awscrt")
    client = session_module.get_session().create_client(
        "s3",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=config_module.Config(
            signature_version="s3v4",
            s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
        ),
    )
    generate = client.generate_presigned_url

    def presign(key: str) -> str:
        url: str = generate("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=EXPIRES)
        return url

    label = "Python signer" if kind == "python" else "CRT signer, botocore's default with awscrt"
    return _s3_peer(
        f"botocore client ({kind})",
        presign,
        f"client.generate_presigned_url, signature_version s3v4, {label}",
        lambda: _botocore_query_auth(kind),
    )


def _botocore_credentials() -> Any:
    credentials_module = _import("botocore.credentials", "botocore")
    return credentials_module.Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)


def _botocore_query_auth_participant() -> S3Participant:
    botocore_auth = _import("botocore.auth", "botocore")
    awsrequest = _import("botocore.awsrequest", "botocore")
    auth = botocore_auth.S3SigV4QueryAuth(_botocore_credentials(), "s3", REGION, expires=EXPIRES)
    request_class = awsrequest.AWSRequest
    add_auth = auth.add_auth
    prefix = f"https://{S3_HOST}/"

    def presign(key: str) -> str:
        request = request_class("GET", prefix + _quote_key(key))
        add_auth(request)
        url: str = request.url
        return url

    return _s3_peer(
        "botocore S3SigV4QueryAuth", presign, "AWSRequest + add_auth per URL", frozen_botocore_clock
    )


def _awscrt_signing_config(awscrt_auth: Any, signature_type: str, **options: Any) -> Any:
    """awscrt's SigV4 config for the example credentials, REGION and SIGNING_TIME."""
    return awscrt_auth.AwsSigningConfig(
        algorithm=awscrt_auth.AwsSigningAlgorithm.V4,
        signature_type=getattr(awscrt_auth.AwsSignatureType, signature_type),
        credentials_provider=awscrt_auth.AwsCredentialsProvider.new_static(
            ACCESS_KEY_ID, SECRET_ACCESS_KEY
        ),
        region=REGION,
        date=SIGNING_TIME,
        **options,
    )


def _awscrt_presign_participant() -> S3Participant:
    awscrt_auth = _import("awscrt.auth", "awscrt")
    awscrt_http = _import("awscrt.http", "awscrt")
    config = _awscrt_signing_config(
        awscrt_auth,
        "HTTP_REQUEST_QUERY_PARAMS",
        service="s3",
        # S3 rules: the path is signed as sent. With the defaults (True, True)
        # awscrt signs a different path than S3 checks for keys with '%', '//', '.'.
        use_double_uri_encode=False,
        should_normalize_uri_path=False,
        signed_body_value=awscrt_auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
        expiration_in_seconds=EXPIRES,
    )
    request_class = awscrt_http.HttpRequest
    headers_class = awscrt_http.HttpHeaders
    sign_request = awscrt_auth.aws_sign_request
    origin = f"https://{S3_HOST}"

    def presign(key: str) -> str:
        request = request_class("GET", "/" + _quote_key(key), headers_class([("host", S3_HOST)]))
        sign_request(request, config).result()
        return origin + request.path  # type: ignore[no-any-return]

    return _s3_peer(
        "awscrt aws_sign_request", presign, "HttpRequest + aws_sign_request(...).result() per URL"
    )


def _minio_client() -> Any:
    minio = _import("minio", "minio")
    # With region given, minio never asks the server for the bucket's region.
    return minio.Minio(
        f"s3.{REGION}.amazonaws.com", ACCESS_KEY_ID, SECRET_ACCESS_KEY, region=REGION
    )


def _minio_presigned_get_object() -> S3Participant:
    client = _minio_client()
    expires = dt.timedelta(seconds=EXPIRES)
    presigned_get_object = client.presigned_get_object

    def presign(key: str) -> str:
        url: str = presigned_get_object(BUCKET, key, expires=expires, request_date=SIGNING_TIME)
        return url

    return _s3_peer(
        "minio presigned_get_object",
        presign,
        "Minio(region=...) so no region lookup; request_date= frozen",
    )


def _minio_presign_v4() -> S3Participant:
    signer = _import("minio.signer", "minio")
    minio_credentials = _import("minio.credentials", "minio")
    credentials = minio_credentials.Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    presign_v4 = signer.presign_v4
    split_result = urllib.parse.SplitResult
    unsplit = urllib.parse.urlunsplit

    def presign(key: str) -> str:
        url = split_result("https", S3_HOST, "/" + _quote_key(key), "", "")
        signed = presign_v4(
            method="GET",
            url=url,
            region=REGION,
            credentials=credentials,
            date=SIGNING_TIME,
            expires=EXPIRES,
        )
        text: str = unsplit(signed)
        return text

    return _s3_peer(
        "minio presign_v4",
        presign,
        "minio.signer.presign_v4 on a SplitResult (the lower-level call)",
    )


def _aws_sdk_signers_no_presign() -> S3Participant:
    _import("aws_sdk_signers", "aws-sdk-signers")
    raise Unavailable("aws-sdk-signers 0.4 signs headers only: it has no presigned-URL API")


S3_PEERS: list[tuple[str, Callable[[], S3Participant]]] = [
    ("botocore client (python)", lambda: _botocore_client("python")),
    ("botocore client (crt)", lambda: _botocore_client("crt")),
    ("botocore S3SigV4QueryAuth", _botocore_query_auth_participant),
    ("awscrt aws_sign_request", _awscrt_presign_participant),
    ("minio presigned_get_object", _minio_presigned_get_object),
    ("minio presign_v4", _minio_presign_v4),
    ("aws-sdk-signers", _aws_sdk_signers_no_presign),
]
# Peers used for W4 (two threads): the signers, not the whole botocore client.
W4_PEERS = {"awscrt aws_sign_request", "botocore S3SigV4QueryAuth", "minio presign_v4"}


@dataclass
class Roster:
    """Participants that can run, and those skipped with the reason."""

    s3: list[S3Participant] = field(default_factory=list)
    headers: list[HeaderParticipant] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # workload, name, why


Participant = TypeVar("Participant")


def _factories(
    ours: Callable[[str, ModuleType], Participant],
    peers: Sequence[tuple[str, Callable[[], Participant]]],
) -> dict[str, Callable[[], Participant]]:
    """Each twin's participant (``ours``), then the peers', by name."""
    factories: dict[str, Callable[[], Participant]] = {
        name: functools.partial(ours, name, twin) for name, twin in _twins()
    }
    factories.update(peers)
    return factories


def _enlist(
    workload: str,
    factories: dict[str, Callable[[], Participant]],
    participants: list[Participant],
    roster: Roster,
) -> Roster:
    """Build every participant into ``participants``; one that is Unavailable is skipped."""
    for name, factory in factories.items():
        try:
            participants.append(factory())
        except Unavailable as exc:
            roster.skipped.append((workload, name, str(exc)))
    return roster


def s3_factories() -> dict[str, Callable[[], S3Participant]]:
    """Every W1 participant's name and constructor (which raises Unavailable)."""
    return _factories(_ours_s3, S3_PEERS)


def s3_participants(roster: Roster | None = None) -> Roster:
    roster = roster if roster is not None else Roster()
    return _enlist("W1", s3_factories(), roster.s3, roster)


# ---------------------------------------------------------------------------
# Header signing participants (W2)


@dataclass(frozen=True)
class HeaderParticipant:
    name: str
    group: Group
    sign: Callable[[], object]  # signs the W2 request once
    authorization: Callable[[object], str]  # the Authorization header of a result
    context: ContextFactory = nullcontext
    note: str = ""


def _ours_headers(name: str, twin: ModuleType) -> HeaderParticipant:
    signer = Signer(CREDENTIALS, REGION, LOGS_SERVICE)

    def sign() -> object:
        return signer.sign("POST", LOGS_URL, LOG_HEADERS, LOG_BODY, timestamp=AMZ_DATE)

    def authorization(result: object) -> str:
        assert isinstance(result, fastsigv4.SignedRequest)
        return dict(result.headers)["Authorization"]

    return HeaderParticipant(
        name,
        "ours",
        sign,
        authorization,
        _twin_context(twin),
        note=f"Signer.sign(timestamp={AMZ_DATE!r})",
    )


def _authorization_header(result: object) -> str:
    """The Authorization header of a signed request with a ``headers`` mapping."""
    value: str = result.headers["Authorization"]  # type: ignore[attr-defined]
    return value


def _botocore_headers(kind: Literal["python", "crt"]) -> HeaderParticipant:
    awsrequest = _import("botocore.awsrequest", "botocore")
    credentials = _botocore_credentials()
    if kind == "python":
        auth = _import("botocore.auth", "botocore").SigV4Auth(credentials, LOGS_SERVICE, REGION)
        name = "botocore SigV4Auth"
    else:
        crt_auth = _import("botocore.crt.auth", "awscrt")
        auth = crt_auth.CrtSigV4Auth(credentials, LOGS_SERVICE, REGION)
        name = "botocore CrtSigV4Auth"
    request_class = awsrequest.AWSRequest
    add_auth = auth.add_auth

    def sign() -> object:
        request = request_class("POST", LOGS_URL, headers=dict(LOG_HEADERS), data=LOG_BODY)
        add_auth(request)
        return request

    return HeaderParticipant(
        name,
        "peer",
        sign,
        _authorization_header,
        frozen_botocore_clock,
        note="AWSRequest + add_auth",
    )


def _awscrt_headers() -> HeaderParticipant:
    awscrt_auth = _import("awscrt.auth", "awscrt")
    awscrt_http = _import("awscrt.http", "awscrt")
    config = _awscrt_signing_config(awscrt_auth, "HTTP_REQUEST_HEADERS", service=LOGS_SERVICE)
    request_class = awscrt_http.HttpRequest
    headers_class = awscrt_http.HttpHeaders
    sign_request = awscrt_auth.aws_sign_request
    header_items = [("host", LOGS_HOST), *LOG_HEADERS.items()]

    def sign() -> object:
        request = request_class(
            "POST", "/", headers_class(header_items), body_stream=io.BytesIO(LOG_BODY)
        )
        sign_request(request, config).result()
        return request

    def authorization(result: object) -> str:
        value: str = result.headers.get("Authorization")  # type: ignore[attr-defined]
        return value

    return HeaderParticipant(
        "awscrt aws_sign_request",
        "peer",
        sign,
        authorization,
        note="HttpRequest(body_stream=BytesIO) + aws_sign_request(...).result()",
    )


def _requests_aws4auth() -> HeaderParticipant:
    aws4auth = _import("requests_aws4auth", "requests-aws4auth")
    requests = _import("requests", "requests")
    # The date is frozen by the request's own X-Amz-Date header (AWS4Auth keeps a
    # date it finds there); include_hdrs drops the x-amz-content-sha256 header it
    # always adds from the signed set, so it signs what botocore signs.
    auth = aws4auth.AWS4Auth(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        REGION,
        LOGS_SERVICE,
        AMZ_DATE[:8],
        include_hdrs=["host", "content-type", "x-amz-date", "x-amz-target"],
    )
    prepared = requests.Request(
        "POST", LOGS_URL, headers={**LOG_HEADERS, "X-Amz-Date": AMZ_DATE}, data=LOG_BODY
    ).prepare()
    copy = prepared.copy

    def sign() -> object:
        return auth(copy())

    return HeaderParticipant(
        "requests-aws4auth",
        "peer",
        sign,
        _authorization_header,
        note="AWS4Auth(PreparedRequest.copy()) per request",
    )


def _aws_sdk_signers() -> HeaderParticipant:
    signers = _import("aws_sdk_signers", "aws-sdk-signers")
    signer = signers.SigV4Signer()
    identity = signers.AWSCredentialIdentity(
        access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY
    )
    properties = {"region": REGION, "service": LOGS_SERVICE, "date": AMZ_DATE}
    uri = signers.URI(host=LOGS_HOST, path="/")
    request_class, fields_class, field_class = signers.AWSRequest, signers.Fields, signers.Field

    def sign() -> object:
        request = request_class(
            destination=uri,
            method="POST",
            body=io.BytesIO(LOG_BODY),
            fields=fields_class(
                [field_class(name=name, values=[value]) for name, value in LOG_HEADERS.items()]
            ),
        )
        return signer.sign(request=request, identity=identity, properties=properties)

    def authorization(result: object) -> str:
        value: str = result.fields["Authorization"].as_string()  # type: ignore[attr-defined]
        return value

    return HeaderParticipant(
        "aws-sdk-signers SigV4Signer",
        "peer",
        sign,
        authorization,
        note="SigV4SigningProperties(date=...) frozen",
    )


def _minio_no_headers() -> HeaderParticipant:
    _import("minio", "minio")
    raise Unavailable("minio signs only for services s3 and sts (sign_v4_s3/sign_v4_sts), not logs")


HEADER_PEERS: list[tuple[str, Callable[[], HeaderParticipant]]] = [
    ("botocore SigV4Auth", lambda: _botocore_headers("python")),
    ("botocore CrtSigV4Auth", lambda: _botocore_headers("crt")),
    ("awscrt aws_sign_request", _awscrt_headers),
    ("requests-aws4auth", _requests_aws4auth),
    ("aws-sdk-signers SigV4Signer", _aws_sdk_signers),
    ("minio", _minio_no_headers),
]


def header_factories() -> dict[str, Callable[[], HeaderParticipant]]:
    """Every W2 participant's name and constructor (which raises Unavailable)."""
    return _factories(_ours_headers, HEADER_PEERS)


def header_participants(roster: Roster | None = None) -> Roster:
    roster = roster if roster is not None else Roster()
    return _enlist("W2", header_factories(), roster.headers, roster)


def all_participants() -> Roster:
    return header_participants(s3_participants())


# ---------------------------------------------------------------------------
# Signature checks


def signature_of(url: str) -> str:
    return url.rpartition("X-Amz-Signature=")[2]


def normalized_url(url: str) -> tuple[str, tuple[str, ...]]:
    """The URL up to query-parameter order (peers order X-Amz-* differently)."""
    base, _, query = url.partition("?")
    return base, tuple(sorted(query.split("&")))


@dataclass
class CheckResult:
    name: str
    mismatches: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # keys the participant rejects

    @property
    def ok(self) -> bool:
        return not self.mismatches


_reference_urls: dict[str, str] = {}


def reference_url(key: str) -> str:
    """The pure twin's presigned URL of ``key``: what every participant must produce."""
    url = _reference_urls.get(key)
    if url is None:
        with _core.using(_core_py):
            url = S3Presigner(
                CREDENTIALS, REGION, BUCKET, timestamp=SIGNING_TIME, expires=EXPIRES
            ).presign(key)
        _reference_urls[key] = url
    return url


def check_s3(participant: S3Participant, keys: Sequence[str] = CHECK_KEYS) -> CheckResult:
    """Same signature and URL as the pure twin for every key (a refusal is noted)."""
    result = CheckResult(participant.name)
    with participant.context(), no_network():
        for key in keys:
            expected = reference_url(key)
            try:
                url = participant.presign(key)
            except NetworkUsed:
                raise
            except Exception as exc:
                if key in SPECIAL_KEYS:
                    result.refused.append(f"{key!r}: {type(exc).__name__}: {exc}")
                else:
                    result.mismatches.append(f"{key!r}: raised {type(exc).__name__}: {exc}")
                continue
            if signature_of(url) != signature_of(expected):
                result.mismatches.append(
                    f"{key!r}: signature {signature_of(url)[:16]}... != "
                    f"{signature_of(expected)[:16]}... ({url[:100]})"
                )
            elif normalized_url(url) != normalized_url(expected):
                result.mismatches.append(f"{key!r}: same signature, different URL {url[:120]}")
        batch_keys = [key for key in keys if key in KEYS]
        many = participant.presign_many(batch_keys)
        if [normalized_url(url) for url in many] != [
            normalized_url(reference_url(key)) for key in batch_keys
        ]:
            result.mismatches.append("presign_many differs from the reference URLs")
        if participant.presign_parallel is not None:
            many = KEYS[:4096]
            if participant.presign_parallel(many, 2) != participant.presign_many(many):
                result.mismatches.append("presign_parallel(workers=2) differs from presign_many")
    return result


def reference_authorization() -> str:
    with _core.using(_core_py):
        signed = Signer(CREDENTIALS, REGION, LOGS_SERVICE).sign(
            "POST", LOGS_URL, LOG_HEADERS, LOG_BODY, timestamp=SIGNING_TIME
        )
    return dict(signed.headers)["Authorization"]


def check_headers(participant: HeaderParticipant) -> CheckResult:
    result = CheckResult(participant.name)
    expected = reference_authorization()
    with participant.context(), no_network():
        try:
            got = participant.authorization(participant.sign())
        except NetworkUsed:
            raise
        except Exception as exc:
            result.mismatches.append(f"raised {type(exc).__name__}: {exc}")
            return result
    if got != expected:
        result.mismatches.append(f"Authorization {got!r} != {expected!r}")
    return result


# ---------------------------------------------------------------------------
# W4: two threads


def run_threads(presign_many: PresignMany, keys: Sequence[str], threads: int) -> list[str]:
    """presign_many on ``threads`` contiguous slices of keys at once, results in order."""
    if threads == 1:
        return presign_many(keys)
    size = -(-len(keys) // threads)
    parts: list[list[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(index: int) -> None:
        chunk = keys[index * size : (index + 1) * size]
        start.wait()
        parts[index] = presign_many(chunk)

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [url for part in parts for url in part]


def two_thread_runner(participant: S3Participant) -> tuple[str, PresignMany]:
    """How W4 runs a participant on two threads: (description, keys -> urls)."""
    parallel = participant.presign_parallel
    if parallel is not None:
        return "presign_parallel(keys, workers=2)", lambda keys: parallel(keys, 2)
    if participant.batch_api:
        how = "2 threads x presign_many(half the keys)"
    else:
        how = "2 threads x loop over half the keys"
    return how, lambda keys: run_threads(participant.presign_many, keys, 2)


# ---------------------------------------------------------------------------
# Machine description


def sha256_path() -> str:
    """Which SHA-256 code the compiled twin runs (its ``SHA256_IMPLEMENTATION``)."""
    compiled = _core.compiled_twin()
    if compiled is None:
        return f"n/a (no compiled twin; the pure twin uses {_core_py.SHA256_IMPLEMENTATION})"
    name = getattr(compiled, "SHA256_IMPLEMENTATION", None)
    if not isinstance(name, str):
        return "unknown (the compiled twin has no SHA256_IMPLEMENTATION: rebuild it)"
    forced = os.environ.get("FASTSIGV4_SHA256_PORTABLE", "")
    return name + (f" (FASTSIGV4_SHA256_PORTABLE={forced})" if forced else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def _package_root() -> Path | None:
    """The source tree the imported fastsigv4 comes from (None for an installed copy)."""
    package = Path(fastsigv4.__file__).resolve().parent
    root = package.parent.parent
    return root if package.parent.name == "src" and (root / "_ext").is_dir() else None


def source_state() -> str:
    """Where the measured fastsigv4 comes from: tree, commit, changed files, digest."""
    root = _package_root()
    if root is None:
        return f"installed copy at {Path(fastsigv4.__file__).parent}; " + source_digest()
    git = ["git", "--no-optional-locks", "-C", str(root)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no", "--", "src", "_ext"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return f"tree {root} (no git); " + source_digest()
    files = [line[3:] for line in changed if line.strip()]
    state = head + (f" + uncommitted changes to {', '.join(files)}" if files else " (clean)")
    return f"tree {root} at {state}; " + source_digest()


def source_digest() -> str:
    """A digest of the measured library's sources, and whether the compiled twin is older."""
    package = Path(fastsigv4.__file__).resolve().parent
    root = _package_root()
    paths = sorted(package.glob("*.py"))
    if root is not None:
        extension = [*root.glob("_ext/*.pyx"), *root.glob("_ext/*.[ch]")]
        paths += sorted(path for path in extension if path.name != "_core_c.c")  # generated
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    text = f"source sha256 {digest.hexdigest()[:12]}"
    compiled = _core.compiled_twin()
    if compiled is not None and compiled.__file__ is not None:
        built = Path(compiled.__file__).stat().st_mtime
        newer = [
            path.name for path in paths if path.suffix != ".py" and path.stat().st_mtime > built
        ]
        text += f"; compiled twin OLDER than {', '.join(newer)}: rebuild" if newer else ""
    return text


def machine() -> dict[str, str]:
    import ssl

    flags = cpu_flags()
    return {
        "cpu": cpu_model(),
        "cpu_flags": " ".join(flag for flag in ("sha_ni", "avx2", "avx512f") if flag in flags)
        or "-",
        "cores": str(os.cpu_count()),
        "load average (1, 5, 15 min) at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "fastsigv4": f"{fastsigv4.__version__}, IMPLEMENTATION={fastsigv4.IMPLEMENTATION}",
        "fastsigv4 source": source_state(),
        "sha256 (compiled twin)": sha256_path(),
        "openssl (pure twin's hashlib/hmac)": ssl.OPENSSL_VERSION,
        "peers": ", ".join(
            f"{name} {_version(name)}"
            for name in (
                "botocore",
                "awscrt",
                "minio",
                "requests-aws4auth",
                "requests",
                "aws-sdk-signers",
            )
        ),
    }
