"""Diagnose a rejected SigV4 request: read the server's error, compare, name the cause.

:func:`diagnose` takes the error response body (S3's ``<Error>`` XML with
``CanonicalRequest``/``StringToSign`` and their ``...Bytes`` hex forms, the
``<ErrorResponse>`` of IAM/STS and other query APIs whose message says what "the
Canonical String for this request should have been", a JSON error, or the message
text alone) and the request: the ``SignedRequest``/``PresignedRequest`` the signer
returned, or the raw HTTP request text, whose canonical request is recomputed with
:func:`fastsigv4.verifier.inspect_request`. The result names one cause from
:data:`CAUSES`, with a fix and the first line where the server's canonical request
and the local one differ.

A Diagnosis never holds a secret: the signer's secret never reaches it, and session
tokens found in the request or the error are replaced by ``<redacted>`` in every field.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Final, Literal, NamedTuple, get_args
from urllib.parse import unquote

from . import _core
from ._time import parse_amz_date
from .errors import (
    ContentSHA256MismatchError,
    IncompleteSignatureError,
    InvalidRequestError,
    MissingAuthenticationTokenError,
    UnsupportedSignatureError,
    VerificationError,
)
from .http_message import HttpRequest, parse_http_request
from .settings import SigningSettings
from .signer import EMPTY_SHA256, PresignedRequest, SignedRequest
from .verifier import RequestSignature, inspect_request

__all__ = ["CAUSES", "Cause", "Diagnosis", "LineDifference", "diagnose"]

Cause = Literal[
    "signing_key_mismatch",
    "header_not_signed",
    "signed_header_not_sent",
    "header_value_changed",
    "method_changed",
    "path_double_encoded",
    "path_not_double_encoded",
    "path_normalization",
    "path_changed",
    "query_plus_encoding",
    "query_double_encoded",
    "query_order",
    "query_duplicate",
    "query_changed",
    "payload_hash_mismatch",
    "wrong_region",
    "wrong_service",
    "scope_date_mismatch",
    "clock_skew",
    "presigned_url_expired",
    "sigv2_request",
    "invalid_access_key",
    "session_token",
    "missing_signature",
    "malformed_request",
    "canonical_request_differs",
    "not_a_signing_error",
    "undetermined",
]
CAUSES: Final[tuple[Cause, ...]] = get_args(Cause)

DEFAULT_MAX_ERROR_BODY_BYTES: Final = 1 << 20

_REDACTED: Final = "<redacted>"
_UNSIGNED_PAYLOAD: Final = "UNSIGNED-PAYLOAD"
_SHOWN_LINE_WIDTH: Final = 100
_SHOWN_CONTEXT: Final = 40

# What the messages of AWS errors (and of fastsigv4's Verifier) say, as patterns.
_AMZ_DATE = r"\d{8}T\d{6}Z"
_CANONICAL_STRING = re.compile(
    r"the canonical string for this request should have been\s*'", re.IGNORECASE
)
_STRING_TO_SIGN_AFTER = re.compile(
    r"'\s*the string-to-sign should have been\s*'([^']*)'", re.IGNORECASE
)
_STRING_TO_SIGN = re.compile(r"the string-to-sign should have been\s*'([^']*)'", re.IGNORECASE)
_REGION_WRONG = re.compile(r"the region '([^']*)' is wrong; expecting ('[^']*'(?: or '[^']*')*)")
_REGION_INVALID = re.compile(
    r"Credential should be scoped to a valid region(?:, not '([^']*)')?", re.IGNORECASE
)
_SERVICE_WRONG = re.compile(
    r"Credential should be scoped to correct service:? ('[^']*'(?: or '[^']*')*)", re.IGNORECASE
)
_SCOPE_DATE = re.compile(
    r"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
    r"HTTP: '(\d{8})' != '(\d{8})'",
    re.IGNORECASE,
)
_SIGNATURE_EXPIRED = re.compile(
    rf"Signature expired: ({_AMZ_DATE}) is now earlier than {_AMZ_DATE} \(({_AMZ_DATE}) - "
    r"(\d+ (?:min|s))\.?\)"
)
_NOT_YET_CURRENT = re.compile(
    rf"Signature not yet current: ({_AMZ_DATE}) is still later than {_AMZ_DATE} "
    rf"\(({_AMZ_DATE}) \+ (\d+ (?:min|s))\.?\)"
)
_REQUEST_EXPIRED = re.compile(r"Request has expired", re.IGNORECASE)
_NOT_YET_VALID = re.compile(r"Request is not yet valid", re.IGNORECASE)
_HEADERS_NOT_SIGNED = re.compile(
    r"There were headers present in the request which were not signed:?\s*([^\n]*)",
    re.IGNORECASE,
)
_SIGV2_REFUSED = re.compile(
    r"authorization mechanism you have provided is not supported|"
    r"Signature Version 2 is being turned off",
    re.IGNORECASE,
)
_ABOUT_SIGNING = re.compile(
    r"signature|signed|signing|authenticat|authorization (?:header|mechanism)|credential|"
    r"x-amz-|aws4",
    re.IGNORECASE,
)
_BOTOCORE_ERROR = re.compile(
    r"An error occurred \(([^)\s]+)\) when calling the \S+ operation"
    r"(?: \(reached max retries: \d+\))?: "
)
_CODE_PREFIX = re.compile(r"([A-Z][A-Za-z0-9]+)(?: \(\d{3}\))?: ")
_CREDENTIAL_FIELD = re.compile(r"Credential=([^,\s]+)")
_SIGNED_HEADERS_FIELD = re.compile(r"SignedHeaders=([^,\s]+)")
_TOKEN_HEADER_LINE = re.compile(r"^(x-amz-security-token:).*$", re.IGNORECASE | re.MULTILINE)
_TOKEN_PARAMETER = re.compile(r"((?:^|[?&\s])X-Amz-Security-Token=)[^&\s]*", re.IGNORECASE)
_XML_DECLARATIONS = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

# Error codes as AWS spells them across protocols, mapped to one name each.
_CODE_ALIASES: Final = {
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "SignatureDoesNotMatchException": "SignatureDoesNotMatch",
    "RequestTimeTooSkewedException": "RequestTimeTooSkewed",
    "ExpiredTokenException": "ExpiredToken",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "IncompleteSignatureException": "IncompleteSignature",
    "AccessDeniedException": "AccessDenied",
}
_ACCESS_KEY_CODES: Final = frozenset({"InvalidAccessKeyId", "InvalidClientTokenId"})
_TOKEN_CODES: Final = frozenset({"ExpiredToken", "InvalidToken", "TokenRefreshRequired"})
_MALFORMED_CODES: Final = frozenset(
    {"AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", "IncompleteSignature"}
)
# Codes that carry a signing problem only when their message is about signing.
_GENERIC_CODES: Final = frozenset({"AccessDenied", "InvalidRequest"})

_STRING_TO_SIGN_PARTS: Final = (
    "algorithm",
    "X-Amz-Date",
    "credential scope",
    "canonical request hash",
)


@dataclass(frozen=True, slots=True)
class LineDifference:
    """The first line where the server's text and the local one differ.

    ``text`` says which text (``"canonical request"`` or ``"string to sign"``),
    ``line_number`` counts from 1, ``part`` names the line (``"path"``, ``"header
    content-type"``, ...). ``expected`` is the server's line and ``local`` the local
    one; None where that text has no such line.
    """

    text: Literal["canonical request", "string to sign"]
    line_number: int
    part: str
    expected: str | None
    local: str | None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why a server rejected a signed request, and how to fix it.

    ``cause`` is one of :data:`CAUSES`; ``summary`` says what was found and ``fix`` what
    to change. ``expected_*`` are what the server computed (from its error), ``local_*``
    what was signed (a SignedRequest/PresignedRequest) or what fastsigv4 computes from
    the raw request given; None when unknown. ``str()`` is a readable report.
    """

    cause: Cause
    summary: str
    fix: str
    error_code: str | None = None
    server_message: str | None = None
    expected_canonical_request: str | None = None
    local_canonical_request: str | None = None
    expected_string_to_sign: str | None = None
    local_string_to_sign: str | None = None
    first_difference: LineDifference | None = None
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"Cause: {self.cause}", f"  {self.summary}", "Fix:", f"  {self.fix}"]
        if self.error_code or self.server_message:
            said = ": ".join(
                part for part in (self.error_code, _first_line(self.server_message)) if part
            )
            lines.append(f"Server error: {said}")
        difference = self.first_difference
        if difference is not None:
            lines.append(
                f"First difference: {difference.text} line {difference.line_number} "
                f"({difference.part})"
            )
            lines.extend(_side_by_side(difference.expected, difference.local))
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines)


