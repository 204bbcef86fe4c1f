"""S3Presigner: presigned S3 object URLs for raw keys, in bulk.

Everything that does not depend on the key (endpoint, scope, signing key, the fixed
parts of the canonical request and URL) is computed once per timestamp; each key
then costs one encoding, one SHA-256 and one HMAC in the core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from . import _core
from ._time import Timestamp, resolve_timestamp
from .credentials import Credentials
from .errors import InvalidRequestError
from .settings import S3_SETTINGS
from .signer import (
    ALGORITHM,
    _check_credentials,
    _check_expires,
    _check_method,
    _check_scope_part,
    _parse_url,
)

__all__ = ["Addressing", "S3Presigner"]

Addressing = Literal["auto", "virtual", "path"]

# A bucket that can be the first label(s) of a hostname: 3-63 lowercase letters,
# digits, '-' and '.', starting and ending with a letter or digit, not an IPv4 address.
_DNS_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


def _dns_compatible(bucket: str) -> bool:
    return (
        bool(_DNS_BUCKET.fullmatch(bucket)) and ".." not in bucket and not _IPV4.fullmatch(bucket)
    )


class S3Presigner:
    """Presigned URLs for objects of one bucket, signed with S3 rules.

    ``addressing="auto"`` uses the virtual-hosted regional endpoint
    ``https://BUCKET.s3.REGION.amazonaws.com/KEY`` when the bucket is DNS-compatible
    without dots, else path style ``https://s3.REGION.amazonaws.com/BUCKET/KEY``
    (``amazonaws.com.cn`` for ``cn-`` regions). With ``endpoint`` (for S3-compatible
    servers, e.g. ``"http://127.0.0.1:9000"``) "auto" means path style on it.
    ``timestamp`` fixes the signing time; by default the current time is read on
    every call (one timestamp per batch).
    """

    __slots__ = (
        "_bucket",
        "_credentials",
        "_expires",
        "_host",
        "_kernel_cache",
        "_method",
        "_path_prefix",
        "_region",
        "_timestamp",
        "_url_prefix",
    )

    def __init__(
        self,
        credentials: Credentials,
        region: str,
        bucket: str,
        *,
        endpoint: str | None = None,
        addressing: Addressing = "auto",
        method: str = "GET",
        expires: int = 3600,
        timestamp: Timestamp = None,
    ) -> None:
        self._credentials = _check_credentials(credentials)
        self._region = _check_scope_part("region", region)
        if not isinstance(bucket, str) or not bucket or "/" in bucket:
            raise InvalidRequestError(f"bucket {bucket!r} must be a non-empty str without '/'")
        self._bucket = bucket
        if addressing not in ("auto", "virtual", "path"):
            raise InvalidRequestError(
                f"addressing must be 'auto', 'virtual' or 'path', not {addressing!r}"
            )
        self._method = _check_method(method)
        self._expires = _check_expires(expires, S3_SETTINGS.max_expires)
        if timestamp is not None:
            resolve_timestamp(timestamp)  # reject a bad timestamp now, not at first use
        self._timestamp = timestamp

        if endpoint is None:
            domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
            origin, host, base_path = (
                "https://s3." + region + "." + domain,
                "s3." + region + "." + domain,
                "",
            )
            virtual = addressing == "virtual" or (
                addressing == "auto" and _dns_compatible(bucket) and "." not in bucket
            )
        else:
            parsed = _parse_url(endpoint)
            if parsed.query or "?" in endpoint:
                raise InvalidRequestError(f"endpoint {endpoint!r} must not carry a query")
            origin, host = parsed.origin, parsed.host
            base_path = _core.canonical_path(parsed.path, False, False).rstrip("/")
            virtual = addressing == "virtual"
        if virtual:
            if _IPV4.fullmatch(host.rpartition(":")[0] or host) or host.startswith("["):
                raise InvalidRequestError(
                    f"endpoint host {host!r} is an IP address, so the bucket cannot be a "
                    "hostname label (virtual-hosted style); use addressing='path' or 'auto'"
                )
            if not _dns_compatible(bucket):
                raise InvalidRequestError(
                    f"bucket {bucket!r} is not DNS-compatible, so it cannot be addressed "
                    "virtual-hosted style; use addressing='path' or 'auto'"
                )
            scheme, _, authority = origin.partition("://")
            userinfo, at, _ = authority.rpartition("@")
            host = bucket + "." + host
            origin = scheme + "://" + userinfo + at + host
            path_prefix = base_path + "/"
        else:
            path_prefix = base_path + "/" + _core.uri_encode(bucket) + "/"
        self._host = host
        self._path_prefix = path_prefix
        self._url_prefix = origin + path_prefix
        self._kernel_cache: tuple[str, _core.PresignKernel] | None = None

    @property
    def bucket(self) -> str:
        return self._bucket

    def __repr__(self) -> str:
        return (
            f"S3Presigner(url_prefix={self._url_prefix!r}, region={self._region!r}, "
            f"method={self._method!r}, expires={self._expires}, "
            f"access_key_id={self._credentials.access_key_id!r})"
        )

    def _kernel(self) -> _core.PresignKernel:
        amz_date, _ = resolve_timestamp(self._timestamp)
        cached = self._kernel_cache
        if cached is not None and cached[0] == amz_date:
            return cached[1]
        credentials = self._credentials
        date = amz_date[:8]
        scope = date + "/" + self._region + "/s3/aws4_request"
        parameters = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", credentials.access_key_id + "/" + scope),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(self._expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if credentials.session_token is not None:
            parameters.append(("X-Amz-Security-Token", credentials.session_token))
        query = _core.canonical_query("", parameters)
        kernel = _core.PresignKernel(
            _core.signing_key(
                credentials.access_key_id, credentials.secret_access_key, date, self._region, "s3"
            ),
            self._url_prefix,
            self._method + "\n" + self._path_prefix,
            "\n" + query + "\nhost:" + self._host + "\n\nhost\nUNSIGNED-PAYLOAD",
            ALGORITHM + "\n" + amz_date + "\n" + scope + "\n",
            "?" + query + "&X-Amz-Signature=",
        )
        self._kernel_cache = (amz_date, kernel)
        return kernel

    def presign(self, key: str) -> str:
        """The presigned URL of one raw object key (encoded exactly once, '/' kept)."""
        return self._kernel().presign(key)

    def presign_many(self, keys: Iterable[str]) -> list[str]:
        """Presigned URLs of many raw object keys, in input order, one timestamp for all."""
        return self._kernel().presign_many(keys)
