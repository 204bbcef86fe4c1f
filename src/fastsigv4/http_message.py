"""Parse a raw HTTP/1.x request (as captured, or pasted by a user) into signable parts.

The CLI's ``verify``/``diagnose --request FILE`` and :func:`fastsigv4.diagnose.diagnose`
read requests through :func:`parse_http_request`. Pasted text is accepted as people
paste it: CRLF or bare LF line ends, leading blank lines, a UTF-8 byte order mark.
Everything that would make the parsed request differ from the one on the wire is
rejected: a bare CR, whitespace before a header's colon, conflicting body lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .errors import InvalidRequestError

__all__ = ["HttpRequest", "parse_http_request"]

_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_VERSIONS: Final = frozenset({"HTTP/1.0", "HTTP/1.1"})
# What a Host value may hold: reg-name or IP-literal characters and a port. Anything
# else ('/', '?', '#', '@', whitespace) would move text into the URL's path or userinfo.
_HOST_VALUE: Final = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:\[\]]+")
_ABSOLUTE_TARGET: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_SECURITY_TOKEN_PARAMETER: Final = re.compile(r"((?:^|[?&])X-Amz-Security-Token=)[^&#]*", re.I)
_REPR_BODY_BYTES: Final = 64


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One parsed request: ``url`` is absolute (scheme, Host and request-target).

    ``headers`` are in the order sent, names as sent; a value continued on obs-fold
    lines keeps its line breaks (the signer unfolds them as AWS does).
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def __repr__(self) -> str:
        # A request pasted for diagnosis may carry a session token; never echo it.
        headers = tuple(
            (name, "<redacted>" if name.lower() == "x-amz-security-token" else value)
            for name, value in self.headers
        )
        url = _SECURITY_TOKEN_PARAMETER.sub(r"\1<redacted>", self.url)
        body = self.body[:_REPR_BODY_BYTES]
        more = f"... ({len(self.body)} bytes)" if len(self.body) > _REPR_BODY_BYTES else ""
        return (
            f"HttpRequest(method={self.method!r}, url={url!r}, headers={headers!r}, "
            f"body={body!r}{more})"
        )


def _check_limit(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{name} must be an int >= 1, not {value!r:.40}")
    return value


def _header_section_lines(
    data: bytes, max_header_bytes: int, max_headers: int
) -> tuple[list[tuple[bytes, bytes]], int]:
    """The header section's (line, line break) pairs, and where the body starts.

    The section ends at the first empty line, or at the end of the input; leading
    empty lines, which RFC 9112 lets a server skip, are skipped. Only the first
    ``max_header_bytes`` bytes are ever searched.
    """
    lines: list[tuple[bytes, bytes]] = []
    position = 0
    while position < len(data):
        end = data.find(b"\n", position, max_header_bytes)
        if end < 0:
            if len(data) > max_header_bytes:
                raise _header_limit_error(max_header_bytes)
            line, line_break, position = data[position:], b"", len(data)
        else:
            has_cr = end > position and data[end - 1] == 0x0D
            line = data[position : end - 1 if has_cr else end]
            line_break, position = (b"\r\n" if has_cr else b"\n"), end + 1
        if not line:
            if lines:
                break
            continue
        if len(lines) > max_headers:  # the request line and max_headers header lines
            raise InvalidRequestError(
                f"the request has more than {max_headers} header lines (max_headers="
                f"{max_headers}); pass a larger max_headers= to parse_http_request to accept it"
            )
        lines.append((line, line_break))
    return lines, position


def _header_limit_error(max_header_bytes: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"the request line and headers are longer than {max_header_bytes} bytes "
        f"(max_header_bytes={max_header_bytes}); pass a larger max_header_bytes= to "
        "parse_http_request to accept them"
    )


def _text(line: bytes, what: str) -> str:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequestError(
            f"the {what} is not UTF-8 (byte 0x{line[exc.start]:02X} at position {exc.start}); "
            "pass the request as captured, or as text"
        ) from None
    if "\r" in text:
        raise InvalidRequestError(
            f"the {what} contains a carriage return that does not end the line; "
            "a bare CR is not a line break in HTTP: remove it"
        )
    return text


def _request_line(line: bytes, scheme: str) -> tuple[str, str, bool]:
    """(method, request-target, whether the target is absolute-form)."""
    text = _text(line, "request line")
    parts = text.split(" ")
    if len(parts) != 3 or not all(parts):
        raise InvalidRequestError(
            f"the request line {text!r:.80} is not 'METHOD request-target HTTP/1.1' "
            "(three parts separated by single spaces; a space in the path is sent as %20)"
        )
    method, target, version = parts
    if not _TOKEN.fullmatch(method):
        raise InvalidRequestError(f"the method {method!r:.40} is not an HTTP method name")
    if version not in _VERSIONS:
        raise InvalidRequestError(
            f"the HTTP version {version!r:.20} is not supported: pass an HTTP/1.1 or HTTP/1.0 "
            "request (for HTTP/2, write :authority as a Host header and the request line as "
            "'METHOD /path HTTP/1.1')"
        )
    if _ABSOLUTE_TARGET.match(target):
        return method, target, True
    if not target.startswith("/"):
        raise InvalidRequestError(
            f"the request-target {target!r:.60} is neither a path ('/...') nor an absolute URL "
            f"('{scheme}://host/...'); authority-form (CONNECT) and '*' requests carry no "
            "signable URL"
        )
    return method, target, False


def _header_fields(lines: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """(name, value) pairs of the header lines that follow the request line."""
    fields: list[tuple[str, str]] = []
    previous_break = ""
    for number, (line, line_break) in enumerate(lines, 2):
        text = _text(line, f"header line {number}")
        if text[0] in " \t":
            if not fields:
                raise InvalidRequestError(
                    "the first header line starts with whitespace: an obs-fold continuation "
                    "needs a header to continue; remove the leading whitespace"
                )
            # obs-fold: the line break stays in the value; the signer's trimall unfolds it.
            name, value = fields[-1]
            fields[-1] = (name, value + previous_break + text.rstrip(" \t"))
        else:
            name, colon, value = text.partition(":")
            if not colon:
                raise InvalidRequestError(
                    f"header line {number} ({text!r:.60}) has no ':'; write 'Name: value'"
                )
            if not _TOKEN.fullmatch(name):
                raise InvalidRequestError(
                    f"header line {number} has an invalid field name {name!r:.40} (letters, "
                    "digits and !#$%&'*+-.^_`|~ only; no whitespace before the ':')"
                )
            fields.append((name, value.strip(" \t")))
        previous_break = line_break.decode("ascii")
    return fields


def _host(fields: list[tuple[str, str]]) -> str | None:
    values = [value for name, value in fields if name.lower() == "host"]
    if len(values) > 1:
        raise InvalidRequestError(
            f"the request has {len(values)} Host headers; a request carries exactly one"
        )
    if not values:
        return None
    host = values[0]
    if not _HOST_VALUE.fullmatch(host):
        raise InvalidRequestError(
            f"the Host header {host!r:.60} is not 'host' or 'host:port' (no '/', '?', '#', "
            "'@' or whitespace)"
        )
    return host


def _content_length(fields: list[tuple[str, str]]) -> int | None:
    values = {value for name, value in fields if name.lower() == "content-length"}
    if any(name.lower() == "transfer-encoding" for name, _ in fields):
        raise InvalidRequestError(
            "Transfer-Encoding bodies (chunked) are not supported: paste the decoded body "
            "and replace Transfer-Encoding with Content-Length"
        )
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequestError(
            f"the request has conflicting Content-Length headers {sorted(values)!r:.60}"
        )
    text = values.pop()
    if not (text.isascii() and text.isdigit()):
        raise InvalidRequestError(f"Content-Length {text!r:.30} is not a number of bytes")
    return int(text)


def _body(data: bytes, start: int, length: int | None) -> bytes:
    rest = data[start:]
    if length is None:
        # No Content-Length: the rest is the body, except for the line breaks an editor
        # adds at the end of a pasted request.
        return b"" if not rest.strip(b"\r\n") else rest
    if len(rest) < length:
        raise InvalidRequestError(
            f"the body has {len(rest)} bytes, fewer than Content-Length {length}: pass the "
            "complete body (line breaks converted by an editor change its length)"
        )
    if rest[length:].strip(b"\r\n"):
        raise InvalidRequestError(
            f"{len(rest) - length} bytes follow the {length}-byte body Content-Length "
            "announces; pass one request, with its Content-Length matching the body"
        )
    return rest[:length]


def parse_http_request(
    data: bytes | str,
    *,
    scheme: str = "https",
    max_header_bytes: int = 65536,
    max_headers: int = 200,
) -> HttpRequest:
    """Parse one HTTP/1.0 or HTTP/1.1 request into method, absolute URL, headers and body.

    ``url`` is ``scheme://`` + the Host header + the request-target; an absolute-form
    target (``GET https://host/path HTTP/1.1``) is kept as is. A str is read as its
    UTF-8 bytes. The body is Content-Length bytes, or without Content-Length everything
    after the blank line. Bad input raises InvalidRequestError saying what to fix.
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidRequestError(
                f"the request text contains a lone surrogate at index {exc.start}, which has "
                "no UTF-8 form; pass the request as bytes, or as valid text"
            ) from None
    elif not isinstance(data, bytes):
        raise InvalidRequestError(f"the request must be bytes or str, not {type(data).__name__}")
    if not isinstance(scheme, str) or not _SCHEME.fullmatch(scheme):
        raise InvalidRequestError(f"scheme {scheme!r:.30} is not a URL scheme such as 'https'")
    max_header_bytes = _check_limit(max_header_bytes, "max_header_bytes")
    max_headers = _check_limit(max_headers, "max_headers")
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 BOM from an editor
    lines, body_start = _header_section_lines(data[start:], max_header_bytes, max_headers)
    if not lines:
        raise InvalidRequestError("the request is empty: pass 'METHOD /path HTTP/1.1', headers")
    method, target, absolute = _request_line(lines[0][0], scheme)
    fields = _header_fields(lines[1:])
    host = _host(fields)
    if host is None:
        raise InvalidRequestError(
            "the request has no Host header: add the 'Host: ...' line the client sent "
            "(SigV4 always signs it)"
        )
    url = target if absolute else scheme.lower() + "://" + host + target
    body = _body(data, start + body_start, _content_length(fields))
    return HttpRequest(method, url, tuple(fields), body)