class _ServerError(NamedTuple):
    """What an error response says."""

    code: str | None  # as the server spelled it, namespace removed
    message: str | None
    fields: dict[str, str]  # S3-style child elements of <Error>, by name
    canonical_request: str | None
    string_to_sign: str | None
    notes: tuple[str, ...]


class _Local(NamedTuple):
    """The request's side: what was signed, or what its signing elements claim."""

    signed_here: bool  # a SignedRequest/PresignedRequest (else a request read from text)
    auth_type: Literal["header", "query"] | None
    canonical_request: str | None
    string_to_sign: str | None
    signature: str | None
    access_key_id: str | None
    amz_date: str | None
    region: str | None
    service: str | None
    expires_at: datetime | None
    tokens: tuple[str, ...]
    sigv2: bool
    problem: VerificationError | None  # why a request read from text could not be inspected
    unsent_signed_headers: tuple[str, ...]
    unsigned_amz_headers: tuple[str, ...]
    body_hash_mismatch: tuple[str, str] | None  # (X-Amz-Content-SHA256, the body's hash)


class _Finding(NamedTuple):
    cause: Cause
    summary: str
    fix: str


class _Canonical(NamedTuple):
    """A canonical request cut into its parts."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    signed_headers: str
    payload_hash: str
    blank_line: int  # index of the empty line that ends the header block


def diagnose(
    error_body: str | bytes,
    request: SignedRequest | PresignedRequest | HttpRequest | str | bytes,
    *,
    settings: SigningSettings | None = None,
    max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES,
) -> Diagnosis:
    """Explain a server's rejection of ``request``: the likely cause and its fix.

    ``error_body`` is the error response body (XML, JSON or the message text; a pasted
    response with its status line and headers also works) and may be empty, as for
    HEAD. ``request`` is the SignedRequest/PresignedRequest the signer returned, an
    HttpRequest, or raw HTTP request text (or just a presigned URL). For a raw request,
    ``settings`` overrides the canonicalization rules of the scope's service. Bad input
    raises a SigV4Error subclass (InvalidRequestError) saying what is wrong.
    """
    if settings is not None and not isinstance(settings, SigningSettings):
        raise InvalidRequestError("settings must be a fastsigv4.SigningSettings or None")
    server = _read_error_body(error_body, max_error_body_bytes)
    local = _read_request(request, settings, server.canonical_request)
    expected_request = server.canonical_request
    expected_sts = server.string_to_sign
    request_difference = _first_difference(
        "canonical request", expected_request, local.canonical_request
    )
    sts_difference = _first_difference("string to sign", expected_sts, local.string_to_sign)
    finding = (
        _from_message(server, local)
        or _from_code(server, local)
        or _from_request(local)
        or _from_comparison(server, local, request_difference, sts_difference)
        or _undetermined(server, local)
    )
    notes = list(server.notes) + _cross_checks(server, local)
    if local.sigv2 and finding.cause != "sigv2_request":
        notes.append(
            "The request is signed with Signature Version 2 (AWSAccessKeyId=/Signature= or "
            "'AWS key:signature'); most AWS endpoints accept only SigV4."
        )
    diagnosis = Diagnosis(
        cause=finding.cause,
        summary=finding.summary,
        fix=finding.fix,
        error_code=server.code,
        server_message=server.message.strip() if server.message else None,
        expected_canonical_request=expected_request,
        local_canonical_request=local.canonical_request,
        expected_string_to_sign=expected_sts,
        local_string_to_sign=local.string_to_sign,
        first_difference=request_difference or sts_difference,
        notes=tuple(notes),
    )
    return _redacted(diagnosis, local.tokens + _server_tokens(server))


# -- reading the error body -------------------------------------------------------------


def _read_error_body(error_body: str | bytes, max_bytes: int) -> _ServerError:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise InvalidRequestError("max_error_body_bytes must be an int >= 1")
    if isinstance(error_body, bytes):
        _check_size(len(error_body), max_bytes)
        try:
            text = error_body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestError(
                f"error_body is not UTF-8 (byte 0x{error_body[exc.start]:02X} at "
                f"{exc.start}); pass the response body as received"
            ) from None
    elif isinstance(error_body, str):
        _check_size(len(error_body), max_bytes)
        _check_size(len(_utf8(error_body, "error_body")), max_bytes)
        text = error_body
    else:
        raise InvalidRequestError(
            f"error_body must be the error response body as str or bytes, not "
            f"{type(error_body).__name__}"
        )
    text = text.removeprefix("\ufeff").strip()
    header_code = None
    if text.startswith("HTTP/"):
        text, header_code = _without_response_head(text)
    if text.startswith("<"):
        code, message, found = _xml_error(text)
    elif text.startswith("{"):
        code, message, found = _json_error(text)
    else:
        code, message, found = _text_error(text)
    code = _bare_code(code or header_code)
    notes: list[str] = []
    canonical_request = _checked_text(found, "CanonicalRequest", notes)
    string_to_sign = _checked_text(found, "StringToSign", notes)
    if message and canonical_request is None and string_to_sign is None:
        canonical_request, string_to_sign = _texts_in_message(message)
    if (
        canonical_request is not None
        and string_to_sign is not None
        and string_to_sign.startswith("AWS4-")
        and string_to_sign.split("\n")[-1] != _sha256_of_text(canonical_request)
    ):
        notes.append(
            "The server's string to sign does not end with the hash of its canonical request "
            "as given: the error text was altered (copied through something that changed "
            "whitespace?); differences may be artifacts of that."
        )
    return _ServerError(code, message, found, canonical_request, string_to_sign, tuple(notes))


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{what} contains a lone surrogate at index {exc.start}, which has no UTF-8 form; "
            "pass the text as received (or as bytes)"
        ) from None


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InvalidRequestError(
            f"error_body is larger than {max_bytes} bytes (max_error_body_bytes={max_bytes}); "
            "pass only the error response body, or a larger max_error_body_bytes="
        )


def _without_response_head(text: str) -> tuple[str, str | None]:
    """(the body, x-amzn-ErrorType) of a response pasted with its status line and headers."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    code = None
    for line in head.split("\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "x-amzn-errortype":
            code = value.strip()
    return body.strip(), code


def _bare_code(code: str | None) -> str | None:
    """The code without a namespace ('aws.protocol#Code', 'Code:http://...')."""
    if code is None:
        return None
    code = code.strip().rpartition("#")[2].partition(":")[0].strip()
    return code or None


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml_error(text: str) -> tuple[str | None, str | None, dict[str, str]]:
    # The stdlib parser expands entities declared in a DOCTYPE; with no DOCTYPE there are
    # none to expand (nor external ones to fetch), so refusing it makes the parse safe.
    if _XML_DECLARATIONS.search(text):
        raise InvalidRequestError(
            "error_body contains a DOCTYPE or ENTITY declaration, which AWS error responses "
            "never have; it is refused (entity expansion attacks)"
        )
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise InvalidRequestError(f"error_body is not well-formed XML: {exc}") from None
    error = next(
        (
            element
            for element in root.iter()
            if isinstance(element.tag, str) and _local_name(element.tag) == "Error"
        ),
        None,
    )
    if error is None:
        raise InvalidRequestError(
            "error_body is XML without an <Error> element: pass the body of the error response"
        )
    found: dict[str, str] = {}
    for child in error:
        if isinstance(child.tag, str):
            found.setdefault(_local_name(child.tag), "".join(child.itertext()))
    return found.get("Code"), found.get("Message"), found


def _json_error(text: str) -> tuple[str | None, str | None, dict[str, str]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(f"error_body is not valid JSON: {exc}"[:300]) from None
    nested = data.get("Error", data.get("error"))
    if isinstance(nested, dict):
        data = {**data, **nested}
    found = {key: value for key, value in data.items() if isinstance(value, str)}
    for value in found.values():
        _utf8(value, "a JSON string of error_body")  # '\ud800' escapes decode to surrogates

    def first(*keys: str) -> str | None:
        return next((found[key] for key in keys if key in found), None)

    return first("__type", "code", "Code"), first("message", "Message", "errorMessage"), found


def _text_error(text: str) -> tuple[str | None, str | None, dict[str, str]]:
    if not text:
        return None, None, {}
    for pattern in (_BOTOCORE_ERROR, _CODE_PREFIX):
        match = pattern.match(text)
        if match:
            return match.group(1), text[match.end() :], {}
    return None, text, {}


def _checked_text(found: dict[str, str], name: str, notes: list[str]) -> str | None:
    """An S3 error field, cross-checked with its ``...Bytes`` hex form (which wins)."""
    text = found.get(name)
    if text is not None:
        text = text.strip() or None
    hex_text = found.get(name + "Bytes", "").strip()
    if not hex_text:
        return text
    try:
        decoded = bytes.fromhex(hex_text).decode("utf-8")
    except ValueError:
        raise InvalidRequestError(
            f"<{name}Bytes> in error_body is not space-separated hex of UTF-8 text; pass the "
            "error body as received"
        ) from None
    if text is not None and decoded != text:
        difference = _first_difference("canonical request", decoded, text)
        where = f" (line {difference.line_number})" if difference else ""
        notes.append(
            f"The error's <{name}> and <{name}Bytes> disagree{where}; the bytes were used, "
            "as they are exact."
        )
    return decoded


def _texts_in_message(message: str) -> tuple[str | None, str | None]:
    """(canonical request, string to sign) quoted in an error message, if it quotes them."""
    message = message.replace("\r\n", "\n")
    start = _CANONICAL_STRING.search(message)
    if start is None:
        sts_only = _STRING_TO_SIGN.search(message)
        return None, sts_only.group(1).strip() if sts_only else None
    rest = message[start.end() :]
    sts = _STRING_TO_SIGN_AFTER.search(rest)
    if sts is not None:
        return rest[: sts.start()], sts.group(1).strip()
    end = rest.rfind("'")
    return (rest[:end] if end >= 0 else None), None


def _sha256_of_text(text: str) -> str:
    return _core.sha256_hex(text.encode("utf-8"))


def _server_tokens(server: _ServerError) -> tuple[str, ...]:
    # S3's ExpiredToken/InvalidToken errors echo the token as <Token-0>.
    return tuple(
        value for name, value in server.fields.items() if name.startswith("Token-") and value
    )


# -- reading the request ----------------------------------------------------------------


def _query_pairs(url: str) -> list[tuple[str, str]]:
    query = url.partition("#")[0].partition("?")[2]
    pairs = []
    for piece in query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _scope_parts(scope: str) -> tuple[str | None, str | None, str | None]:
    """(date, region, service) of 'YYYYMMDD/region/service/aws4_request', as far as it goes."""
    date, region, service = [*scope.split("/"), "", "", ""][:3]
    return date or None, region or None, service or None


def _scope_of(credential: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(access key id, date, region, service) of a Credential value, as far as it goes."""
    access_key_id, _, scope = (credential or "").partition("/")
    return (access_key_id or None, *_scope_parts(scope))


def _read_request(
    request: SignedRequest | PresignedRequest | HttpRequest | str | bytes,
    settings: SigningSettings | None,
    expected_request: str | None,
) -> _Local:
    if isinstance(request, (SignedRequest, PresignedRequest)):
        return _signed_here(request)
    if isinstance(request, HttpRequest):
        return _inspected(request, settings)
    if isinstance(request, bytes):
        try:
            url_text = request.decode("utf-8").strip()
        except UnicodeDecodeError:
            url_text = ""  # not a bare URL; the HTTP parser says what is wrong with it
    elif isinstance(request, str):
        _utf8(request, "the request text")
        url_text = request.strip()
    else:
        raise InvalidRequestError(
            "request must be the SignedRequest/PresignedRequest the signer returned, an "
            f"HttpRequest, or raw HTTP request text; not {type(request).__name__}"
        )
    if re.fullmatch(r"https?://\S+", url_text):
        # A bare (presigned) URL: the method is the one the server's canonical request has.
        method = expected_request.partition("\n")[0] if expected_request else "GET"
        http = HttpRequest(method or "GET", url_text, (), b"")
    else:
        http = parse_http_request(request)
    return _inspected(http, settings)


def _signed_here(request: SignedRequest | PresignedRequest) -> _Local:
    amz_date, scope = request.string_to_sign.split("\n")[1:3]
    _, region, service = _scope_parts(scope)
    if isinstance(request, SignedRequest):
        authorization = next(
            (value for name, value in request.headers if name == "Authorization"), ""
        )
        credential_match = _CREDENTIAL_FIELD.search(authorization)
        credential = credential_match.group(1) if credential_match else None
        auth_type: Literal["header", "query"] = "header"
        expires_at = None
    else:
        credential = dict(_query_pairs(request.url)).get("X-Amz-Credential")
        auth_type = "query"
        expires_at = request.expires_at
    token = request._session_token
    return _Local(
        signed_here=True,
        auth_type=auth_type,
        canonical_request=request.canonical_request,
        string_to_sign=request.string_to_sign,
        signature=request.signature,
        access_key_id=_scope_of(credential)[0],
        amz_date=amz_date,
        region=region,
        service=service,
        expires_at=expires_at,
        tokens=(token,) if token else (),
        sigv2=False,
        problem=None,
        unsent_signed_headers=(),
        unsigned_amz_headers=(),
        body_hash_mismatch=None,
    )


def _inspected(http: HttpRequest, settings: SigningSettings | None) -> _Local:
    headers = {name.lower(): value for name, value in http.headers}
    query = _query_pairs(http.url)
    parameters = dict(query)
    tokens = tuple(
        value
        for name, value in [*http.headers, *query]
        if name.lower() == "x-amz-security-token" and value
    )
    authorization = headers.get("authorization", "")
    sigv2 = authorization.startswith("AWS ") or (
        "X-Amz-Signature" not in parameters
        and "AWSAccessKeyId" in parameters
        and "Signature" in parameters
    )
    if authorization:
        auth_type: Literal["header", "query"] | None = "header"
        credential_match = _CREDENTIAL_FIELD.search(authorization)
        credential = credential_match.group(1) if credential_match else None
        names_match = _SIGNED_HEADERS_FIELD.search(authorization)
        signed_names = names_match.group(1) if names_match else ""
    elif "X-Amz-Signature" in parameters or "X-Amz-Algorithm" in parameters:
        auth_type = "query"
        credential = parameters.get("X-Amz-Credential")
        signed_names = parameters.get("X-Amz-SignedHeaders", "")
    else:
        auth_type, credential, signed_names = None, None, ""
    signed = [name for name in signed_names.split(";") if name]
    unsent = tuple(name for name in signed if name != "host" and name not in headers)
    unsigned = tuple(
        name
        for name in headers
        if name.startswith("x-amz-") and name != "x-amz-security-token" and name not in signed
    )

    body_hash_mismatch = None
    signature: RequestSignature | VerificationError
    try:
        signature = inspect_request(
            http.method, http.url, http.headers, http.body, settings=settings
        )
    except ContentSHA256MismatchError:
        # The declared hash is what the request signed: compute with it, report the body.
        body_hash_mismatch = (headers.get("x-amz-content-sha256", ""), _core.sha256_hex(http.body))
        signature = _inspect_or_error(http, settings)
    except VerificationError as exc:
        signature = exc
    if isinstance(signature, VerificationError):
        access_key_id, _, region, service = _scope_of(credential)
        amz_date = parameters.get("X-Amz-Date") or headers.get("x-amz-date")
        return _Local(
            signed_here=False,
            auth_type=auth_type,
            canonical_request=None,
            string_to_sign=None,
            signature=None,
            access_key_id=access_key_id,
            amz_date=amz_date,
            region=region,
            service=service,
            expires_at=None,
            tokens=tokens,
            sigv2=sigv2,
            problem=signature,
            unsent_signed_headers=unsent,
            unsigned_amz_headers=unsigned,
            body_hash_mismatch=body_hash_mismatch,
        )
    expires_at = None
    if signature.expires is not None:
        signed_at = parse_amz_date(signature.amz_date)
        if signed_at is not None:
            expires_at = signed_at + timedelta(seconds=signature.expires)
    return _Local(
        signed_here=False,
        auth_type=signature.auth_type,
        canonical_request=signature.canonical_request,
        string_to_sign=signature.string_to_sign,
        signature=signature.signature,
        access_key_id=signature.access_key_id,
        amz_date=signature.amz_date,
        region=signature.region,
        service=signature.service,
        expires_at=expires_at,
        tokens=tokens,
        sigv2=sigv2,
        problem=None,
        unsent_signed_headers=(),
        unsigned_amz_headers=(),
        body_hash_mismatch=body_hash_mismatch,
    )


def _inspect_or_error(
    http: HttpRequest, settings: SigningSettings | None
) -> RequestSignature | VerificationError:
    try:
        return inspect_request(http.method, http.url, http.headers, None, settings=settings)
    except VerificationError as exc:
        return exc


# -- comparing ------------------------------------------------------------------------


def _parse_canonical(text: str | None) -> _Canonical | None:
    if text is None:
        return None
    lines = text.split("\n")
    if len(lines) < 6 or "" not in lines[3:]:
        return None
    blank = lines.index("", 3)
    if blank != len(lines) - 3:
        return None
    headers = []
    for line in lines[3:blank]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        headers.append((name, value))
    return _Canonical(
        lines[0], lines[1], lines[2], tuple(headers), lines[blank + 1], lines[blank + 2], blank
    )


def _part_name(text: str, parsed: _Canonical | None, index: int) -> str:
    if text == "string to sign":
        return _STRING_TO_SIGN_PARTS[index] if index < 4 else "extra line"
    if index < 3:
        return ("method", "path", "query")[index]
    if parsed is None:
        return f"line {index + 1}"
    if index < parsed.blank_line:
        return "header " + parsed.headers[index - 3][0]
    return {
        parsed.blank_line: "end of the headers",
        parsed.blank_line + 1: "signed headers",
        parsed.blank_line + 2: "payload hash",
    }.get(index, "extra line")


def _first_difference(
    text: Literal["canonical request", "string to sign"],
    expected: str | None,
    local: str | None,
) -> LineDifference | None:
    if expected is None or local is None or expected == local:
        return None
    expected_lines = expected.split("\n")
    local_lines = local.split("\n")
    index = 0
    while (
        index < len(expected_lines)
        and index < len(local_lines)
        and expected_lines[index] == local_lines[index]
    ):
        index += 1
    parsed = _parse_canonical(expected) if index < len(expected_lines) else None
    if parsed is None:
        parsed = _parse_canonical(local)
    return LineDifference(
        text,
        index + 1,
        _part_name(text, parsed, index),
        expected_lines[index] if index < len(expected_lines) else None,
        local_lines[index] if index < len(local_lines) else None,
    )


# -- naming the cause -----------------------------------------------------------------


def _quoted(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(repr(name) for name in names)


def _from_message(server: _ServerError, local: _Local) -> _Finding | None:
    """Causes the server's message (or its S3 fields) names outright."""
    message = server.message or ""
    code = _CODE_ALIASES.get(server.code or "", server.code)
    if _SIGV2_REFUSED.search(message):
        return _sigv2()
    match = _REGION_WRONG.search(message)
    if match:
        return _wrong_region(match.group(1), match.group(2), local)
    match = _REGION_INVALID.search(message)
    if match:
        region = server.fields.get("Region")
        return _wrong_region(
            match.group(1) or local.region, repr(region) if region else None, local
        )
    match = _SERVICE_WRONG.search(message)
    if match:
        return _wrong_service(match.group(1), local)
    match = _SCOPE_DATE.search(message)
    if match:
        return _scope_date(match.group(1), match.group(2))
    match = _SIGNATURE_EXPIRED.search(message) or _NOT_YET_CURRENT.search(message)
    if match:
        return _skew(
            parse_amz_date(match.group(1)), parse_amz_date(match.group(2)), match.group(3), local
        )
    if code == "RequestTimeTooSkewed" or _NOT_YET_VALID.search(message):
        allowed = server.fields.get("MaxAllowedSkewMilliseconds", "")
        return _skew(
            _parse_time(server.fields.get("RequestTime") or local.amz_date),
            _parse_time(server.fields.get("ServerTime")),
            f"{int(allowed) // 60000} min" if allowed.isdigit() else None,
            local,
        )
    if _REQUEST_EXPIRED.search(message) or code == "RequestExpired":
        if local.auth_type != "header":
            return _expired(server, local)
        server_time = _parse_time(_field(server, "ServerTime"))
        return _skew(_parse_time(local.amz_date), server_time, None, local)
    match = _HEADERS_NOT_SIGNED.search(message)
    if match:
        listed = server.fields.get("HeadersNotSigned") or match.group(1)
        names = [name.strip().lower() for name in re.split(r"[,;\s]+", listed) if name.strip()]
        return _unsigned_headers_sent(names or list(local.unsigned_amz_headers))
    return None


def _from_code(server: _ServerError, local: _Local) -> _Finding | None:
    """Causes the error code names, and codes that are not about signing at all."""
    code = _CODE_ALIASES.get(server.code or "", server.code)
    message = (server.message or "").strip()
    if code is None or code == "SignatureDoesNotMatch":
        return None
    if code == "XAmzContentSHA256Mismatch":
        declared = server.fields.get("ClientComputedContentSHA256")
        received = server.fields.get("S3ComputedContentSHA256")
        return _payload_mismatch(received, declared, header_check=True)
    if code == "PermanentRedirect":
        endpoint = server.fields.get("Endpoint")
        return _Finding(
            "wrong_region",
            "The bucket is in another region than the endpoint the request was sent to"
            + (f"; S3 says to use {endpoint}" if endpoint else "")
            + ".",
            "Send the request to the bucket's regional endpoint and sign for that region "
            "(the host is signed, so following the redirect breaks the signature).",
        )
    if code in _ACCESS_KEY_CODES:
        if local.tokens or (local.access_key_id or "").startswith("ASIA"):
            return _session_token(message)
        access_key_id = server.fields.get("AWSAccessKeyId") or local.access_key_id or ""
        return _Finding(
            "invalid_access_key",
            f"The server does not know the access key id {access_key_id!r}"
            f"{': ' + message if message else ''}",
            "Use an active access key of the account the endpoint belongs to: the key may be "
            "deleted or inactive, typed wrong, from another partition (China, GovCloud), or "
            "an S3-compatible server's key sent to AWS. Temporary keys (ASIA...) also need "
            "their session token.",
        )
    if code in _TOKEN_CODES:
        return _session_token(message)
    if code == "MissingAuthenticationToken":
        return _missing_signature(message)
    if code in _MALFORMED_CODES or (code in _GENERIC_CODES and _ABOUT_SIGNING.search(message)):
        if local.sigv2:
            return _sigv2()
        return _malformed(f"The server refused the request's signing elements: {message}")
    return _Finding(
        "not_a_signing_error",
        f"The server answered {server.code}{': ' + message if message else ''}. That is not a "
        "signature error: the signature was accepted.",
        "Look at the error itself (permissions, resource names, parameters); the signing is fine.",
    )


def _from_request(local: _Local) -> _Finding | None:
    """Causes visible in the request itself (a raw request that could not be inspected)."""
    if local.sigv2:
        return _sigv2()
    problem = local.problem
    if problem is None:
        return None
    if local.unsent_signed_headers:
        return _signed_header_not_sent(list(local.unsent_signed_headers), local)
    if local.unsigned_amz_headers and not isinstance(problem, IncompleteSignatureError):
        return _unsigned_headers_sent(list(local.unsigned_amz_headers))
    if isinstance(problem, MissingAuthenticationTokenError):
        return _missing_signature("")
    if isinstance(problem, UnsupportedSignatureError):
        return _malformed(f"The request is not signed with AWS4-HMAC-SHA256: {problem}")
    return _malformed(f"The request's signing elements cannot be read: {problem}")


def _from_comparison(
    server: _ServerError,
    local: _Local,
    request_difference: LineDifference | None,
    sts_difference: LineDifference | None,
) -> _Finding | None:
    """Causes found by comparing what the server computed with the local texts."""
    if request_difference is not None:
        expected = _parse_canonical(server.canonical_request)
        signed = _parse_canonical(local.canonical_request)
        if expected is not None and signed is not None:
            finding = _canonical_difference(expected, signed, local)
            if finding is not None:
                return finding
        return _Finding(
            "canonical_request_differs",
            f"The server's canonical request differs from the local one at line "
            f"{request_difference.line_number} ({request_difference.part}).",
            _SEND_AS_SIGNED,
        )
    if sts_difference is not None:
        return _string_to_sign_difference(server, local, sts_difference)
    if server.canonical_request is None and server.string_to_sign is None:
        if local.body_hash_mismatch is not None:
            declared, computed = local.body_hash_mismatch
            return _payload_mismatch(computed, declared, header_check=True)
        return None
    if local.canonical_request is None:
        return None
    return _signing_key_mismatch(server, local)


def _undetermined(server: _ServerError, local: _Local) -> _Finding:
    if not server.code and not server.message:
        summary = "The error body is empty, so the server's canonical request is unknown"
    else:
        summary = "The error names no specific cause and does not show what the server computed"
    return _Finding(
        "undetermined",
        summary + ("; the request itself looks well-formed." if local.canonical_request else "."),
        "Get the error body that shows the server's canonical request: S3 includes "
        "CanonicalRequest in the XML of a SignatureDoesNotMatch error (a HEAD response has no "
        "body; repeat the request as GET), and most other services quote 'the Canonical "
        "String for this request' in the message. Then diagnose again with that body.",
    )


_SEND_AS_SIGNED: Final = (
    "Send exactly the request that was signed: the same method, URL (as returned by the "
    "signer, not re-encoded), headers and body; sign the final request right before sending."
)


def _canonical_difference(
    expected: _Canonical, signed: _Canonical, local: _Local
) -> _Finding | None:
    if expected.method != signed.method:
        return _Finding(
            "method_changed",
            f"The server received a {expected.method} request, but {signed.method} was signed.",
            f"Sign (or presign) for {expected.method}: a signature covers the method, and a "
            "presigned URL works for its method only (presign GET and HEAD separately; a "
            "redirect can turn a POST into a GET).",
        )
    if expected.path != signed.path:
        return _path_difference(expected.path, signed.path)
    if expected.query != signed.query:
        return _query_difference(expected.query, signed.query, local)
    if expected.headers != signed.headers:
        return _header_difference(dict(expected.headers), dict(signed.headers), local)
    if expected.payload_hash != signed.payload_hash:
        return _payload_mismatch(expected.payload_hash, signed.payload_hash, header_check=False)
    return None


def _path_difference(expected: str, signed: str) -> _Finding:
    def normalized(path: str) -> str:
        # Canonical paths hold only unreserved bytes, '/' and %XX: S3 rules re-encode
        # nothing, so this only removes dot segments and repeated slashes.
        return _core.canonical_path(path, False, True)

    shown = f"the server's canonical path is {expected!r}, the local one {signed!r}"
    for expected_form, signed_form, note in (
        (expected, signed, ""),
        (normalized(expected), normalized(signed), " (and one of them was normalized)"),
    ):
        if expected_form == signed_form:
            break  # equal once normalized: not an encoding difference
        if expected_form == _core.uri_encode(signed_form, True):
            return _Finding(
                "path_not_double_encoded",
                f"The server encodes the path twice, as every AWS service except S3 does, "
                f"but it was signed encoded once{note}: {shown}.",
                "Sign with the service's own rules: Signer(credentials, region, service) "
                "without settings= (S3_SETTINGS is for S3 only), or "
                "SigningSettings(double_uri_encode=True).",
            )
        if signed_form == _core.uri_encode(expected_form, True):
            return _Finding(
                "path_double_encoded",
                f"The server signs the path encoded once, as S3 does, but it was signed "
                f"encoded twice{note}: {shown}.",
                "For S3 sign with service 's3' (its preset: the path as sent, encoded once), "
                "or SigningSettings(double_uri_encode=False, normalize_path=False); in botocore "
                "that is S3SigV4Auth, not SigV4Auth.",
            )
    if normalized(expected) == normalized(signed):
        if expected == normalized(expected):
            what = "the server normalized the path (removed '.'/'..' segments, merged '//')"
        else:
            what = "the path was normalized when signing, but the server signs it as sent"
        return _Finding(
            "path_normalization",
            f"{what[0].upper()}{what[1:]}: {shown}.",
            "S3 keys may contain '//', '.' and '..': S3 signs the path exactly as sent "
            "(the 's3' preset, normalize_path=False), other services normalize it "
            "(normalize_path=True). Also make sure no HTTP client or proxy rewrites the path "
            "after signing.",
        )
    return _Finding(
        "path_changed",
        f"The path the server received is not the path that was signed: {shown}.",
        "Send the URL exactly as signed (the signer's .url): an HTTP client that re-encodes "
        "or normalizes the path, a proxy that rewrites it, or a redirect changes it.",
    )


def _query_list(query: str) -> list[tuple[str, str]]:
    pairs = []
    for piece in query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((name, value))
    return pairs


def _mapped(pairs: list[tuple[str, str]], change: Callable[[str], str]) -> list[tuple[str, str]]:
    return sorted((change(name), change(value)) for name, value in pairs)


def _query_difference(expected_query: str, signed_query: str, local: _Local) -> _Finding:
    expected = _query_list(expected_query)
    signed = _query_list(signed_query)
    expected_credential = dict(expected).get("X-Amz-Credential")
    signed_credential = dict(signed).get("X-Amz-Credential")
    if expected_credential != signed_credential:
        scope_finding = _scope_difference(
            _scope_of(unquote(expected_credential or ""))[1:],
            _scope_of(unquote(signed_credential or ""))[1:],
            local,
        )
        if scope_finding is not None:
            return scope_finding
    if sorted(expected) == sorted(signed):
        return _Finding(
            "query_order",
            "The server's canonical query has the same parameters in another order: one side "
            "did not sort them by encoded name, then value, in byte order.",
            "Sort the canonical query by the encoded (name, value) pairs, comparing bytes "
            "(uppercase before lowercase, 'a=10' before 'a=2'); fastsigv4 does, so a "
            "difference means the server (or another signer) sorts differently.",
        )

    def plus_as_space(text: str) -> str:
        return text.replace("%2B", "%20")

    if _mapped(expected, plus_as_space) == _mapped(signed, plus_as_space):
        if signed_query.count("%2B") > expected_query.count("%2B"):
            what = (
                "a '+' was signed as a literal plus (%2B), but the server read it as a space (%20)"
            )
        else:
            what = "a space was signed (%20), but the server received a literal plus (%2B)"
        return _Finding(
            "query_plus_encoding",
            f"In the query, {what}.",
            "Put a space in a URL query as %20 and a plus sign as %2B; never send a bare '+' "
            "(form encoding reads it as a space, AWS as a plus). Encode raw values with "
            "fastsigv4's encoder (fastsigv4 keeps what the URL says).",
        )

    def decoded_once(text: str) -> str:
        return text.replace("%25", "%")

    signed_twice = _mapped(signed, decoded_once) == sorted(expected)
    if signed_twice or _mapped(expected, decoded_once) == sorted(signed):
        side = "the request was signed" if signed_twice else "the server received it"
        return _Finding(
            "query_double_encoded",
            f"A query value is encoded twice on one side ({side} with '%25XX' where the other "
            "has '%XX').",
            "Encode the query exactly once: pass the URL as it will be sent and send the "
            "signer's .url unchanged; an HTTP client given an already encoded URL (or "
            "params= with encoded values) encodes it again.",
        )
    expected_counts = Counter(name for name, _ in expected)
    signed_counts = Counter(name for name, _ in signed)
    if set(expected_counts) == set(signed_counts):
        repeated = sorted(
            name for name in expected_counts if expected_counts[name] != signed_counts[name]
        )
        if repeated:
            return _Finding(
                "query_duplicate",
                f"The parameter(s) {_quoted(repeated)} appear a different number of times in "
                "the server's query than in the signed one: a repeated parameter was kept "
                "once (a dict of parameters drops repeats).",
                "Keep repeated query parameters as a list of pairs, in the URL that is signed "
                "and in the one sent; send the signer's .url unchanged.",
            )
    added = sorted(set(expected_counts) - set(signed_counts))
    removed = sorted(set(signed_counts) - set(expected_counts))
    changed = sorted(
        name
        for name in set(expected_counts) & set(signed_counts)
        if sorted(v for n, v in expected if n == name) != sorted(v for n, v in signed if n == name)
    )
    details = "; ".join(
        text
        for text in (
            f"the server has {_quoted(added)}, which was not signed" if added else "",
            f"the server lacks signed {_quoted(removed)}" if removed else "",
            f"{_quoted(changed)} has another value" if changed else "",
        )
        if text
    )
    return _Finding(
        "query_changed",
        f"The query the server received is not the query that was signed: {details}.",
        "Sign the final URL and send it unchanged: add every parameter before signing "
        "(not after), and make sure no HTTP client, SDK hook or redirect rewrites the query.",
    )


def _header_difference(expected: dict[str, str], signed: dict[str, str], local: _Local) -> _Finding:
    names = sorted(expected.keys() | signed.keys())
    name = next(name for name in names if expected.get(name) != signed.get(name))
    expected_value = expected.get(name)
    signed_value = signed.get(name)
    if signed_value is None:
        return _Finding(
            "header_not_signed",
            f"The server's canonical request includes the header {name} (as "
            f"{expected_value!r}), which was not signed: the request was sent with it, and "
            "the server counts it as signed.",
            _SIGN_WHAT_IS_SENT,
        )
    if expected_value is None or (expected_value == "" and signed_value != ""):
        return _signed_header_not_sent([name], local)
    if name == "host":
        return _Finding(
            "header_value_changed",
            f"The request reached the server as Host {expected_value!r}, but {signed_value!r} "
            "was signed: a redirect, a proxy or a port added or dropped changed it.",
            "Sign the URL the request is finally sent to (the regional endpoint, the public "
            "host a proxy forwards, with the port the client sends).",
        )
    hint = ""
    if name == "content-type" and signed_value and expected_value.startswith(signed_value):
        hint = " (the HTTP client or browser appended to it, such as '; charset=UTF-8')"
    return _Finding(
        "header_value_changed",
        f"The header {name} reached the server as {expected_value!r}, but was signed as "
        f"{signed_value!r}{hint}.",
        f"Send {name} exactly as signed (a presigned request's .headers must be sent "
        "unchanged), or sign the value the client really sends; set it explicitly so the "
        "HTTP client does not choose its own.",
    )


_SIGN_WHAT_IS_SENT: Final = (
    "Sign every header that is sent, with the value sent: pass it in headers= when signing "
    "or presigning (then send the presigned request's .headers unchanged), or stop sending it."
)


def _unsigned_headers_sent(names: list[str]) -> _Finding:
    return _Finding(
        "header_not_signed",
        f"The request carried header(s) {_quoted(names)} without signing them; S3 requires "
        "every x-amz-* header it receives to be signed.",
        _SIGN_WHAT_IS_SENT,
    )


def _signed_header_not_sent(names: list[str], local: _Local) -> _Finding:
    presigned = local.auth_type == "query"
    return _Finding(
        "signed_header_not_sent",
        f"The header(s) {_quoted(names)} were signed, but the request reached the server "
        "without them"
        + (" (a presigned URL whose client did not send its .headers)" if presigned else "")
        + ".",
        "Send every signed header with the signed value: a PresignedRequest's .headers "
        "(such as the Content-Type of a presigned PUT) must be sent by whoever uses the URL; "
        "or sign without the header.",
    )


def _payload_mismatch(expected: str | None, signed: str | None, *, header_check: bool) -> _Finding:
    if header_check:
        summary = (
            "The body's SHA-256 is not the X-Amz-Content-SHA256 that was signed"
            + (f" (signed {signed}, body {expected})" if signed and expected else "")
            + "."
        )
    elif expected == _UNSIGNED_PAYLOAD:
        summary = "The server signs UNSIGNED-PAYLOAD, but a body hash was signed."
    elif signed == _UNSIGNED_PAYLOAD:
        summary = "UNSIGNED-PAYLOAD was signed, but the server signs the body's hash."
    elif signed == EMPTY_SHA256:
        summary = "An empty body was signed, but the request carried a body."
    elif expected == EMPTY_SHA256:
        summary = "A body was signed, but the request reached the server without one."
    else:
        summary = "The body the server received is not the body that was signed."
    if not header_check:
        summary += f" (server: {expected}, signed: {signed})"
    return _Finding(
        "payload_hash_mismatch",
        summary,
        "Sign the exact bytes sent (body= or payload_sha256=): not the text before "
        "encoding, JSON before re-serialization, or a stream already read; a presigned S3 "
        "URL signs UNSIGNED-PAYLOAD (presign without body=). A redirect or retry may also "
        "drop the body.",
    )


def _string_to_sign_difference(
    server: _ServerError, local: _Local, difference: LineDifference
) -> _Finding:
    expected_lines = (server.string_to_sign or "").split("\n")
    local_lines = (local.string_to_sign or "").split("\n")
    if difference.line_number == 3 and len(expected_lines) > 2 and len(local_lines) > 2:
        finding = _scope_difference(
            _scope_parts(expected_lines[2]), _scope_parts(local_lines[2]), local
        )
        if finding is not None:
            return finding
    return _Finding(
        "canonical_request_differs",
        f"The server's string to sign differs at line {difference.line_number} "
        f"({difference.part})"
        + (
            ": the server hashed a different canonical request, which its error does not show."
            if difference.line_number == 4
            else "."
        ),
        _SEND_AS_SIGNED,
    )


def _scope_difference(
    expected: tuple[str | None, str | None, str | None],
    signed: tuple[str | None, str | None, str | None],
    local: _Local,
) -> _Finding | None:
    """The cause of differing (date, region, service) scopes, if they differ."""
    expected_date, expected_region, expected_service = expected
    signed_date, signed_region, signed_service = signed
    if expected_region and signed_region and expected_region != signed_region:
        return _wrong_region(signed_region, repr(expected_region), local)
    if expected_service and signed_service and expected_service != signed_service:
        return _wrong_service(repr(expected_service), local._replace(service=signed_service))
    if expected_date and signed_date and expected_date != signed_date:
        return _scope_date(signed_date, expected_date)
    return None


def _signing_key_mismatch(server: _ServerError, local: _Local) -> _Finding:
    key = f"access key {local.access_key_id!r}" if local.access_key_id else "the access key"
    if local.signed_here:
        summary = (
            "The server computed the same canonical request and string to sign that were "
            f"signed, yet another signature: the secret key used does not belong to {key}."
        )
        fix = (
            f"Sign with the secret issued with {key} (check which profile, environment "
            "variables or secret store the credentials come from; a rotated key has a new "
            "secret, and temporary credentials come as a set of three)."
        )
    else:
        summary = (
            "The server computed the same canonical request and string to sign as fastsigv4 "
            "does from this request, yet another signature: the secret used does not belong "
            f"to {key}, or the client derived its signing key wrongly."
        )
        fix = (
            f"Sign with the secret issued with {key}. If the secret is right, the client's "
            "signer is wrong: the key is HMAC chained over 'AWS4' + secret, the scope date "
            "(YYYYMMDD), region, service and 'aws4_request', and it must sign this string to "
            "sign; sign with fastsigv4 and compare."
        )
    return _Finding("signing_key_mismatch", summary, fix)


def _wrong_region(signed: str | None, expecting: str | None, local: _Local) -> _Finding:
    signed = signed or local.region
    if expecting:
        summary = f"The request was signed for region {signed!r}, but the endpoint expects "
        summary += f"{expecting}."
    else:
        summary = f"The request was signed for region {signed!r}, which the endpoint refuses."
    region = expecting.split("'")[1] if expecting and "'" in expecting else "REGION"
    return _Finding(
        "wrong_region",
        summary,
        f"Sign for the endpoint's region: Signer(credentials, {region!r}, "
        f"{local.service or 'service'!r}), and send the request to that region's endpoint "
        "(for S3, the bucket's region).",
    )


def _wrong_service(expecting: str, local: _Local) -> _Finding:
    expected_service = expecting.split("'")[1] if "'" in expecting else expecting
    region = local.region or "REGION"
    return _Finding(
        "wrong_service",
        f"The request was signed for service {local.service or '?'!r}, but the endpoint "
        f"expects {expecting}.",
        f"Sign with the endpoint's signing name: Signer(credentials, {region!r}, "
        f"{expected_service!r}). The signing name is not always the host's first label "
        "('execute-api' for API Gateway, 'es' for OpenSearch, 'iam' for IAM in any region).",
    )


def _scope_date(scope_date: str, http_date: str) -> _Finding:
    return _Finding(
        "scope_date_mismatch",
        f"The credential scope date {scope_date} is not the date of X-Amz-Date ({http_date}).",
        "Take the scope date from the same UTC instant as X-Amz-Date: a signer that keeps "
        "its date or signing key past UTC midnight, or uses local time, produces this. "
        "fastsigv4 derives both from one signing time per request.",
    )


def _skew(
    request_time: datetime | None,
    server_time: datetime | None,
    allowed: str | None,
    local: _Local,
) -> _Finding:
    expires_at = local.expires_at
    if local.auth_type == "query" and expires_at and server_time and server_time > expires_at:
        return _expired_finding(expires_at, server_time, local)
    limit = f"the {allowed} allowed" if allowed else "the 15 minutes allowed"
    if request_time is not None and server_time is not None:
        offset = server_time - request_time
        if offset >= timedelta(0):
            apart = f"{_duration(offset)} later"
            why = "The signing clock is behind, or the request was sent long after signing."
        else:
            apart = f"{_duration(-offset)} earlier"
            why = "The signing clock is ahead."
        summary = (
            f"The request was signed at {_when(request_time)}, and the server's clock read "
            f"{_when(server_time)}, {apart}: more than {limit}. {why}"
        )
    else:
        summary = f"The request's X-Amz-Date is further than {limit} from the server's clock."
    return _Finding(
        "clock_skew",
        summary,
        "Set the signing machine's clock (NTP), and sign right before sending: a header-signed "
        "request is accepted only within minutes of its X-Amz-Date. If the clock cannot be "
        "fixed, sign with timestamp= corrected by the offset to the server's Date header.",
    )


def _expired(server: _ServerError, local: _Local) -> _Finding:
    expires_at = _parse_time(_field(server, "Expires")) or local.expires_at
    server_time = _parse_time(_field(server, "ServerTime"))
    return _expired_finding(expires_at, server_time, local)


def _expired_finding(
    expires_at: datetime | None, server_time: datetime | None, local: _Local
) -> _Finding:
    if expires_at is not None and server_time is not None:
        summary = (
            f"The presigned URL expired at {_when(expires_at)}; the server received it at "
            f"{_when(server_time)}, {_duration(server_time - expires_at)} later."
        )
    else:
        summary = "The presigned URL had expired when the server received it."
    if local.amz_date:
        summary += f" It was signed at {local.amz_date} (X-Amz-Date)."
    return _Finding(
        "presigned_url_expired",
        summary,
        "Presign again closer to use, or with a longer expires= (at most 604800 s, 7 days; "
        "a URL signed with temporary credentials also dies with them). If the URL was "
        "fresh, the presigning machine's clock is behind.",
    )


def _session_token(message: str) -> _Finding:
    return _Finding(
        "session_token",
        "The session token is expired, invalid, or missing for temporary credentials"
        + (f": {message}" if message else "."),
        "Refresh the temporary credentials and sign again with all three parts (access key "
        "id, secret, session token); a presigned URL stops working when the credentials "
        "that signed it expire.",
    )


def _missing_signature(message: str) -> _Finding:
    return _Finding(
        "missing_signature",
        "The request carries no SigV4 signature"
        + (f" (the server says: {message})." if message else "."),
        "Sign the request (an Authorization header, or X-Amz-* query parameters for a "
        "presigned URL). API Gateway also answers MissingAuthenticationToken for a path or "
        "stage that does not exist.",
    )


def _malformed(summary: str) -> _Finding:
    return _Finding(
        "malformed_request",
        summary,
        "Fix the signing element the message names (Authorization: 'AWS4-HMAC-SHA256 "
        "Credential=AKID/YYYYMMDD/region/service/aws4_request, SignedHeaders=..., "
        "Signature=...'; presigned URLs: all six X-Amz-* parameters, X-Amz-Expires at most "
        "604800); signing with fastsigv4 produces them.",
    )


def _sigv2() -> _Finding:
    return _Finding(
        "sigv2_request",
        "The request is signed with Signature Version 2 (AWSAccessKeyId=/Signature= "
        "parameters or an 'AWS key:signature' header), which the endpoint does not accept.",
        "Sign with SigV4 (X-Amz-* query parameters or an AWS4-HMAC-SHA256 Authorization "
        "header): fastsigv4's Signer.sign/presign; in boto3, "
        "Config(signature_version='s3v4').",
    )


def _cross_checks(server: _ServerError, local: _Local) -> list[str]:
    notes = []
    akid = server.fields.get("AWSAccessKeyId")
    if akid and local.access_key_id and akid != local.access_key_id:
        notes.append(
            f"The server saw access key {akid!r}, but the request given uses "
            f"{local.access_key_id!r}: the failing request is not this one."
        )
    provided = server.fields.get("SignatureProvided")
    if provided and local.signature and provided.strip() != local.signature:
        notes.append(
            "The server received another signature than the one in the request given: the "
            "failing request is not this one (signed again, or at another time)."
        )
    if local.body_hash_mismatch is not None:
        declared, computed = local.body_hash_mismatch
        notes.append(f"The body's SHA-256 is {computed}, but X-Amz-Content-SHA256 says {declared}.")
    return notes


# -- presenting -----------------------------------------------------------------------


def _field(server: _ServerError, name: str) -> str | None:
    """An S3 error field, or the same name followed by a value in the message."""
    value = server.fields.get(name)
    if value:
        return value.strip()
    match = re.search(rf"(?<![\w-]){re.escape(name)}[:=]?\s+([^\s,;]+)", server.message or "")
    return match.group(1) if match else None


def _parse_time(text: str | None) -> datetime | None:
    """An instant written as X-Amz-Date, ISO 8601 or an HTTP date; None if none of them."""
    if not text:
        return None
    text = text.strip()
    instant = parse_amz_date(text)
    if instant is not None:
        return instant
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            instant = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if instant.utcoffset() is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


def _when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s"))
        if value
    ]
    return " ".join(parts[:2]) or "0 s"


def _first_line(text: str | None, limit: int = 240) -> str | None:
    if not text:
        return None
    line = text.strip().split("\n")[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _side_by_side(expected: str | None, local: str | None) -> list[str]:
    """The two lines one above the other, columns aligned, a caret at the first difference."""
    expected_text = expected if expected is not None else ""
    local_text = local if local is not None else ""
    column = next(
        (
            index
            for index, (left, right) in enumerate(zip(expected_text, local_text, strict=False))
            if left != right
        ),
        min(len(expected_text), len(local_text)),
    )
    start = max(0, column - _SHOWN_CONTEXT)

    def window(line: str | None) -> str:
        if line is None:
            return "(no such line)"
        shown = line[start : start + _SHOWN_LINE_WIDTH]
        return (
            ("…" if start else "") + shown + ("…" if len(line) > start + _SHOWN_LINE_WIDTH else "")
        )

    caret = 10 + (1 if start else 0) + column - start
    return [
        f"  server: {window(expected)}",
        f"  local:  {window(local)}",
        " " * caret + "^",
    ]  # fmt: skip


def _redact_text(text: str, tokens: tuple[str, ...]) -> str:
    for token in tokens:
        text = text.replace(token, _REDACTED)
        text = text.replace(_core.uri_encode(token), _REDACTED)
    text = _TOKEN_HEADER_LINE.sub(r"\1" + _REDACTED, text)
    return _TOKEN_PARAMETER.sub(r"\1" + _REDACTED, text)


def _redacted(diagnosis: Diagnosis, tokens: tuple[str, ...]) -> Diagnosis:
    """The diagnosis with every session token (raw or URI-encoded) replaced."""

    def clean(text: str | None) -> str | None:
        return None if text is None else _redact_text(text, tokens)

    difference = diagnosis.first_difference
    if difference is not None:
        difference = replace(
            difference, expected=clean(difference.expected), local=clean(difference.local)
        )
    return Diagnosis(
        cause=diagnosis.cause,
        summary=_redact_text(diagnosis.summary, tokens),
        fix=_redact_text(diagnosis.fix, tokens),
        error_code=clean(diagnosis.error_code),
        server_message=clean(diagnosis.server_message),
        expected_canonical_request=clean(diagnosis.expected_canonical_request),
        local_canonical_request=clean(diagnosis.local_canonical_request),
        expected_string_to_sign=clean(diagnosis.expected_string_to_sign),
        local_string_to_sign=clean(diagnosis.local_string_to_sign),
        first_difference=difference,
        notes=tuple(_redact_text(note, tokens) for note in diagnosis.notes),
    )
