"""fastsigv4: AWS Signature Version 4 signing and presigning at the speed of the hardware.

The core runs on a compiled twin when it was built and importable, else on its
pure-Python twin; ``fastsigv4.IMPLEMENTATION`` says which (``"c"`` or ``"python"``).
"""

from __future__ import annotations

from . import _core
from .credentials import Credentials
from .errors import InvalidRequestError, SigV4Error
from .s3 import S3Presigner
from .settings import (
    DEFAULT_EXCLUDED_HEADERS,
    DEFAULT_SETTINGS,
    S3_SETTINGS,
    SigningSettings,
    settings_for_service,
)
from .signer import EMPTY_SHA256, UNSIGNED_PAYLOAD, PresignedRequest, SignedRequest, Signer

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_EXCLUDED_HEADERS",
    "DEFAULT_SETTINGS",
    "EMPTY_SHA256",
    "IMPLEMENTATION",
    "S3_SETTINGS",
    "UNSIGNED_PAYLOAD",
    "Credentials",
    "InvalidRequestError",
    "PresignedRequest",
    "S3Presigner",
    "SigV4Error",
    "SignedRequest",
    "Signer",
    "SigningSettings",
    "clear_signing_key_cache",
    "settings_for_service",
]

clear_signing_key_cache = _core.clear_signing_key_cache


def __getattr__(name: str) -> str:
    # Read live from the selector, so it always names the twin in use.
    if name == "IMPLEMENTATION":
        return _core.IMPLEMENTATION
    raise AttributeError(f"module 'fastsigv4' has no attribute {name!r}")
