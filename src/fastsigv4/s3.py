"""S3Presigner: presigned S3 object URLs for raw keys, in bulk.

Everything that does not depend on the key (endpoint, scope, signing key, the fixed
parts of the canonical request and URL) is computed once per timestamp; each key
then costs one encoding, one SHA-256 and one HMAC in the core.

Bulk: ``presign_many`` (a list), ``presign_iter`` (lazily, in constant memory),
``presign_parallel`` / ``presign_parallel_iter`` (batches on threads: the compiled core
signs without holding the GIL, so they scale with cores; the pure twin holds the GIL
throughout, so there they are correct but no faster) and ``presign_lines`` (bytes of
newline-separated keys in, bytes of URL lines out: no Python object per key).
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from datetime import datetime
from itertools import chain, islice
from typing import Literal

from . import _core
from ._time import Timestamp, resolve_timestamp
from .credentials import Credentials
from .errors import InvalidRequestError
from .settings import S3_SETTINGS
from .signer import (
    ALGORITHM,
    CredentialExpiryPolicy,
    _check_credentials,
    _check_expires,
    _check_expiry_policy,
    _check_method,
    _check_scope_part,
    _parse_url,
    expiry_time,
    presign_lifetime,
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


DEFAULT_BATCH_SIZE = 8192
# presign_parallel splits a list or tuple into more batches than batch_size asks for, to
# keep every worker busy, only down to this many keys a batch: below it a thread costs
# more than it saves.
_MIN_SPLIT = 1024


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidRequestError(f"batch_size must be an int >= 1, not {batch_size!r}")
    return batch_size


def _check_workers(workers: int | None) -> int:
    """The number of threads to sign on: 1 when threads cannot sign at once.

    The pure twin's kernel holds the GIL while it signs, so on an interpreter with a GIL
    its threads would only take turns, and pay for the handovers (measured on two cores:
    two threads took 1.1 to 1.7 times as long as one).
    """
    if workers is None:
        workers = os.cpu_count() or 1
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidRequestError(f"workers must be an int >= 1 or None, not {workers!r}")
    if _core.IMPLEMENTATION == "python" and getattr(sys, "_is_gil_enabled", lambda: True)():
        return 1
    return workers


def _batches(keys: Iterator[str], size: int) -> Iterator[list[str]]:
    """Lists of up to ``size`` keys drawn from ``keys``, in order.

    If drawing raises, the keys drawn before the failure still come out as a last batch
    and the exception is raised when the next batch is asked for, so a caller reports
    an invalid key drawn before the failure first, as a plain loop would.
    """
    while True:
        batch: list[str] = []
        failure: Exception | None = None
        try:
            batch.extend(islice(keys, size))  # keeps what it drew if the iterable raises
        except Exception as exc:
            failure = exc
        if batch:
            yield batch
        if failure is not None:
            raise failure
        if len(batch) < size:
            return


def _spans(total: int, batch_size: int, workers: int) -> list[tuple[int, int]]:
    """[start, stop) ranges cutting ``total`` keys into equal batches of at most
    ``batch_size``: as many as needed but at least one per worker (each of at least
    _MIN_SPLIT keys) and, past that, a multiple of ``workers``, so that every worker gets
    the same share."""
    count = max(-(-total // batch_size), min(workers, total // _MIN_SPLIT), 1)
    if count > workers:
        count = -(-count // workers) * workers
    return [(total * index // count, total * (index + 1) // count) for index in range(count)]


def _presign_spans(
    kernel: _core.PresignKernel,
    keys: Sequence[str],
    spans: list[tuple[int, int]],
    workers: int,
) -> list[str]:
    """``kernel.presign_many(keys)``, each span on a pool thread.

    The pool threads also slice their keys and put their URLs in place, so the calling
    thread only waits: with the compiled core, that work overlaps the other threads'
    signing instead of preceding and following it.
    """
    urls = [""] * len(keys)

    def presign_span(start: int, stop: int) -> None:
        part = kernel.presign_many(keys[start:stop])
        if len(part) != stop - start:  # another thread resized the caller's list
            raise RuntimeError("keys changed size during presign_parallel")
        urls[start:stop] = part

    with ThreadPoolExecutor(workers, thread_name_prefix="fastsigv4-presign") as pool:
        futures = [pool.submit(presign_span, start, stop) for start, stop in spans]
        try:
            for future in futures:  # in input order: the first invalid key's error
                future.result()
        finally:
            for future in futures:
                future.cancel()
    return urls


def _until_invalid(kernel: _core.PresignKernel, batch: Iterable[str]) -> Iterator[str]:
    """The URLs of a batch's keys up to its invalid key, then that key's error.

    A generator, so it is finished once it has raised (as a loop of presign calls is).
    """
    for key in batch:
        yield kernel.presign(key)


class S3Presigner:
    """Presigned URLs for objects of one bucket, signed with S3 rules.

    ``addressing="auto"`` uses the virtual-hosted regional endpoint
    ``https://BUCKET.s3.REGION.amazonaws.com/KEY`` when the bucket is DNS-compatible
    without dots, else path style ``https://s3.REGION.amazonaws.com/BUCKET/KEY``
    (``amazonaws.com.cn`` for ``cn-`` regions). With ``endpoint`` (for S3-compatible
    servers, e.g. ``"http://127.0.0.1:9000"``) "auto" means path style on it.
    ``timestamp`` fixes the signing time; by default the current time is read on
    every call (one timestamp per batch). ``on_credential_expiry`` says what happens
    when temporary credentials expire before the URLs would ("warn", "clamp" or
    "raise", as for ``Signer``).
    """

    __slots__ = (
        "_bucket",
        "_credentials",
        "_expires",
        "_host",
        "_kernel_cache",
        "_method",
        "_on_credential_expiry",
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
        on_credential_expiry: CredentialExpiryPolicy = "warn",
    ) -> None:
        self._credentials = _check_credentials(credentials)
        self._on_credential_expiry = _check_expiry_policy(on_credential_expiry)
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

    def effective_expires_at(self, timestamp: Timestamp = None) -> datetime:
        """When URLs presigned at ``timestamp`` (default: the presigner's, or now) stop
        working: the signing time plus ``expires``, or the credentials' expiration when
        that comes first."""
        _, signing_time = resolve_timestamp(self._timestamp if timestamp is None else timestamp)
        expires_at = expiry_time(signing_time, self._expires)
        expiration = self._credentials.expiration
        return expires_at if expiration is None else min(expires_at, expiration)

    def _kernel(self) -> _core.PresignKernel:
        amz_date, signing_time = resolve_timestamp(self._timestamp)
        cached = self._kernel_cache
        if cached is not None and cached[0] == amz_date:
            return cached[1]
        credentials = self._credentials
        expires, _ = presign_lifetime(
            signing_time, self._expires, credentials, self._on_credential_expiry
        )
        date = amz_date[:8]
        scope = date + "/" + self._region + "/s3/aws4_request"
        parameters = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", credentials.access_key_id + "/" + scope),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires)),
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

    def presign_lines(self, data: bytes, first_line: int = 1) -> tuple[bytes, int]:
        """The presigned URLs of a block of keys, one per line: (the URLs as one block of
        UTF-8 lines, each URL and "\n", in input order; how many URLs), one timestamp for
        the block.

        ``data`` holds UTF-8 keys separated by "\n" (a last line without one counts); a
        trailing "\r" is dropped and blank lines are skipped, as in ``presign-bulk``
        input. No Python object is made per key, and the compiled core holds no GIL while
        it works, so blocks can be presigned on threads. A line that is not UTF-8 is an
        InvalidRequestError naming it, counting ``data``'s first line as ``first_line``
        (to number lines across the blocks of a longer input).
        """
        if isinstance(first_line, bool) or not isinstance(first_line, int) or first_line < 1:
            raise InvalidRequestError(f"first_line must be an int >= 1, not {first_line!r}")
        return self._kernel().presign_lines(data, first_line)

    def presign_iter(
        self, keys: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[str]:
        """Presigned URLs of raw object keys, lazily, in input order, in constant memory.

        ``keys`` may be any iterable, even an endless one: ``batch_size`` keys at a time
        are drawn from it and presigned with one ``presign_many`` call, then their URLs
        are handed out. With ``timestamp=None`` the time is read once per batch (each URL
        carries the time its batch was signed), not once for the whole stream.

        Yields exactly what ``(presigner.presign(key) for key in keys)`` would (with a
        fixed timestamp): an invalid key raises its InvalidRequestError once the URLs of
        the keys before it have been yielded, and an exception from the iterable itself
        is raised after the URLs of the keys drawn before it. Keys are drawn up to one
        batch ahead of the URLs handed out.
        """
        size = _check_batch_size(batch_size)
        return chain.from_iterable(self._presign_batches(_batches(iter(keys), size), 1, None))

    def presign_parallel(
        self,
        keys: Iterable[str],
        workers: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> list[str]:
        """``presign_many(keys)`` on ``workers`` threads: the same URLs in the same order.

        The compiled core signs without holding the GIL, so threads run on separate cores
        (``workers`` defaults to ``os.cpu_count()``). The pure-Python twin holds the GIL
        while it signs, so with it (on an interpreter with a GIL) the keys are signed on
        the calling thread: this is ``presign_many``. One timestamp for the whole call.

        A list or tuple is cut into equal batches of at most ``batch_size`` keys (at least
        one per worker when it is long enough); any other iterable is drawn ``batch_size``
        keys at a time while earlier batches are being signed (so an iterator shorter than
        a few batches gains little: pass a list, or a smaller ``batch_size``). Raises what
        ``presign_many(keys)`` would: the error of the first invalid key, or the
        iterable's own exception if it fails before any.
        """
        size = _check_batch_size(batch_size)
        count = _check_workers(workers)
        kernel = self._kernel()
        if count == 1:
            return kernel.presign_many(keys)
        if type(keys) is list or type(keys) is tuple:
            spans = _spans(len(keys), size, count)
            if len(spans) == 1:
                return kernel.presign_many(keys)
            return _presign_spans(kernel, keys, spans, min(count, len(spans)))
        urls: list[str] = []
        batches = _batches(iter(keys), size)
        with closing(self._presign_batches(batches, count, kernel)) as parts:
            for part in parts:
                urls.extend(part)
        return urls

    def presign_parallel_iter(
        self,
        keys: Iterable[str],
        workers: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Iterator[str]:
        """``presign_iter(keys, batch_size)`` with batches signed on ``workers`` threads.

        The same URLs in the same order, raised errors included; like ``presign_parallel``
        it uses no thread when the core in use holds the GIL while it signs. At most
        ``2 * workers + 1`` batches are drawn ahead of the URLs handed out, so memory stays
        bounded for any input length. As in ``presign_iter`` the time is read once per
        batch (when it is drawn) if ``timestamp`` is None.
        """
        size = _check_batch_size(batch_size)
        count = _check_workers(workers)
        return chain.from_iterable(self._presign_batches(_batches(iter(keys), size), count, None))

    def _presign_batches(
        self,
        batches: Iterable[Sequence[str]],
        workers: int,
        kernel: _core.PresignKernel | None,
    ) -> Generator[Iterable[str], None, None]:
        """Each batch's URLs, in order, signed by ``kernel``, else by the current
        timestamp's kernel per batch. Past one worker, batches are signed on a thread pool,
        at most 2 * workers + 1 of them drawn ahead.

        A batch with an invalid key comes out as _until_invalid and ends the batches, and
        an exception from ``batches`` is raised after the batches drawn before it, so the
        URLs flattened are those of a loop of presign calls, up to the same error. Closing
        this generator (dropping it does) cancels what is queued and joins the threads.
        """
        if workers == 1:
            for batch in batches:
                current = self._kernel() if kernel is None else kernel
                try:
                    urls = current.presign_many(batch)
                except InvalidRequestError:
                    yield _until_invalid(current, batch)
                    return
                yield urls
            return
        source = iter(batches)
        pending: deque[tuple[_core.PresignKernel, Sequence[str], Future[list[str]]]] = deque()
        failure: Exception | None = None
        with ThreadPoolExecutor(workers, thread_name_prefix="fastsigv4-presign") as pool:
            try:
                while True:
                    drawn: Sequence[str] | None = None
                    try:
                        drawn = next(source)
                    except StopIteration:
                        pass
                    except Exception as exc:  # the iterable failed: earlier batches first
                        failure = exc
                    if drawn is not None:
                        current = self._kernel() if kernel is None else kernel
                        pending.append((current, drawn, pool.submit(current.presign_many, drawn)))
                    # The oldest batch once the window is full; at the end, all of them.
                    while pending and (drawn is None or len(pending) > 2 * workers):
                        current, done, future = pending.popleft()
                        try:
                            urls = future.result()
                        except InvalidRequestError:
                            yield _until_invalid(current, done)
                            return
                        yield urls
                    if drawn is None:
                        break
            finally:
                for _, _, future in pending:  # on an error or an abandoned iterator
                    future.cancel()
        if failure is not None:
            raise failure
