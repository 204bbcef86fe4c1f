"""Non-S3 services signed by fastsigv4 (default rules), verified by moto with IAM auth.

CloudWatch Logs (JSON protocol, X-Amz-Target), SQS (query protocol, form body and query
string) and STS GetCallerIdentity, with the bootstrap user's key and with assumed-role
session credentials. moto recomputes each signature with botocore, so this proves
"signs what botocore signs" on the wire, not independence (PEERS.md). Every tampered
variant must be refused (400/403) and write nothing; the untampered control then works.

Not asserted, because moto does not check it (PEERS.md, and observed): the region in the
scope, clock skew, and the scope's date (botocore takes it from X-Amz-Date). A changed
service is not a signature check there either: moto routes a request by that service.
SQS calls go as POSTed forms: moto re-signs a query-string (GET) call as if its
parameters were a form body, so it refuses botocore's own signature of one too
(observed); query-parameter tampering is covered by the S3 tests.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from live_support import (
    FORM,
    REGION,
    REJECTED,
    MotoServer,
    Wire,
    assume_role,
    flip_char,
    query_call,
    random_credentials,
    shift_amz_date,
    signed_wire,
    unique_name,
    xml_texts,
)

from fastsigv4 import Credentials, Signer

pytestmark = pytest.mark.live

LOGS_JSON = "application/x-amz-json-1.1"
# Message texts that need escaping in JSON, in a form body and in a query string.
MESSAGES = [
    "plain",
    'ünï😀 {"json": true} "quoted" \\ back',
    "a+b=c&d=e f%20g/h?i#j",
    "line\nbreak\ttab",
]


@pytest.fixture(params=["user", "session"])
def identity(request: pytest.FixtureRequest, moto: MotoServer) -> Credentials:
    """The bootstrap user's key, or session credentials from sts:AssumeRole (signed by
    fastsigv4 in the test's twin)."""
    if request.param == "user":
        return moto.server.credentials
    return assume_role(moto.server.endpoint, moto.server.credentials, moto.role_arn)


def _signer(credentials: Credentials, service: str, region: str = REGION) -> Signer:
    return Signer(credentials, region, service)


# --------------------------------------------------------------------------- calls


def _logs(moto: MotoServer, signer: Signer, target: str, payload: object) -> Wire:
    return signed_wire(
        signer,
        "POST",
        moto.server.endpoint + "/",
        {"Content-Type": LOGS_JSON, "X-Amz-Target": "Logs_20140328." + target},
        json.dumps(payload).encode(),
    )


def _ok(wire: Wire, what: str) -> bytes:
    answer = wire.send()
    assert answer.status == 200, f"moto {what}: {answer.describe()}"
    return answer.body


def _log_stream(moto: MotoServer, signer: Signer, twin: str) -> dict[str, str]:
    names = {"logGroupName": "/live/" + unique_name("group", twin), "logStreamName": "s 1"}
    _ok(_logs(moto, signer, "CreateLogGroup", {"logGroupName": names["logGroupName"]}), "group")
    _ok(_logs(moto, signer, "CreateLogStream", names), "CreateLogStream")
    return names


def _put_events(moto: MotoServer, signer: Signer, names: dict[str, str], texts: list[str]) -> Wire:
    now = int(time.time() * 1000)
    events = [{"timestamp": now + index, "message": text} for index, text in enumerate(texts)]
    return _logs(moto, signer, "PutLogEvents", {**names, "logEvents": events})


def _events(moto: MotoServer, signer: Signer, names: dict[str, str]) -> list[str]:
    body = _ok(_logs(moto, signer, "GetLogEvents", {**names, "startFromHead": True}), "get")
    return [event["message"] for event in json.loads(body)["events"]]


def _queue(moto: MotoServer, signer: Signer, twin: str) -> str:
    """A new queue's URL path, e.g. /123456789012/q-c-1a2b3c4d."""
    answer = query_call(
        moto.server.endpoint,
        signer,
        {"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": unique_name("q", twin)},
    )
    assert answer.status == 200, f"moto CreateQueue: {answer.describe()}"
    (url,) = xml_texts(answer.body, "QueueUrl")
    return urllib.parse.urlsplit(url).path


