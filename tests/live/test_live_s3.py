"""S3 requests signed by fastsigv4, verified by real servers: JuiceFS, nanio, moto.

Round trips prove the servers accept what we sign (for ~230 adversarial keys); the
tamper tests prove they check it: every altered variant must be rejected (400/403) and
must not write, while the same request untampered succeeds. A rejection is asserted
only where the server makes that check (``live_support.CHECKS``, from PEERS.md).
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest
from live_support import (
    CHECKS,
    JUICEFS_ROLE_ARN,
    REGION,
    REJECTED,
    LiveServer,
    Request,
    Response,
    Wire,
    adversarial_keys,
    assume_role,
    create_bucket,
    encode_key,
    flip_char,
    head_status,
    join_query,
    juicefs_only_keys,
    list_objects,
    object_url,
    q,
    query_value,
    random_credentials,
    s3_signer,
    send,
    send_all,
    shift_amz_date,
    signed_send,
    signed_wire,
    split_query,
    unique_name,
    with_query_value,
)

from fastsigv4 import Credentials, S3Presigner, Signer

pytestmark = pytest.mark.live

PRESIGNING = [name for name, checks in CHECKS.items() if "presigned" in checks]
ALL_S3 = list(CHECKS)


def _body(twin: str, index: int, key: str) -> bytes:
    # Distinct for every key and twin, with a few non-UTF-8 bytes.
    return f"{twin}|{index}|{key}|".encode() + bytes([index % 256, 0xFF, 0x00])


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("s3_server", PRESIGNING, indirect=True)
def test_presigned_round_trip_of_adversarial_keys(s3_server: LiveServer, twin: str) -> None:
    """PUT every key by a presigned URL, GET and HEAD it back by another, list them all.

    Half the keys go up through S3Presigner (raw keys) and come back through
    Signer.presign_many (URLs encoded by the stdlib), the other half the other way
    round; HEAD goes through presign_parallel. The listing proves each key was stored
    under exactly its name (a '+' read as a space, say, would show up there).
    """
    server = s3_server
    bucket = unique_name("keys", twin)
    create_bucket(server, bucket)
    keys = [key for group in adversarial_keys().values() for key in group]
    if server.name == "juicefs":
        keys += juicefs_only_keys()
    assert len(keys) >= 200
    bodies = {key: _body(twin, index, key) for index, key in enumerate(keys)}
    credentials, endpoint = server.credentials, server.endpoint

    def presigner(method: str) -> S3Presigner:
        return S3Presigner(
            credentials, REGION, bucket, endpoint=endpoint, method=method, expires=900
        )

    signer = s3_signer(server)
    first, second = keys[0::2], keys[1::2]
    failures: list[str] = []

    def check(
        step: str, names: list[str], answers: list[Response], ok: Callable[[str, Response], bool]
    ) -> None:
        failures.extend(
            f"{step} {key!r}: {answer.describe()}"
            for key, answer in zip(names, answers, strict=True)
            if not ok(key, answer)
        )

    puts: list[Request] = [
        ("PUT", url, (), bodies[key])
        for key, url in zip(first, presigner("PUT").presign_many(first), strict=True)
    ]
    # Signed Content-Type: the client must send exactly the signed value.
    content_type = {"Content-Type": "application/x-live; charset=utf-8"}
    for key in second:
        put = signer.presign(
            "PUT", object_url(server, bucket, key), headers=content_type, expires=900
        )
        assert put.headers == (("Content-Type", content_type["Content-Type"]),)
        puts.append(("PUT", put.url, put.headers, bodies[key]))
    check("PUT", first + second, send_all(puts), lambda key, answer: answer.status == 200)
    assert not failures, f"{server.name}: {len(failures)} PUTs failed:\n" + "\n".join(failures[:20])

    get_urls = [
        request.url
        for request in signer.presign_many(
            "GET", [object_url(server, bucket, key) for key in first]
        )
    ]
    get_urls += presigner("GET").presign_many(second)
    answers = send_all([("GET", url, (), None) for url in get_urls])
    check("GET", first + second, answers, lambda key, a: (a.status, a.body) == (200, bodies[key]))
    head_urls = presigner("HEAD").presign_parallel(keys, workers=2)
    answers = send_all([("HEAD", url, (), None) for url in head_urls])
    check(
        "HEAD",
        keys,
        answers,
        lambda key, a: (a.status, a.header("Content-Length")) == (200, str(len(bodies[key]))),
    )
    assert not failures, f"{server.name}: {len(failures)} reads failed:\n" + "\n".join(
        failures[:20]
    )

    listing = list_objects(server, bucket, signer, page_size=97)
    assert sorted(listing.keys) == sorted(keys), f"{server.name}: listed keys differ"
    assert listing.pages == -(-len(keys) // 97)


@pytest.mark.parametrize("s3_server", ALL_S3, indirect=True)
def test_header_signed_crud_and_list(s3_server: LiveServer, twin: str) -> None:
    """PUT/GET/HEAD/DELETE and ListObjectsV2 (encoded prefix, continuation tokens,
    delimiter, start-after), all header-signed, with bodies and signed headers."""
    server = s3_server
    signer = s3_signer(server)
    _crud_and_list(server, signer, unique_name("crud", twin))


def _crud_and_list(server: LiveServer, signer: Signer, bucket: str) -> None:
    create_bucket(server, bucket, signer)
    prefix = "list/ä b+c&d=e%f;g:h@(x)/"
    inside = [
        prefix + name for name in ("one", "two 2", "three+3", "four=4&", "ü😀", "sub/5", "sub/6")
    ]
    outside = ["list/ä b+c&d=e%f;g:hx", "list/other", "zzz"]
    headers = {"Content-Type": "text/plain; charset=utf-8", "X-Amz-Meta-Note": "  a   b  "}
    bodies = {key: f"{server.name}:{key}".encode() * 3 for key in inside + outside}
    for key, body in bodies.items():
        answer = signed_send(signer, "PUT", object_url(server, bucket, key), headers, body)
        assert answer.status == 200, f"{server.name} PUT {key!r}: {answer.describe()}"
    for key, body in bodies.items():
        answer = signed_send(signer, "GET", object_url(server, bucket, key))
        assert answer.status == 200, f"{server.name} GET {key!r}: {answer.describe()}"
        assert answer.body == body
        assert answer.header("Content-Type") == headers["Content-Type"]
    # Signed query parameters on a GET object, values needing encoding.
    override = "text/x-override; q=1"
    key = inside[0]
    answer = signed_send(
        signer,
        "GET",
        object_url(server, bucket, key, f"response-content-type={q(override)}&x-id=GetObject"),
    )
    assert answer.status == 200, f"{server.name} GET with query: {answer.describe()}"
    assert answer.body == bodies[key]

    paged = list_objects(server, bucket, signer, prefix=prefix, page_size=2)
    assert sorted(paged.keys) == sorted(inside)
    assert paged.pages == 4, "continuation tokens were not followed"
    folders = list_objects(server, bucket, signer, prefix=prefix, delimiter="/")
    assert sorted(folders.keys) == sorted(key for key in inside if "/sub/" not in key)
    assert folders.common_prefixes == [prefix + "sub/"]
    after = list_objects(server, bucket, signer, prefix=prefix, start_after=prefix + "one")
    assert sorted(after.keys) == sorted(
        key for key in inside if key.encode() > (prefix + "one").encode()
    )

    answer = signed_send(signer, "HEAD", object_url(server, bucket, inside[1]))
    assert answer.status == 200
    assert answer.header("Content-Length") == str(len(bodies[inside[1]]))
    answer = signed_send(signer, "DELETE", object_url(server, bucket, inside[1]))
    assert answer.status == 204, f"{server.name} DELETE: {answer.describe()}"
    assert head_status(server, bucket, inside[1], signer) == 404
    remaining = list_objects(server, bucket, signer, prefix=prefix)
    assert sorted(remaining.keys) == sorted(set(inside) - {inside[1]})


# --------------------------------------------------------------------------- sessions


def test_juicefs_session_token_requests(
    juicefs: LiveServer, juicefs_user: Credentials, twin: str
) -> None:
    """STS AssumeRole signed by fastsigv4 (service sts), then header-signed and presigned
    S3 requests with the session token; the same requests without it are refused."""
    session = assume_role(juicefs.endpoint, juicefs_user, JUICEFS_ROLE_ARN)
    assert session.session_token
    signer = s3_signer(juicefs, session)
    bucket = unique_name("sess", twin)
    _crud_and_list(juicefs, signer, bucket)

    key = "session/ä b+c.txt"
    put = signer.presign(
        "PUT", object_url(juicefs, bucket, key), headers={"Content-Type": "text/plain"}
    )
    assert "X-Amz-Security-Token=" in put.url
    answer = send("PUT", put.url, put.headers, b"session body")
    assert answer.status == 200, answer.describe()
    get = S3Presigner(session, REGION, bucket, endpoint=juicefs.endpoint).presign(key)
    answer = send("GET", get)
    assert (answer.status, answer.body) == (200, b"session body"), answer.describe()

    # The session's key pair without its token is not a valid identity.
    bare = Credentials(session.access_key_id, session.secret_access_key)
    answer = signed_send(s3_signer(juicefs, bare), "GET", object_url(juicefs, bucket, key))
    assert answer.status in REJECTED, answer.describe()
    answer = send("GET", S3Presigner(bare, REGION, bucket, endpoint=juicefs.endpoint).presign(key))
    assert answer.status in REJECTED, answer.describe()


# --------------------------------------------------------------------------- tampering


@dataclass(frozen=True)
class Case:
    """One object to write, with the credentials to sign for it."""

    server: LiveServer
    bucket: str
    key: str
    credentials: Credentials
    body: bytes

    def signer(
        self, credentials: Credentials | None = None, region: str = REGION, service: str = "s3"
    ) -> Signer:
        return s3_signer(
            self.server, credentials or self.credentials, region=region, service=service
        )

    def put(
        self,
        signer: Signer | None = None,
        *,
        signed_method: str = "PUT",
        timestamp: datetime | None = None,
    ) -> Wire:
        """The header-signed PUT (signed as ``signed_method``, sent as PUT)."""
        url = object_url(self.server, self.bucket, self.key, PUT_QUERY)
        signed = (signer or self.signer()).sign(
            signed_method, url, headers=PUT_HEADERS, body=self.body, timestamp=timestamp
        )
        return Wire("PUT", signed.url, signed.headers, self.body)

    def presigned_put(
        self,
        *,
        credentials: Credentials | None = None,
        signed_method: str = "PUT",
        timestamp: datetime | None = None,
        expires: int = 600,
    ) -> Wire:
        """The presigned PUT with a signed Content-Type (sent as PUT with that header)."""
        presigned = self.signer(credentials).presign(
            signed_method,
            object_url(self.server, self.bucket, self.key),
            headers={"Content-Type": "text/plain"},
            expires=expires,
            timestamp=timestamp,
        )
        return Wire("PUT", presigned.url, (("Content-Type", "text/plain"),), self.body)


PUT_QUERY = "x-id=PutObject&note=" + q("a b+c&d=é")
PUT_HEADERS = {"Content-Type": "text/plain; charset=utf-8", "X-Amz-Meta-Color": "blue  green"}
SKEW = timedelta(minutes=20)  # AWS (and the servers that check) allow 15 minutes


def _path_byte(url: str) -> str:
    base, pairs = split_query(url)
    return join_query(flip_char(base), pairs)


def _day_before(date: str) -> str:
    return (datetime.strptime(date, "%Y%m%d") - timedelta(days=1)).strftime("%Y%m%d")


def _wrong_secret(credentials: Credentials) -> Credentials:
    wrong = random_credentials().secret_access_key
    return Credentials(credentials.access_key_id, wrong, credentials.session_token)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _signature(case: Case) -> Wire:
    wire = case.put()
    signature = wire.header("Authorization")[-64:]
    return wire.with_authorization(signature, flip_char(signature, 0))


def _scope_date(case: Case) -> Wire:
    wire = case.put()
    date = wire.header("X-Amz-Date")[:8]
    return wire.with_authorization(f"/{date}/", f"/{_day_before(date)}/")


Tamper = Callable[[Case], Wire]

# name -> (the server check it needs, or None when any verifier must reject it; how)
HEADER_TAMPERS: dict[str, tuple[str | None, Tamper]] = {
    "header-host": (
        None,
        lambda c: c.put().with_header("Host", "localhost:" + c.server.host.rpartition(":")[2]),
    ),
    "header-x-amz-date": (
        None,
        lambda c: (w := c.put()).with_header(
            "X-Amz-Date", shift_amz_date(w.header("X-Amz-Date"), 1)
        ),
    ),
    "header-x-amz-content-sha256": (
        None,
        lambda c: c.put().with_header(
            "X-Amz-Content-SHA256", hashlib.sha256(c.body + b"!").hexdigest()
        ),
    ),
    "header-content-type": (None, lambda c: c.put().with_header("Content-Type", "text/html")),
    "header-x-amz-meta-color": (None, lambda c: c.put().with_header("X-Amz-Meta-Color", "red")),
    "signed-headers-list": (None, lambda c: c.put().with_authorization(";x-amz-meta-color", "")),
    "signature": (None, _signature),
    "scope-date": ("scope-date", _scope_date),
    "path-byte": (None, lambda c: (w := c.put()).with_url(_path_byte(w.url))),
    "query-x-id": (None, lambda c: c.put().with_query("x-id", lambda _: "GetObject")),
    "query-note": (None, lambda c: c.put().with_query("note", lambda v: v + "%20")),
    "query-added": (None, lambda c: (w := c.put()).with_url(w.url + "&extra=1")),
    "query-removed": (
        None,
        lambda c: (w := c.put()).with_url(w.url.replace("x-id=PutObject&", "", 1)),
    ),
    "method": (None, lambda c: c.put(signed_method="POST")),
    "access-key": (
        None,
        lambda c: c.put(c.signer(random_credentials(c.credentials.session_token))),
    ),
    "secret": (None, lambda c: c.put(c.signer(_wrong_secret(c.credentials)))),
    # Only JuiceFS hashes the body (PEERS.md: body vs x-amz-content-sha256 ✘ nanio, ✘ moto S3).
    "body-byte": ("body", lambda c: replace(c.put(), body=b"X" + c.body[1:])),
    # moto has no clock-skew check (PEERS.md: clock skew ✘).
    "date-skewed": ("skew", lambda c: c.put(timestamp=_now() - SKEW)),
    # Only JuiceFS with MINIO_REGION checks the region (PEERS.md: region in scope ✘ elsewhere).
    "region": ("region", lambda c: c.put(c.signer(region="eu-west-1"))),
    # nanio derives the key from the sent service; moto routes by it (no S3-only check).
    "service": ("service", lambda c: c.put(c.signer(service="s3express"))),
}

PRESIGN_TAMPERS: dict[str, tuple[str | None, Tamper]] = {
    "x-amz-signature": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-Signature", lambda v: flip_char(v, 0)),
    ),
    "x-amz-expires": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-Expires", lambda v: str(int(v) + 1)),
    ),
    "x-amz-date": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-Date", lambda v: shift_amz_date(v, 1)),
    ),
    "x-amz-credential-date": (
        None,
        lambda c: c.presigned_put().with_query(
            "X-Amz-Credential",
            lambda v: v.replace(v.split("%2F")[1], _day_before(v.split("%2F")[1])),
        ),
    ),
    "x-amz-credential-region": (
        None,
        lambda c: c.presigned_put().with_query(
            "X-Amz-Credential", lambda v: v.replace(REGION, "us-west-2")
        ),
    ),
    "x-amz-credential-access-key": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-Credential", lambda v: flip_char(v, 5)),
    ),
    "x-amz-signedheaders": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-SignedHeaders", lambda _: "host"),
    ),
    "x-amz-algorithm": (
        None,
        lambda c: c.presigned_put().with_query("X-Amz-Algorithm", lambda _: "AWS4-HMAC-SHA512"),
    ),
    "key-byte": (None, lambda c: (w := c.presigned_put()).with_url(_path_byte(w.url))),
    "query-added": (None, lambda c: (w := c.presigned_put()).with_url(w.url + "&x-id=PutObject")),
    "signed-content-type": (
        None,
        lambda c: c.presigned_put().with_header("Content-Type", "text/html"),
    ),
    "method": (None, lambda c: c.presigned_put(signed_method="GET")),
    "access-key": (None, lambda c: c.presigned_put(credentials=random_credentials())),
    "secret": (None, lambda c: c.presigned_put(credentials=_wrong_secret(c.credentials))),
    "expired": (
        "expiry",
        lambda c: c.presigned_put(timestamp=_now() - timedelta(hours=2), expires=60),
    ),
    # PEERS.md: nanio accepts a future X-Amz-Date; it does refuse one 2 hours ahead (observed:
    # it allows 15 minutes), as JuiceFS does.
    "future": ("expiry", lambda c: c.presigned_put(timestamp=_now() + timedelta(hours=2))),
}


def _cases(servers: list[str], tampers: dict[str, tuple[str | None, Tamper]]) -> list[object]:
    return [
        pytest.param(server, name, id=f"{server}-{name}")
        for server in servers
        for name, (needs, _) in tampers.items()
        if needs is None or needs in CHECKS[server]
    ]


def _rejected_then_control(case: Case, tampered: Wire, control: Wire, what: str) -> None:
    """The tampered request is rejected and writes nothing; the control then succeeds."""
    server = case.server
    answer = tampered.send()
    assert answer.status in REJECTED, f"{server.name} accepted {what}: {answer.describe()}"
    assert head_status(server, case.bucket, case.key) == 404, f"{server.name}: {what} wrote"
    answer = control.send()
    assert answer.status == 200, f"{server.name} refused the control: {answer.describe()}"
    read = signed_send(s3_signer(server), "GET", object_url(server, case.bucket, case.key))
    assert (read.status, read.body) == (200, case.body), read.describe()


def _case(server: LiveServer, twin: str, tamper: str, credentials: Credentials) -> Case:
    bucket = unique_name("tamper", twin)
    create_bucket(server, bucket)
    return Case(server, bucket, "t/ä b+c=d&e.txt", credentials, f"body {tamper}".encode())


@pytest.mark.parametrize(
    ("s3_server", "tamper"), _cases(ALL_S3, HEADER_TAMPERS), indirect=["s3_server"]
)
def test_tampered_header_signed_put_is_rejected(
    s3_server: LiveServer, tamper: str, twin: str
) -> None:
    case = _case(s3_server, twin, tamper, s3_server.credentials)
    _rejected_then_control(case, HEADER_TAMPERS[tamper][1](case), case.put(), tamper)


@pytest.mark.parametrize(
    ("s3_server", "tamper"), _cases(PRESIGNING, PRESIGN_TAMPERS), indirect=["s3_server"]
)
def test_tampered_presigned_put_is_rejected(s3_server: LiveServer, tamper: str, twin: str) -> None:
    case = _case(s3_server, twin, tamper, s3_server.credentials)
    _rejected_then_control(case, PRESIGN_TAMPERS[tamper][1](case), case.presigned_put(), tamper)


def _token(wire: Wire, presigned: bool) -> str:
    if presigned:
        return urllib.parse.unquote(query_value(wire.url, "X-Amz-Security-Token"))
    return wire.header("X-Amz-Security-Token")


@pytest.mark.parametrize("presigned", [False, True], ids=["header", "presigned"])
@pytest.mark.parametrize("tamper", ["changed", "missing", "other-session"])
def test_tampered_session_token_is_rejected(
    juicefs: LiveServer,
    juicefs_user: Credentials,
    juicefs_session: Credentials,
    tamper: str,
    presigned: bool,
    twin: str,
) -> None:
    """JuiceFS (PEERS.md: session token ✔ via STS AssumeRole); nanio ignores tokens."""
    case = _case(juicefs, twin, "token", juicefs_session)
    control = case.presigned_put() if presigned else case.put()
    name, token = "X-Amz-Security-Token", _token(control, presigned)
    if tamper == "missing":
        if presigned:
            tampered = control.with_url(control.url.replace(f"{name}={q(token)}&", ""))
        else:
            tampered = control.without_header(name)
    else:
        if tamper == "changed":
            changed = flip_char(token, 9)
        else:  # a valid token of another session, with this session's key pair
            other = assume_role(juicefs.endpoint, juicefs_user, JUICEFS_ROLE_ARN)
            changed = str(other.session_token)
        if presigned:
            tampered = control.with_url(with_query_value(control.url, name, q(changed)))
        else:
            tampered = control.with_header(name, changed)
    assert tampered != control
    _rejected_then_control(case, tampered, control, f"session token {tamper}")


@pytest.mark.parametrize("s3_server", ALL_S3, indirect=True)
def test_tampered_list_and_delete_are_rejected(s3_server: LiveServer, twin: str) -> None:
    """Each ListObjectsV2 query parameter changed; a DELETE's path and method changed."""
    server = s3_server
    signer = s3_signer(server)
    bucket = unique_name("tlist", twin)
    create_bucket(server, bucket)
    for key in ("p q/1", "p q/2", "p q/3", "other"):
        answer = signed_send(signer, "PUT", object_url(server, bucket, key), body=b"x")
        assert answer.status == 200, answer.describe()
    query = "list-type=2&prefix=" + q("p q/") + "&max-keys=2&encoding-type=url"
    listing = signed_wire(signer, "GET", f"{server.endpoint}/{bucket}?{query}")
    assert listing.send().status == 200
    # Each parameter changed to another valid value (or dropped: encoding-type), so only
    # the signature can make the server refuse.
    base, pairs = split_query(listing.url)
    for index, (name, _value) in enumerate(pairs):
        changed = {"list-type": "1", "prefix": q("p r/"), "max-keys": "3"}.get(name)
        if changed is None:
            others = pairs[:index] + pairs[index + 1 :]
        else:
            others = [*pairs[:index], (name, changed), *pairs[index + 1 :]]
        assert others != pairs
        answer = listing.with_url(join_query(base, others)).send()
        assert answer.status in REJECTED, f"{server.name} listed with a changed {name}"
        assert b"<Key>" not in answer.body

    delete = signer.sign("DELETE", object_url(server, bucket, "p q/1"))
    for what, url, method in (
        ("path byte", object_url(server, bucket, "p q/2"), "DELETE"),
        ("method", delete.url, "PUT"),
    ):
        answer = send(method, url, delete.headers, b"" if method == "PUT" else None)
        assert answer.status in REJECTED, f"{server.name} accepted a DELETE with a changed {what}"
    get = signer.sign("GET", object_url(server, bucket, "p q/3"))
    answer = send("DELETE", get.url, get.headers)
    assert answer.status in REJECTED, f"{server.name} accepted a GET's signature for DELETE"
    for key in ("p q/1", "p q/2", "p q/3"):
        assert head_status(server, bucket, key) == 200, f"{server.name}: {key!r} was deleted"
    answer = send("DELETE", delete.url, delete.headers)
    assert answer.status == 204, answer.describe()
    assert head_status(server, bucket, "p q/1") == 404


