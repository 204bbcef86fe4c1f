"""Presign lint: a presigned URL cannot outlive its credentials.

``effective_expires_at`` is the earlier of X-Amz-Date + X-Amz-Expires and the
credentials' expiration; ``on_credential_expiry`` warns, clamps or raises when the
credentials expire first. Every test runs on both core twins.
"""

from __future__ import annotations

import pickle
import warnings
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from fastsigv4 import Credentials, InvalidRequestError, S3Presigner, Signer
from fastsigv4.errors import AccessDeniedError, CredentialExpiryWarning
from fastsigv4.verifier import Verifier

SIGNED_AT = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
TIMESTAMP = "20240601T120000Z"
ACCESS_KEY = "ASIAEXAMPLE"
SECRET = "secret/key+example"
TOKEN = "session-token-example"
URL = "https://bucket.s3.us-east-1.amazonaws.com/report.csv"


def credentials(expires_in: float | None) -> Credentials:
    expiration = None if expires_in is None else SIGNED_AT + timedelta(seconds=expires_in)
    return Credentials(ACCESS_KEY, SECRET, TOKEN, expiration)


def x_amz_expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


@pytest.mark.parametrize("expires_in", [None, 3600, 86400])
def test_credentials_that_outlive_the_url_change_nothing(expires_in: int | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        presigned = Signer(credentials(expires_in), "us-east-1", "s3").presign(
            "GET", URL, expires=3600, timestamp=TIMESTAMP
        )
    assert presigned.expires_at == SIGNED_AT + timedelta(seconds=3600)
    assert presigned.effective_expires_at == presigned.expires_at
    assert x_amz_expires(presigned.url) == 3600


def test_warn_is_the_default() -> None:
    signer = Signer(credentials(1800), "us-east-1", "s3")
    with pytest.warns(CredentialExpiryWarning, match="expire at 2024-06-01T12:30:00Z") as caught:
        presigned = signer.presign("GET", URL, expires=3600, timestamp=TIMESTAMP)
    assert x_amz_expires(presigned.url) == 3600
    assert presigned.expires_at == SIGNED_AT + timedelta(seconds=3600)
    assert presigned.effective_expires_at == SIGNED_AT + timedelta(seconds=1800)
    message = str(caught[0].message)
    assert "on_credential_expiry='clamp'" in message
    assert SECRET not in message
    assert TOKEN not in message
    # The warning points at the caller's line, not into the library.
    assert caught[0].filename == __file__


def test_clamp_signs_the_time_that_is_left() -> None:
    signer = Signer(credentials(1800.75), "us-east-1", "s3", on_credential_expiry="clamp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        presigned = signer.presign("GET", URL, expires=3600, timestamp=TIMESTAMP)
    assert x_amz_expires(presigned.url) == 1800
    assert presigned.expires_at == presigned.effective_expires_at
    assert presigned.effective_expires_at == SIGNED_AT + timedelta(seconds=1800)
    # A server agrees: valid until the credentials' last whole second, then expired.
    lookup = {ACCESS_KEY: credentials(None)}
    Verifier(lookup, clock=lambda: SIGNED_AT + timedelta(seconds=1800)).verify("GET", presigned.url)
    late = Verifier(lookup, clock=lambda: SIGNED_AT + timedelta(seconds=1801))
    with pytest.raises(AccessDeniedError, match="Request has expired: X-Amz-Expires 1800"):
        late.verify("GET", presigned.url)


def test_raise_refuses() -> None:
    signer = Signer(credentials(1800), "us-east-1", "s3", on_credential_expiry="raise")
    with pytest.raises(InvalidRequestError, match=r"pass expires <= 1800") as caught:
        signer.presign("GET", URL, expires=3600, timestamp=TIMESTAMP)
    assert TOKEN not in str(caught.value)
    assert signer.presign("GET", URL, expires=1800, timestamp=TIMESTAMP).url


@pytest.mark.parametrize("policy", ["warn", "clamp", "raise"])
@pytest.mark.parametrize("expires_in", [0, -60, 0.5])
def test_expired_credentials_are_refused_under_every_policy(policy: str, expires_in: float) -> None:
    signer = Signer(credentials(expires_in), "us-east-1", "s3", on_credential_expiry=policy)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="never works"):
        signer.presign("GET", URL, timestamp=TIMESTAMP)
    presigner = S3Presigner(
        credentials(expires_in),
        "us-east-1",
        "bucket",
        timestamp=TIMESTAMP,
        on_credential_expiry=policy,  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidRequestError, match="never works"):
        presigner.presign("key")


def test_header_signing_is_not_linted() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Signer(credentials(60), "us-east-1", "s3").sign("GET", URL, timestamp=TIMESTAMP)


def test_presign_many_warns_once_and_carries_the_effective_expiry() -> None:
    signer = Signer(credentials(600), "us-east-1", "s3")
    with pytest.warns(CredentialExpiryWarning) as caught:
        many = signer.presign_many("GET", [URL, URL + "2", URL + "3"], timestamp=TIMESTAMP)
    assert {request.effective_expires_at for request in many} == {
        SIGNED_AT + timedelta(seconds=600)
    }
    assert len(caught) >= 1


@pytest.mark.parametrize("policy", ["clamp", "raise", "warn"])
def test_s3_presigner_policies(policy: str) -> None:
    presigner = S3Presigner(
        credentials(900),
        "us-east-1",
        "bucket",
        expires=3600,
        timestamp=TIMESTAMP,
        on_credential_expiry=policy,  # type: ignore[arg-type]
    )
    assert presigner.effective_expires_at() == SIGNED_AT + timedelta(seconds=900)
    if policy == "raise":
        with pytest.raises(InvalidRequestError, match="expires <= 900"):
            presigner.presign_many(["a", "b"])
        return
    if policy == "clamp":
        urls = presigner.presign_many(["a", "b"])
        assert [x_amz_expires(url) for url in urls] == [900, 900]
        return
    with pytest.warns(CredentialExpiryWarning):
        urls = presigner.presign_many(["a", "b"])
    assert [x_amz_expires(url) for url in urls] == [3600, 3600]


def test_s3_presigner_effective_expiry_without_expiration() -> None:
    presigner = S3Presigner(credentials(None), "us-east-1", "bucket", expires=60)
    assert presigner.effective_expires_at(TIMESTAMP) == SIGNED_AT + timedelta(seconds=60)


def test_bad_policy_and_pickling() -> None:
    with pytest.raises(InvalidRequestError, match="on_credential_expiry"):
        Signer(credentials(None), "us-east-1", "s3", on_credential_expiry="ignore")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="on_credential_expiry"):
        S3Presigner(credentials(None), "us-east-1", "b", on_credential_expiry="x")  # type: ignore[arg-type]
    signer = Signer(credentials(100), "us-east-1", "s3", on_credential_expiry="clamp")
    copy = pickle.loads(pickle.dumps(signer))
    presigned = copy.presign("GET", URL, timestamp=TIMESTAMP)
    assert x_amz_expires(presigned.url) == 100
