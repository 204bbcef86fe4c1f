# Type stub of the compiled twin (built from _ext/_core_c.pyx); mirrors _core_py.
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, TypeVar

from ._core_py import PresignedParts, PresignedReading, RequestLimitNumbers, VerifyPolicy
from .settings import SigningSettings

IMPLEMENTATION: Final[str]
SHA256_IMPLEMENTATION: Final[str]

def uri_encode(value: str, keep_slash: bool = False) -> str: ...
def canonical_path(path: str, double_encode: bool, normalize: bool) -> str: ...
def canonical_query(query: str, extra: Sequence[tuple[str, str]] = ()) -> str: ...
def trimall(name: str, value: str) -> str: ...
def canonical_headers(headers: Sequence[tuple[str, str]]) -> tuple[str, str]: ...
def sha256_hex(data: bytes) -> str: ...
def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str: ...

class SigningKey:
    def __init__(self, key: bytes) -> None: ...
    def sign(self, message: str) -> str: ...
    def matches(self, message: str, signature: str) -> bool: ...

def signing_key(
    access_key_id: str, secret_access_key: str, date: str, region: str, service: str
) -> SigningKey: ...
def clear_signing_key_cache() -> None: ...

_Record = TypeVar("_Record")

def template_key(twin: str, url: object, headers: object) -> tuple[str, ...] | None: ...
def sign_request(
    key: SigningKey,
    method: str,
    segments: Sequence[str],
    amz_date: str,
    payload: bytes | str,
    scope: str,
    credential: str,
    signed_names: str,
    headers: tuple[tuple[str, str], ...],
    make: Callable[..., _Record],
    url: object,
    session_token: object,
) -> _Record: ...
def record_maker(cls: type[_Record]) -> Callable[..., _Record]: ...

class PresignKernel:
    def __init__(
        self,
        signing_key: SigningKey,
        url_prefix: str,
        canonical_prefix: str,
        canonical_suffix: str,
        sts_prefix: str,
        query: str,
    ) -> None: ...
    def presign(self, key: str) -> str: ...
    def presign_many(self, keys: Iterable[str]) -> list[str]: ...
    def presign_lines(self, data: bytes, first_line: int = 1) -> tuple[bytes, int]: ...

# Reading received requests (the verifier).
def split_url(url: str) -> tuple[str, str, str, str]: ...
def presigned_parts(query: str, drop_token: bool = False) -> PresignedParts: ...
def amz_date_seconds(text: str) -> int | None: ...
def request_to_sign(
    method: str,
    path: str,
    double_encode: bool,
    normalize: bool,
    query: str,
    headers: Mapping[str, Sequence[str]],
    signed_headers: Sequence[str],
    payload_hash: str,
    amz_date: str,
    scope: str,
) -> tuple[str, str]: ...

# The verifier's fast lane.
def read_presigned(
    method: str,
    url: str,
    headers: object,
    settings: SigningSettings | None,
    limits: RequestLimitNumbers,
) -> PresignedReading | None: ...
def verify_presigned(
    method: str,
    url: str,
    headers: object,
    settings: SigningSettings | None,
    limits: RequestLimitNumbers,
    policy: VerifyPolicy,
    now: float,
) -> tuple[object, ...] | None: ...