def _send_message(moto: MotoServer, signer: Signer, queue: str, text: str) -> Wire:
    """SendMessage as a form POSTed to the queue's URL.

    Not as a signed query string (GET): moto re-signs such a call with its parameters
    as a form body, so it refuses botocore's own signature too (observed).
    """
    body = urllib.parse.urlencode(
        {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": text}
    ).encode()
    return signed_wire(signer, "POST", moto.server.endpoint + queue, {"Content-Type": FORM}, body)


def _receive(moto: MotoServer, signer: Signer, queue: str) -> list[tuple[str, str]]:
    """(body, MD5OfBody) of the messages waiting in the queue (made invisible after)."""
    answer = query_call(
        moto.server.endpoint,
        signer,
        {
            "Action": "ReceiveMessage",
            "Version": "2012-11-05",
            "MaxNumberOfMessages": "10",
            "WaitTimeSeconds": "0",
            "VisibilityTimeout": "600",
        },
        path=queue,
    )
    assert answer.status == 200, f"moto ReceiveMessage: {answer.describe()}"
    return list(
        zip(xml_texts(answer.body, "Body"), xml_texts(answer.body, "MD5OfBody"), strict=True)
    )


def _caller_identity(moto: MotoServer, signer: Signer) -> Wire:
    body = urllib.parse.urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    return signed_wire(
        signer,
        "POST",
        moto.server.endpoint + "/",
        {"Content-Type": FORM},
        body.encode(),
    )


# --------------------------------------------------------------------------- happy paths


def test_sts_get_caller_identity(moto: MotoServer, identity: Credentials) -> None:
    body = _ok(_caller_identity(moto, _signer(identity, "sts")), "GetCallerIdentity")
    (arn,) = xml_texts(body, "Arn")
    if identity.session_token is None:
        assert arn == moto.user_arn
    else:
        assert ":assumed-role/" in arn
        assert arn.endswith("/fastsigv4-live")


def test_logs_json_protocol(moto: MotoServer, identity: Credentials, twin: str) -> None:
    signer = _signer(identity, "logs")
    names = _log_stream(moto, signer, twin)
    _ok(_put_events(moto, signer, names, MESSAGES), "PutLogEvents")
    assert _events(moto, signer, names) == MESSAGES
    groups = _ok(
        _logs(moto, signer, "DescribeLogGroups", {"logGroupNamePrefix": names["logGroupName"]}),
        "DescribeLogGroups",
    )
    assert [group["logGroupName"] for group in json.loads(groups)["logGroups"]] == [
        names["logGroupName"]
    ]


def test_sqs_query_protocol(moto: MotoServer, identity: Credentials, twin: str) -> None:
    """SendMessage (form body to the queue URL), ReceiveMessage: bodies and MD5s."""
    signer = _signer(identity, "sqs")
    queue = _queue(moto, signer, twin)
    for text in MESSAGES:
        _ok(_send_message(moto, signer, queue, text), "SendMessage")
    received = _receive(moto, signer, queue)
    assert sorted(body for body, _ in received) == sorted(MESSAGES)
    for body, md5 in received:
        assert md5 == hashlib.md5(body.encode()).hexdigest()


# --------------------------------------------------------------------------- tampering


@dataclass(frozen=True)
class Target:
    """One call to tamper with: how to sign it, and whether it took effect."""

    make: Callable[[Signer], Wire]
    took_effect: Callable[[], bool]
    service: str


def _logs_target(moto: MotoServer, credentials: Credentials, twin: str) -> Target:
    signer = _signer(credentials, "logs")
    names = _log_stream(moto, signer, twin)
    return Target(
        make=lambda s: _put_events(moto, s, names, ["tamper ü"]),
        took_effect=lambda: _events(moto, signer, names) == ["tamper ü"],
        service="logs",
    )


def _sqs_target(moto: MotoServer, credentials: Credentials, twin: str) -> Target:
    signer = _signer(credentials, "sqs")
    queue = _queue(moto, signer, twin)
    return Target(
        make=lambda s: _send_message(moto, s, queue, "tamper ü+&="),
        took_effect=lambda: [body for body, _ in _receive(moto, signer, queue)] == ["tamper ü+&="],
        service="sqs",
    )


def _sts_target(moto: MotoServer, credentials: Credentials, twin: str) -> Target:
    # Read-only: "took effect" is the control's answer, checked by _ok.
    return Target(make=lambda s: _caller_identity(moto, s), took_effect=lambda: True, service="sts")


TARGETS = {"logs": _logs_target, "sqs": _sqs_target, "sts": _sts_target}

Tamper = Callable[[Target, Credentials], Wire]


def _sign(target: Target, credentials: Credentials) -> Wire:
    return target.make(_signer(credentials, target.service))


def _signature(target: Target, credentials: Credentials) -> Wire:
    wire = _sign(target, credentials)
    signature = wire.header("Authorization")[-64:]
    return wire.with_authorization(signature, flip_char(signature, 0))


def _wrong_secret(credentials: Credentials) -> Credentials:
    wrong = random_credentials().secret_access_key
    return Credentials(credentials.access_key_id, wrong, credentials.session_token)


_ADDED_BY_SIGNER = {"Host", "X-Amz-Date", "Authorization", "X-Amz-Security-Token"}


def _other_method_signature(target: Target, credentials: Credentials) -> Wire:
    # The signature is computed for one method and the request sent with the other:
    # sign the same URL, headers and body as the other method, keep the sent method.
    wire = _sign(target, credentials)
    other = "GET" if wire.method == "POST" else "POST"
    signed = _signer(credentials, target.service).sign(
        other,
        wire.url,
        headers=[pair for pair in wire.headers if pair[0] not in _ADDED_BY_SIGNER],
        body=wire.body,
    )
    return replace(wire, headers=signed.headers)


def _content_type(wire: Wire) -> Wire:
    """Another Content-Type of the same protocol (moto answers 500 to a foreign one)."""
    value = wire.header("Content-Type")
    changed = value.partition(";")[0] if ";" in value else value.replace("1.1", "1.0")
    assert changed != value
    return wire.with_header("Content-Type", changed)


def _body_byte(wire: Wire) -> Wire:
    """One byte of the body changed, the call itself kept (same action, valid syntax)."""
    body = wire.body.replace(b"tamper", b"tampeR", 1).replace(b"2011-06-15", b"2011-06-16")
    assert body != wire.body
    return replace(wire, body=body)


TAMPERS: dict[str, tuple[set[str], Tamper]] = {
    "header-host": (
        {"logs", "sqs", "sts"},
        lambda t, c: _sign(t, c).with_header("Host", "localhost:1"),
    ),
    "header-x-amz-date": (
        {"logs", "sqs", "sts"},
        lambda t, c: (w := _sign(t, c)).with_header(
            "X-Amz-Date", shift_amz_date(w.header("X-Amz-Date"), 1)
        ),
    ),
    "header-content-type": (
        {"logs", "sqs", "sts"},
        lambda t, c: _content_type(_sign(t, c)),
    ),
    "header-x-amz-target": (
        {"logs"},
        lambda t, c: _sign(t, c).with_header("X-Amz-Target", "Logs_20140328.PutLogEvent"),
    ),
    "signed-headers-list": (
        {"logs"},
        lambda t, c: _sign(t, c).with_authorization(";x-amz-target", ""),
    ),
    "signature": ({"logs", "sqs", "sts"}, _signature),
    "method": ({"logs", "sqs", "sts"}, _other_method_signature),
    # PEERS.md: moto checks the body against the signature for non-S3 services.
    "body-byte": ({"logs", "sqs", "sts"}, lambda t, c: _body_byte(_sign(t, c))),
    "path-byte": ({"sqs"}, lambda t, c: (w := _sign(t, c)).with_url(flip_char(w.url))),
    "access-key": (
        {"logs", "sqs", "sts"},
        lambda t, c: _sign(t, random_credentials(c.session_token)),
    ),
    "secret": ({"logs", "sqs", "sts"}, lambda t, c: _sign(t, _wrong_secret(c))),
}


def _cases() -> list[object]:
    return [
        pytest.param(target, name, id=f"{target}-{name}")
        for target in TARGETS
        for name, (targets, _) in TAMPERS.items()
        if target in targets
    ]


def _rejected_then_control(target: Target, tampered: Wire, control: Wire, what: str) -> None:
    answer = tampered.send()
    assert answer.status in REJECTED, f"moto accepted {what}: {answer.describe()}"
    if target.service != "sts":
        assert not target.took_effect(), f"moto: {what} took effect"
    _ok(control, f"control of {what}")
    assert target.took_effect(), f"moto: the control of {what} did not take effect"


@pytest.mark.parametrize(("target_name", "tamper"), _cases())
def test_tampered_calls_are_rejected(
    moto: MotoServer, target_name: str, tamper: str, twin: str
) -> None:
    credentials = moto.server.credentials
    target = TARGETS[target_name](moto, credentials, twin)
    _, make = TAMPERS[tamper]
    _rejected_then_control(target, make(target, credentials), _sign(target, credentials), tamper)


@pytest.mark.parametrize("tamper", ["changed", "missing", "other-session"])
@pytest.mark.parametrize("target_name", list(TARGETS))
def test_tampered_session_token_is_rejected(
    moto: MotoServer, moto_session: Credentials, target_name: str, tamper: str, twin: str
) -> None:
    """PEERS.md: moto checks assumed-role session tokens."""
    target = TARGETS[target_name](moto, moto_session, twin)
    control = _sign(target, moto_session)
    token = control.header("X-Amz-Security-Token")
    if tamper == "changed":
        tampered = control.with_header("X-Amz-Security-Token", flip_char(token, 9))
    elif tamper == "missing":
        tampered = control.without_header("X-Amz-Security-Token")
    else:
        other = assume_role(moto.server.endpoint, moto.server.credentials, moto.role_arn)
        tampered = control.with_header("X-Amz-Security-Token", str(other.session_token))
    _rejected_then_control(target, tampered, control, f"session token {tamper}")
