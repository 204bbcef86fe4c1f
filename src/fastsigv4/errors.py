"""One exception hierarchy for everything fastsigv4 rejects.

Messages say what is wrong and how to fix it, and never contain a secret key,
a signing key or a session token.

``InvalidRequestError``: a request, settings or credentials that cannot be signed.
``VerificationError`` and its subclasses: a signed request that does not verify; each
carries the error ``code`` and HTTP ``status`` AWS answers with, so a server can send
them on as they are.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDeniedError",
    "AuthorizationHeaderMalformedError",
    "AuthorizationQueryParametersError",
    "ContentSHA256MismatchError",
    "CredentialExpiryWarning",
    "IncompleteSignatureError",
    "InvalidAccessKeyIdError",
    "InvalidRequestError",
    "InvalidTokenError",
    "MalformedRequestError",
    "MissingAuthenticationTokenError",
    "RequestLimitExceededError",
    "RequestTimeTooSkewedError",
    "SigV4Error",
    "SignatureDoesNotMatchError",
    "UnsupportedSignatureError",
    "VerificationError",
]


class SigV4Error(Exception):
    """Root of every error fastsigv4 raises on bad input."""


class InvalidRequestError(SigV4Error, ValueError):
    """The request, settings or credentials cannot be signed as given."""


class CredentialExpiryWarning(UserWarning):
    """A presigned URL outlives the temporary credentials it was signed with.

    AWS refuses the URL once the credentials expire, whatever its X-Amz-Expires says.
    """


class VerificationError(SigV4Error):
    """A request's signature was checked and rejected.

    ``code`` is the AWS error code (``SignatureDoesNotMatch``, ...) and ``status`` the
    HTTP status AWS answers it with; ``str(error)`` is the message AWS would give.
    """

    code: ClassVar[str] = "AccessDenied"
    status: ClassVar[int] = 403


class SignatureDoesNotMatchError(VerificationError):
    """The signature differs from the one computed with the access key's secret.

    ``canonical_request`` and ``string_to_sign`` are what the verifier computed, as in
    the body of AWS's SignatureDoesNotMatch error; the client compares them with its own.
    """

    code = "SignatureDoesNotMatch"
    status = 403

    def __init__(self, message: str, canonical_request: str, string_to_sign: str) -> None:
        super().__init__(message)
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


class AccessDeniedError(VerificationError):
    """A presigned URL used outside its validity window (expired, or not yet valid)."""

    code = "AccessDenied"
    status = 403


class RequestTimeTooSkewedError(VerificationError):
    """A header-signed request whose X-Amz-Date is too far from the server's clock."""

    code = "RequestTimeTooSkewed"
    status = 403


class AuthorizationHeaderMalformedError(VerificationError):
    """The Authorization header or its credential scope cannot be accepted."""

    code = "AuthorizationHeaderMalformed"
    status = 400


class AuthorizationQueryParametersError(VerificationError):
    """The X-Amz-* query parameters of a presigned URL cannot be accepted."""

    code = "AuthorizationQueryParametersError"
    status = 400


class IncompleteSignatureError(VerificationError):
    """A required signing element (a header that must be signed, a field) is missing."""

    code = "IncompleteSignature"
    status = 400


class InvalidAccessKeyIdError(VerificationError):
    """The access key id is not known to the verifier."""

    code = "InvalidAccessKeyId"
    status = 403


class ContentSHA256MismatchError(VerificationError):
    """X-Amz-Content-SHA256 is not the SHA-256 of the body received."""

    code = "XAmzContentSHA256Mismatch"
    status = 400


class InvalidTokenError(VerificationError):
    """The session token is missing, unexpected or not the one issued with the key."""

    code = "InvalidToken"
    status = 400


class MissingAuthenticationTokenError(VerificationError):
    """The request carries no SigV4 signature at all."""

    code = "MissingAuthenticationToken"
    status = 403


class UnsupportedSignatureError(VerificationError):
    """A signature of another scheme (SigV2, SigV4a, ...) where SigV4 is required."""

    code = "InvalidRequest"
    status = 400


class MalformedRequestError(VerificationError):
    """The request cannot be canonicalized as received (a bad escape, header value, URL)."""

    code = "InvalidRequest"
    status = 400


class RequestLimitExceededError(MalformedRequestError):
    """The request is larger than the verifier's limits allow (URL, query or headers)."""
