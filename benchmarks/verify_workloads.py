"""W5: server-side verification (``fastsigv4.verifier.Verifier.verify``), on both twins.

- **W5**: verify one presigned S3 GET URL per call, a different URL each call: the W1
  URLs (``S3Presigner.presign_many`` over ``workloads.KEYS``, ~330 characters, signed
  headers ``host`` only), received without headers.
- **W5-header**: verify the W2 request (a header-signed CloudWatch Logs ``POST`` with its
  1 KiB body) as received: its URL, headers and body.

No peer verifies SigV4 requests, so the reference is fastsigv4's own presigning
(``W1-batch``) in the same run. The verifier's clock is frozen ten minutes after the
signing time (``workloads.SIGNING_TIME``) with a C-level callable, so reading it costs
what ``time.time`` costs. Each participant first checks that it accepts the requests
and rejects a tampered one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType

import workloads as w
from fastsigv4 import S3Presigner, Signer, _core, _core_py
from fastsigv4.errors import SignatureDoesNotMatchError
from fastsigv4.verifier import VerifiedRequest, Verifier

VERIFY_TIME = (w.SIGNING_TIME + timedelta(minutes=10)).timestamp()


def frozen_clock() -> Callable[[], float]:
    """A clock stuck at VERIFY_TIME; a C callable (no Python frame per call)."""
    return itertools.repeat(VERIFY_TIME).__next__


@dataclass(frozen=True)
class VerifyParticipant:
    name: str
    twin: ModuleType
    verifier: Verifier
    urls: list[str]  # W5: presigned GET URLs, one per key of workloads.KEYS
    header_request: tuple[str, str, tuple[tuple[str, str], ...], bytes]  # W5-header

    def context(self) -> object:
        return _core.using(self.twin)

    def verify_url(self, url: str) -> VerifiedRequest:
        return self.verifier.verify("GET", url)

    def verify_header_request(self) -> VerifiedRequest:
        method, url, headers, body = self.header_request
        return self.verifier.verify(method, url, headers, body)


_urls: list[str] = []


def presigned_urls(count: int = w.N_KEYS) -> list[str]:
    """The W1 URLs of the first ``count`` keys (both twins presign them byte for byte the
    same; the compiled one is used when built, as it is faster under valgrind too)."""
    if len(_urls) < count:
        twin = _core.compiled_twin() or _core_py
        with _core.using(twin):
            presigner = S3Presigner(
                w.CREDENTIALS, w.REGION, w.BUCKET, timestamp=w.AMZ_DATE, expires=w.EXPIRES
            )
            _urls[:] = presigner.presign_many(w.KEYS[:count])
    return _urls[:count]


def header_request() -> tuple[str, str, tuple[tuple[str, str], ...], bytes]:
    signer = Signer(w.CREDENTIALS, w.REGION, w.LOGS_SERVICE)
    signed = signer.sign("POST", w.LOGS_URL, w.LOG_HEADERS, w.LOG_BODY, timestamp=w.AMZ_DATE)
    return "POST", signed.url, signed.headers, w.LOG_BODY


def participants(count: int = w.N_KEYS) -> list[VerifyParticipant]:
    """Both twins (the compiled one when it is built) with the W5 URLs of the first
    ``count`` keys, checked: they accept the W5 and W5-header requests and reject a URL
    with one signature byte changed."""
    twins = [("fastsigv4 python", _core_py)]
    compiled = _core.compiled_twin()
    if compiled is not None:
        twins.insert(0, ("fastsigv4 c", compiled))
    result = []
    for name, twin in twins:
        verifier = Verifier({w.ACCESS_KEY_ID: w.SECRET_ACCESS_KEY}, clock=frozen_clock())
        participant = VerifyParticipant(
            name, twin, verifier, presigned_urls(count), header_request()
        )
        check(participant)
        result.append(participant)
    return result


def check(participant: VerifyParticipant, urls: Sequence[str] | None = None) -> None:
    """Raise AssertionError unless the participant verifies what it must and nothing else."""
    urls = participant.urls[:200] if urls is None else urls
    with _core.using(participant.twin):
        for url in urls:
            verified = participant.verify_url(url)
            assert verified.access_key_id == w.ACCESS_KEY_ID, verified
            assert verified.expires_at == w.SIGNING_TIME + timedelta(seconds=w.EXPIRES)
        assert participant.verify_header_request().auth_type == "header"
        tampered = urls[0][:-1] + ("0" if urls[0][-1] != "0" else "1")
        try:
            participant.verify_url(tampered)
        except SignatureDoesNotMatchError:
            pass
        else:
            raise AssertionError(f"{participant.name} accepted a tampered URL")
