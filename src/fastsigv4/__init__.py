"""fastsigv4: AWS Signature Version 4 signing and presigning at the speed of the hardware.

The core runs on a compiled twin when it was built and importable, else on its
pure-Python twin; ``fastsigv4.IMPLEMENTATION`` says which (``"c"`` or ``"python"``).
"""

from __future__ import annotations

from . import _core
from .credentials import Credentials
from .diagnose import CAUSES, Cause, Diagnosis, LineDifference, diagnose
from .errors import (
    AccessDeniedError,
    AuthorizationHeaderMalformedError,
    AuthorizationQueryParametersError,
    ContentSHA256MismatchError,
    CredentialExpiryWarning,
    IncompleteSignatureError,
    InvalidAccessKeyIdError,
    InvalidRequestError,
    InvalidTokenError,
    MalformedRequestError,
    MissingAuthenticationTokenError,
    RequestLimitExceededError,
    RequestTimeTooSkewedError,
    SignatureDoesNotMatchError,
    SigV4Error,
    UnsupportedSignatureError,
    VerificationError,
)
from .http_message import HttpRequest, parse_http_request
from .s3 import S3Presigner
from .settings import (
    DEFAULT_EXCLUDED_HEADERS,
    DEFAULT_SETTINGS,
    S3_SETTINGS,
    SigningSettings,
    settings_for_service,
)
from .signer import (
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    CredentialExpiryPolicy,
    PresignedRequest,
    SignedRequest,
    Signer,
)
from .verifier import (
    DEFAULT_LIMITS,
    RequestLimits,
    RequestSignature,
    VerifiedRequest,
    Verifier,
    inspect_request,
)

__version__ = "0.1.0"

__all__ = [
    "CAUSES",
    "DEFAULT_EXCLUDED_HEADERS",
    "DEFAULT_LIMITS",
    "DEFAULT_SETTINGS",
    "EMPTY_SHA256",
    "IMPLEMENTATION",
    "S3_SETTINGS",
    "UNSIGNED_PAYLOAD",
    "AccessDeniedError",
    "AuthorizationHeaderMalformedError",
    "AuthorizationQueryParametersError",
    "Cause",
    "ContentSHA256MismatchError",
    "CredentialExpiryPolicy",
    "CredentialExpiryWarning",
    "Credentials",
    "Diagnosis",
    "HttpRequest",
    "IncompleteSignatureError",
    "InvalidAccessKeyIdError",
    "InvalidRequestError",
    "InvalidTokenError",
    "LineDifference",
    "MalformedRequestError",
    "MissingAuthenticationTokenError",
    "PresignedRequest",
    "RequestLimitExceededError",
    "RequestLimits",
    "RequestSignature",
    "RequestTimeTooSkewedError",
    "S3Presigner",
    "SigV4Error",
    "SignatureDoesNotMatchError",
    "SignedRequest",
    "Signer",
    "SigningSettings",
    "UnsupportedSignatureError",
    "VerificationError",
    "VerifiedRequest",
    "Verifier",
    "clear_signing_key_cache",
    "diagnose",
    "inspect_request",
    "parse_http_request",
    "settings_for_service",
]

clear_signing_key_cache = _core.clear_signing_key_cache


def __getattr__(name: str) -> str:
    # Read live from the selector, so it always names the twin in use.
    if name == "IMPLEMENTATION":
        return _core.IMPLEMENTATION
    raise AttributeError(f"module 'fastsigv4' has no attribute {name!r}")