@pytest.mark.parametrize("s3_server", PRESIGNING, indirect=True)
def test_tampered_presigned_get_serves_nothing(s3_server: LiveServer, twin: str) -> None:
    """S3Presigner GET URLs with one part changed, and an expired one, are refused."""
    server = s3_server
    bucket = unique_name("tget", twin)
    create_bucket(server, bucket)
    key, body = "g/ä b+c=d&e😀.txt", b"the object body"
    answer = signed_send(s3_signer(server), "PUT", object_url(server, bucket, key), body=body)
    assert answer.status == 200, answer.describe()
    presigner = S3Presigner(
        server.credentials, REGION, bucket, endpoint=server.endpoint, expires=600
    )
    url = presigner.presign(key)
    expired = S3Presigner(
        server.credentials,
        REGION,
        bucket,
        endpoint=server.endpoint,
        expires=60,
        timestamp=(_now() - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ"),  # the str form
    )
    wire = Wire("GET", url, (), b"")
    variants = {
        "X-Amz-Signature": wire.with_query("X-Amz-Signature", flip_char),
        "X-Amz-Expires": wire.with_query("X-Amz-Expires", lambda _: "601"),
        "X-Amz-Date": wire.with_query("X-Amz-Date", lambda v: shift_amz_date(v, -1)),
        "X-Amz-Credential": wire.with_query(
            "X-Amz-Credential", lambda v: v.replace("%2Fs3%2F", "%2Fs4%2F")
        ),
        "key": wire.with_url(url.replace(encode_key(key), encode_key(key[:-1] + "X"), 1)),
        "expired": wire.with_url(expired.presign(key)),
    }
    for what, tampered in variants.items():
        assert tampered.url != url
        answer = send("GET", tampered.url)
        assert answer.status in REJECTED, f"{server.name} served a GET with a changed {what}"
        assert body not in answer.body
    answer = send("GET", url)
    assert (answer.status, answer.body) == (200, body), answer.describe()
