"""parse_http_request(): raw HTTP/1.x request text, as captured or pasted, into signable parts.

The parser never reaches the core, so its tests run once (python_only); the round trips
through the signer and inspect_request run on both twins.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastsigv4 import Credentials, InvalidRequestError, Signer, SigV4Error
from fastsigv4.http_message import HttpRequest, parse_http_request
from fastsigv4.verifier import inspect_request

CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = "20240315T101500Z"
POST = (
    "POST /2015-03-31/functions/f/invocations?Qualifier=live HTTP/1.1\r\n"
    "Host: lambda.us-east-1.amazonaws.com\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    '{"id": 42}\n'
)

python_only = pytest.mark.python_only


@python_only
def test_a_request_is_parsed_into_method_url_headers_and_body() -> None:
    assert parse_http_request(POST) == HttpRequest(
        "POST",
        "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/invocations?Qualifier=live",
        (
            ("Host", "lambda.us-east-1.amazonaws.com"),
            ("Content-Type", "application/json"),
            ("Content-Length", "11"),
        ),
        b'{"id": 42}\n',
    )


@python_only
@pytest.mark.parametrize(
    "text",
    [
        POST.replace("\r\n", "\n"),  # pasted from a terminal or an editor
        POST.replace("Content-Type: application/json\r\n", "Content-Type: application/json\n"),
        "\r\n\n" + POST,  # blank lines before the request line
        "\ufeff" + POST,  # an editor's byte order mark
    ],
)
def test_bare_lf_mixed_line_ends_leading_blank_lines_and_a_bom_read_the_same(text: str) -> None:
    assert parse_http_request(text) == parse_http_request(POST)


@python_only
def test_bytes_and_str_read_the_same() -> None:
    assert parse_http_request(POST.encode()) == parse_http_request(POST)
    text = "GET /caf\u00e9 HTTP/1.1\nHost: a.example\n\n"
    assert parse_http_request(text.encode("utf-8")).url == "https://a.example/caf\u00e9"


@python_only
def test_http_1_0_and_the_scheme_argument() -> None:
    request = parse_http_request("GET /x HTTP/1.0\nHost: 127.0.0.1:9000\n", scheme="http")

    assert request.url == "http://127.0.0.1:9000/x"
    assert request.body == b""


@python_only
def test_an_absolute_form_target_is_kept_as_is() -> None:
    text = "GET http://proxy.example:8080/k?a=1 HTTP/1.1\nHost: b.s3.amazonaws.com\n\n"

    assert parse_http_request(text).url == "http://proxy.example:8080/k?a=1"


@python_only
def test_obs_fold_continuation_lines_stay_in_the_value() -> None:
    text = "GET / HTTP/1.1\r\nHost: a.example\r\nX-Long: first  \r\n   second\r\n\tthird \r\n\r\n"

    headers = parse_http_request(text).headers

    assert headers == (("Host", "a.example"), ("X-Long", "first\r\n   second\r\n\tthird"))
    lf_headers = parse_http_request(text.replace("\r\n", "\n")).headers
    assert lf_headers[1] == ("X-Long", "first\n   second\n\tthird")


def test_obs_fold_values_are_unfolded_by_the_signer() -> None:
    folded = parse_http_request("GET / HTTP/1.1\nHost: a.example\nX-Long: first\n   second\n\n")
    flat = parse_http_request("GET / HTTP/1.1\nHost: a.example\nX-Long: first second\n\n")
    signer = Signer(CREDS, "us-east-1", "execute-api")

    signed = signer.sign(folded.method, folded.url, folded.headers, timestamp=WHEN)

    assert "\nx-long:first second\n" in signed.canonical_request
    assert (
        signed.signature
        == signer.sign(flat.method, flat.url, flat.headers, timestamp=WHEN).signature
    )


@python_only
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("abc", b"abc"),
        ("abc\n", b"abc"),  # the line break an editor adds after the body
        ("abc\r\n\r\n", b"abc"),
    ],
)
def test_content_length_delimits_the_body(body: str, expected: bytes) -> None:
    text = f"PUT /k HTTP/1.1\nHost: a.example\nContent-Length: 3\n\n{body}"

    assert parse_http_request(text).body == expected


@python_only
@pytest.mark.parametrize(
    ("rest", "body"),
    [("", b""), ("\n\n", b""), ("a=1&b=2", b"a=1&b=2"), ("line\n", b"line\n")],
)
def test_without_content_length_the_rest_is_the_body(rest: str, body: bytes) -> None:
    text = f"POST / HTTP/1.1\nHost: a.example\n\n{rest}"

    assert parse_http_request(text).body == body


@python_only
def test_a_binary_body_is_kept_byte_for_byte() -> None:
    payload = bytes(range(256))
    head = f"PUT /k HTTP/1.1\r\nHost: a.example\r\nContent-Length: {len(payload)}\r\n\r\n"

    assert parse_http_request(head.encode() + payload).body == payload


@python_only
def test_a_request_without_a_blank_line_has_no_body() -> None:
    request = parse_http_request("GET /k HTTP/1.1\nHost: a.example")

    assert request.headers == (("Host", "a.example"),)
    assert request.body == b""


@python_only
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("GET / HTTP/1.1\nX-Amz-Date: 20240315T101500Z\n\n", "no Host header"),
        ("GET http://a.example/ HTTP/1.1\n\n", "no Host header"),
        ("GET / HTTP/1.1\nHost: a\nHost: b\n\n", "2 Host headers"),
        ("GET / HTTP/1.1\nHost: a.example/evil\n\n", "Host header 'a.example/evil'"),
        ("GET / HTTP/1.1\nHost: user@a.example\n\n", "is not 'host' or 'host:port'"),
        ("GET / HTTP/1.1\nHost:\n\n", "is not 'host' or 'host:port'"),
        ("", "the request is empty"),
        ("\r\n\r\n", "the request is empty"),
        ("GET /\nHost: a\n\n", "is not 'METHOD request-target HTTP/1.1'"),
        ("GET /a b HTTP/1.1\nHost: a\n\n", "a space in the path is sent as %20"),
        ("GET  / HTTP/1.1\nHost: a\n\n", "three parts separated by single spaces"),
        ("G(T / HTTP/1.1\nHost: a\n\n", "is not an HTTP method name"),
        ("GET / HTTP/2\nHost: a\n\n", "HTTP version 'HTTP/2' is not supported"),
        ("GET a.example:443 HTTP/1.1\nHost: a\n\n", "neither a path"),
        ("OPTIONS * HTTP/1.1\nHost: a\n\n", "neither a path"),
        ("GET / HTTP/1.1\nHost: a\nNoColon\n\n", "header line 3 ('NoColon') has no ':'"),
        ("GET / HTTP/1.1\nHost : a\n\n", "invalid field name 'Host '"),
        ("GET / HTTP/1.1\n folded: x\nHost: a\n\n", "the first header line starts with"),
        ("GET / HTTP/1.1\nHost: a\nX-A: 1\r2\n\n", "a bare CR is not a line break"),
        ("GET / HTTP/1.1\rHost: a\n\n", "a bare CR is not a line break"),
        (b"GET /\xff HTTP/1.1\nHost: a\n\n", "request line is not UTF-8 (byte 0xFF"),
        (b"GET / HTTP/1.1\nHost: a\nX-A: \xc3\n\n", "header line 3 is not UTF-8"),
        ("GET / HTTP/1.1\nHost: a\n\ud800\n", "lone surrogate"),
        (
            "PUT / HTTP/1.1\nHost: a\nContent-Length: 9\n\nabc",
            "3 bytes, fewer than Content-Length 9",
        ),
        ("PUT / HTTP/1.1\nHost: a\nContent-Length: 1\n\nabc", "2 bytes follow the 1-byte body"),
        ("PUT / HTTP/1.1\nHost: a\nContent-Length: -1\n\n", "not a number of bytes"),
        ("PUT / HTTP/1.1\nHost: a\nContent-Length: 1\nContent-Length: 2\n\nab", "conflicting"),
        ("PUT / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\n\r\n", "chunked"),
    ],
)
def test_bad_requests_are_refused_saying_what_to_fix(text: str | bytes, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_http_request(text)

    assert problem in str(caught.value)


@python_only
def test_repeated_equal_content_lengths_are_one() -> None:
    text = "PUT / HTTP/1.1\nHost: a\nContent-Length: 2\nContent-Length: 2\n\nab"

    assert parse_http_request(text).body == b"ab"


@python_only
def test_the_header_count_is_bounded_and_the_limit_named() -> None:
    head = "GET / HTTP/1.1\nHost: a.example\n"
    at_limit = head + "X-N: 1\n" * 199 + "\n"
    over = head + "X-N: 1\n" * 200 + "\n"

    assert len(parse_http_request(at_limit).headers) == 200
    with pytest.raises(InvalidRequestError) as caught:
        parse_http_request(over)
    assert "more than 200 header lines (max_headers=200)" in str(caught.value)
    assert "pass a larger max_headers= to parse_http_request" in str(caught.value)
    assert len(parse_http_request(over, max_headers=201).headers) == 201


@python_only
def test_the_header_size_is_bounded_and_the_limit_named() -> None:
    head = "GET / HTTP/1.1\nHost: a.example\nX-Big: "
    at_limit = head + "v" * (100 - len(head) - 2) + "\n\n"  # exactly 100 bytes with the blank
    assert len(at_limit) == 100

    assert parse_http_request(at_limit + "body", max_header_bytes=100).body == b"body"
    for over in (at_limit.replace("X-Big: ", "X-Big: v"), head + "v" * 1000):
        with pytest.raises(InvalidRequestError) as caught:
            parse_http_request(over, max_header_bytes=100)
        assert "longer than 100 bytes (max_header_bytes=100)" in str(caught.value)
        assert "pass a larger max_header_bytes= to parse_http_request" in str(caught.value)


@python_only
def test_the_default_header_size_limit_is_64_kib() -> None:
    huge = "GET / HTTP/1.1\nHost: a\nX-Big: " + "v" * 70_000 + "\n\n"

    with pytest.raises(InvalidRequestError, match=r"max_header_bytes=65536"):
        parse_http_request(huge)
    assert len(parse_http_request(huge, max_header_bytes=80_000).headers[1][1]) == 70_000


@python_only
@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"scheme": "ht tp"}, "is not a URL scheme"),
        ({"scheme": ""}, "is not a URL scheme"),
        ({"max_headers": 0}, "max_headers must be an int >= 1"),
        ({"max_header_bytes": True}, "max_header_bytes must be an int >= 1"),
        ({"max_header_bytes": 1.5}, "max_header_bytes must be an int >= 1"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidRequestError, match=problem):
        parse_http_request(POST, **options)  # type: ignore[arg-type]


@python_only
def test_input_of_another_type_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="must be bytes or str, not int"):
        parse_http_request(42)  # type: ignore[arg-type]


@python_only
def test_repr_redacts_a_session_token() -> None:
    token = "IQoJb3JpZ2luX2VjEXAMPLE%2Ftoken"
    text = (
        f"GET /k?X-Amz-Security-Token={token}&a=1 HTTP/1.1\nHost: a.example\n"
        f"x-amz-security-token: {token}\n\n"
    )

    shown = repr(parse_http_request(text))

    assert token not in shown
    assert shown.count("<redacted>") == 2
    assert "&a=1" in shown


@python_only
def test_repr_shortens_a_long_body() -> None:
    text = "PUT / HTTP/1.1\nHost: a\nContent-Length: 1000\n\n" + "x" * 1000

    assert "... (1000 bytes)" in repr(parse_http_request(text))


@pytest.mark.parametrize("line_break", ["\r\n", "\n"])
def test_a_signed_request_round_trips_through_text(line_break: str) -> None:
    signer = Signer(CREDS, "us-east-1", "lambda")
    body = b'{"id": 42}'
    signed = signer.sign(
        "POST",
        "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/invocations?Qualifier=live",
        {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"},
        body,
        timestamp=WHEN,
    )
    target = signed.url.partition("amazonaws.com")[2]
    text = line_break.join(
        [f"POST {target} HTTP/1.1"]
        + [f"{name}: {value}" for name, value in signed.headers]
        + [f"Content-Length: {len(body)}", "", body.decode()]
    )

    request = parse_http_request(text)
    inspected = inspect_request(request.method, request.url, request.headers, request.body)

    assert request.url == signed.url
    assert inspected.canonical_request == signed.canonical_request
    assert inspected.signature == signed.signature


# -- arbitrary input: an HttpRequest or a SigV4Error, nothing else ------------------------

_LINES = st.sampled_from(
    [
        "GET / HTTP/1.1",
        "PUT http://a.example/k?x=1 HTTP/1.0",
        "Host: a.example",
        "Host: [::1]:8080",
        "Content-Length: 3",
        "Content-Length: x",
        "Transfer-Encoding: chunked",
        "X-A: value",
        "  folded",
        "\tfolded",
        "bad line",
        "",
        "abc",
    ]
)


@python_only
@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(st.characters(exclude_categories=[]), max_size=400),
        st.tuples(st.lists(_LINES, max_size=10), st.sampled_from(["\r\n", "\n"])).map(
            lambda parts: parts[1].join(parts[0])
        ),
    ),
    max_header_bytes=st.integers(1, 500),
    max_headers=st.integers(1, 12),
)
def test_arbitrary_input_gives_a_request_or_a_sigv4_error(
    data: bytes | str, max_header_bytes: int, max_headers: int
) -> None:
    try:
        request = parse_http_request(
            data, max_header_bytes=max_header_bytes, max_headers=max_headers
        )
    except SigV4Error:
        return
    assert request.url.startswith(("https://", "http://"))
    assert len(request.headers) <= max_headers
    assert isinstance(request.body, bytes)


_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True).filter(
    lambda name: name.lower() not in ("host", "content-length", "transfer-encoding")
)
_VALUES = st.from_regex(r"[!-~]([ -~]{0,30}[!-~])?", fullmatch=True)


@python_only
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=8),
    body=st.binary(max_size=64),
    line_break=st.sampled_from(["\r\n", "\n"]),
)
def test_serialized_headers_and_body_round_trip(
    headers: list[tuple[str, str]], body: bytes, line_break: str
) -> None:
    fields = [("Host", "a.example"), *headers, ("Content-Length", str(len(body)))]
    head = line_break.join(["POST /p HTTP/1.1"] + [f"{n}: {v}" for n, v in fields])

    request = parse_http_request(head.encode() + (line_break * 2).encode() + body)

    assert request.headers == tuple(fields)
    assert request.body == body
