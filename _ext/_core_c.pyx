# cython: language_level=3
"""Compiled twin of the SigV4 canonicalization and hashing core.

``fastsigv4._core_py`` is the reference: same names, byte-identical results, the same
errors. Everything here works on UTF-8 bytes in C buffers. Whatever leaves the fast
path (an argument that is not exactly ``str``, a lone surrogate, a malformed escape, a
rejected header character, ...) is handed to the pure twin, which returns or raises
exactly what it always does, so no error message is duplicated here.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Next, PyDict_Size
from cpython.exc cimport PyErr_Clear
from cpython.object cimport PyObject, Py_TYPE
from cpython.ref cimport Py_INCREF
from cpython.sequence cimport PySequence_Fast_GET_ITEM
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_New, PyTuple_SET_ITEM
from cpython.type cimport PyType_GenericNew
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_DecodeUTF8, PyUnicode_GET_LENGTH, PyUnicode_New
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memchr, memcmp, memcpy, memset, strlen

from itertools import chain

cdef extern from "Python.h":
    # Without Cython's ``except NULL``: a failure (lone surrogate) is cleared and the
    # input handed to the pure twin for its own error.
    const char *_utf8 "PyUnicode_AsUTF8AndSize"(object text, Py_ssize_t *size)
    const Py_ssize_t PY_SSIZE_T_MAX

cdef extern from "sha256.h" nogil:
    ctypedef struct fsv4_sha256_ctx:
        pass
    ctypedef struct fsv4_hmac_key:
        fsv4_sha256_ctx inner
        fsv4_sha256_ctx outer
    void fsv4_sha256_init(fsv4_sha256_ctx *ctx)
    void fsv4_sha256_update(fsv4_sha256_ctx *ctx, const uint8_t *data, size_t len)
    void fsv4_sha256_final(fsv4_sha256_ctx *ctx, uint8_t *out)
    void fsv4_sha256(const uint8_t *data, size_t len, uint8_t *out)
    void fsv4_hmac_key_init(fsv4_hmac_key *k, const uint8_t *key, size_t key_len)
    void fsv4_hmac(const fsv4_hmac_key *k, const uint8_t *msg, size_t len, uint8_t *out)
    void fsv4_hmac_oneshot(const uint8_t *key, size_t key_len,
                           const uint8_t *msg, size_t len, uint8_t *out)
    void fsv4_hex_lower(const uint8_t *data, size_t len, char *out)
    const char *fsv4_sha256_implementation()

IMPLEMENTATION = "c"
# The SHA-256 compression sha256.c chose for this process: "sha-ni" or "portable".
SHA256_IMPLEMENTATION = fsv4_sha256_implementation().decode("ascii")


cdef object _pure():
    """The pure twin, imported on first use: only error paths and unusual inputs need it."""
    from fastsigv4 import _core_py
    return _core_py


# ---------------------------------------------------------------------------------------
# Byte tables, built once at import.

cdef enum:
    UNRESERVED = 1                   # A-Z a-z 0-9 - . _ ~
    SLASH = 2
    PATH_SAFE = UNRESERVED | SLASH

cdef enum:
    PLAIN           # every byte outside the safe set becomes %XX
    KEEP_ESCAPES    # complete %XX escapes are copied as sent (the S3 path rule)
    DECODE_ESCAPES  # %XX is decoded before encoding; a malformed one is an error (query)

cdef uint8_t _SAFE[256]   # UNRESERVED / SLASH bits
cdef uint8_t _HEX[256]    # value of a hex digit, 16 for any other byte
cdef char _PCT[256][3]    # "%XX", uppercase

cdef void _build_tables() noexcept:
    cdef const char *digits = b"0123456789ABCDEF"
    cdef int c
    memset(_SAFE, 0, sizeof(_SAFE))
    memset(_HEX, 16, sizeof(_HEX))
    for c in range(256):
        _PCT[c][0] = ord("%")
        _PCT[c][1] = digits[c >> 4]
        _PCT[c][2] = digits[c & 15]
    for c in range(10):
        _SAFE[ord("0") + c] = UNRESERVED
        _HEX[ord("0") + c] = c
    for c in range(26):
        _SAFE[ord("A") + c] = UNRESERVED
        _SAFE[ord("a") + c] = UNRESERVED
    for c in range(6):
        _HEX[ord("A") + c] = 10 + c
        _HEX[ord("a") + c] = 10 + c
    for c in b"-._~":
        _SAFE[c] = UNRESERVED
    _SAFE[ord("/")] = SLASH

_build_tables()


# ---------------------------------------------------------------------------------------
# A growable byte buffer: starts on the caller's stack, spills to the heap when needed.
# Nothing here touches Python objects, so a batch loop can later run without the GIL.

cdef struct Buf:
    uint8_t *p
    Py_ssize_t n        # bytes used
    Py_ssize_t cap
    bint heap           # p is ours to free (else it is the caller's stack array)

cdef inline void _buf_init(Buf *b, void *stack, Py_ssize_t cap) noexcept nogil:
    b.p = <uint8_t *>stack
    b.n = 0
    b.cap = cap
    b.heap = False

cdef inline void _buf_free(Buf *b) noexcept nogil:
    if b.heap:
        free(b.p)

cdef int _reserve(Buf *b, Py_ssize_t count, Py_ssize_t width) noexcept nogil:
    """Room for count * width more bytes; -1 on size overflow or when out of memory."""
    cdef Py_ssize_t need, cap
    cdef uint8_t *p
    if count > (PY_SSIZE_T_MAX - b.n) // width:
        return -1
    need = b.n + count * width
    if need <= b.cap:
        return 0
    cap = need if b.cap > PY_SSIZE_T_MAX // 2 or need > 2 * b.cap else 2 * b.cap
    if b.heap:
        p = <uint8_t *>realloc(b.p, cap)
    else:
        p = <uint8_t *>malloc(cap)
        if p != NULL:
            memcpy(p, b.p, b.n)
    if p == NULL:
        return -1
    b.p = p
    b.cap = cap
    b.heap = True
    return 0

cdef int _put(Buf *b, const void *data, Py_ssize_t n) noexcept nogil:
    if _reserve(b, n, 1) < 0:
        return -1
    memcpy(b.p + b.n, data, n)
    b.n += n
    return 0


# ---------------------------------------------------------------------------------------
# Byte-level rules.

cdef bint _all_safe(const uint8_t *s, Py_ssize_t n, uint8_t safe) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if not _SAFE[s[i]] & safe:
            return False
    return True

cdef int _encode(Buf *out, const uint8_t *s, Py_ssize_t n, uint8_t safe, int escapes) noexcept nogil:
    """Append s percent-encoded, bytes in the safe set kept.

    Returns 1 on a '%' not followed by two hex digits (DECODE_ESCAPES only), -1 when
    out of memory, else 0.
    """
    cdef Py_ssize_t i = 0
    cdef uint8_t c
    cdef uint8_t *d
    if _reserve(out, n, 3) < 0:
        return -1
    d = out.p + out.n
    while i < n:
        c = s[i]
        if c == ord("%") and escapes != PLAIN:
            if i + 2 < n and _HEX[s[i + 1]] < 16 and _HEX[s[i + 2]] < 16:
                if escapes == KEEP_ESCAPES:
                    memcpy(d, s + i, 3)
                    d += 3
                    i += 3
                    continue
                c = (_HEX[s[i + 1]] << 4) | _HEX[s[i + 2]]
                i += 2
            elif escapes == DECODE_ESCAPES:
                return 1
        if _SAFE[c] & safe:
            d[0] = c
            d += 1
        else:
            memcpy(d, _PCT[c], 3)
            d += 3
        i += 1
    out.n = d - out.p
    return 0

cdef inline bint _blank(uint8_t c) noexcept nogil:
    return c == ord(" ") or c == ord("\t")

cdef int _trim(Buf *out, const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Append a header value as trimall signs it; 1 on a character trimall rejects.

    One pass: an obs-fold ("\\r\\n" or "\\n" before SP/HT) counts as blank, runs of blanks
    become one space, blanks at either end go; any other byte outside TAB and 0x20-0x7E
    (control, bare line break, non-ASCII) is rejected.
    """
    cdef Py_ssize_t i = 0
    cdef uint8_t c
    cdef uint8_t *first
    cdef uint8_t *d
    cdef bint gap = False      # blanks since the last character kept
    if _reserve(out, n, 1) < 0:
        return -1
    first = d = out.p + out.n
    while i < n:
        c = s[i]
        if 0x20 < c < 0x7F:
            if gap and d != first:
                d[0] = ord(" ")
                d += 1
            d[0] = c
            d += 1
            gap = False
            i += 1
            continue
        if _blank(c):
            i += 1
        elif c == ord("\n") and i + 1 < n and _blank(s[i + 1]):
            i += 2
        elif c == ord("\r") and i + 2 < n and s[i + 1] == ord("\n") and _blank(s[i + 2]):
            i += 3
        else:
            return 1
        gap = True
    out.n = d - out.p
    return 0

cdef inline Py_ssize_t _find(const uint8_t *s, Py_ssize_t start, Py_ssize_t end, int ch) noexcept nogil:
    """Index of the first ch in s[start:end], else end."""
    cdef const void *hit = memchr(s + start, ch, end - start)
    return end if hit == NULL else <const uint8_t *>hit - s

cdef inline int _dots(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """1 for the path segment ".", 2 for "..", else 0."""
    if n == 1 and s[0] == ord("."):
        return 1
    if n == 2 and s[0] == ord(".") and s[1] == ord("."):
        return 2
    return 0

cdef int _cmp(const uint8_t *a, Py_ssize_t an, const uint8_t *b, Py_ssize_t bn) noexcept nogil:
    """Byte order, which is also code point order for UTF-8 (so Python's str order)."""
    cdef int r = memcmp(a, b, an if an < bn else bn)
    return r if r else (an > bn) - (an < bn)


# ---------------------------------------------------------------------------------------
# Building str results.

cdef str _ascii_str(const void *p, Py_ssize_t n):
    cdef str s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(s), p, n)
    return s

cdef str _hex(const uint8_t *digest):
    cdef str s = PyUnicode_New(64, 127)
    fsv4_hex_lower(digest, 32, <char *>PyUnicode_DATA(s))
    return s

cdef str _encoded(const uint8_t *s, Py_ssize_t n, uint8_t safe, int escapes):
    cdef uint8_t stack[512]
    cdef Buf out
    _buf_init(&out, stack, sizeof(stack))
    try:
        if _encode(&out, s, n, safe, escapes) < 0:
            raise MemoryError()
        return _ascii_str(out.p, out.n)
    finally:
        _buf_free(&out)


# ---------------------------------------------------------------------------------------
# The twin's functions.

def uri_encode(value, bint keep_slash=False):
    """AWS URI encoding: ``A-Za-z0-9-._~`` kept, every other UTF-8 byte as uppercase %XX."""
    cdef const uint8_t *s = NULL
    cdef Py_ssize_t n
    cdef uint8_t safe = PATH_SAFE if keep_slash else UNRESERVED
    if type(value) is str:
        s = <const uint8_t *>_utf8(value, &n)
    if s == NULL:
        PyErr_Clear()
        return _pure().uri_encode(value, keep_slash)
    if _all_safe(s, n, safe):
        return value
    return _encoded(s, n, safe, PLAIN)


cdef int _put_normalized_path(Buf *out, const uint8_t *s, Py_ssize_t n, int escapes) noexcept nogil:
    """Append the path with dot segments removed and slashes collapsed, each segment
    encoded (_remove_dot_segments while encoding); -1 when out of memory."""
    # An encoded segment has no '/', so dropping the last output segment means cutting
    # at the last '/' written.
    cdef Py_ssize_t base = out.n, start = 0, end, size
    while True:
        end = _find(s, start, n, ord("/"))
        size = end - start
        if _dots(s + start, size) == 2:
            while out.n > base:
                out.n -= 1
                if out.p[out.n] == ord("/"):
                    break
        elif size and not _dots(s + start, size):
            if _put(out, b"/", 1) < 0 or _encode(out, s + start, size, PATH_SAFE, escapes) < 0:
                return -1
        if end == n:
            break
        start = end + 1
    # Nothing left is the root; the RFC trailing-slash rule: a last segment "", "." or
    # ".." leaves a directory.
    if out.n == base or not size or _dots(s + start, size):
        return _put(out, b"/", 1)
    return 0


cdef str _normalized_path(const uint8_t *s, Py_ssize_t n, int escapes):
    cdef uint8_t stack[512]
    cdef Buf out
    _buf_init(&out, stack, sizeof(stack))
    try:
        if _put_normalized_path(&out, s, n, escapes) < 0:
            raise MemoryError()
        return _ascii_str(out.p, out.n)
    finally:
        _buf_free(&out)


def canonical_path(path, bint double_encode, bint normalize):
    """The canonical URI of a URL path as it will be sent (see the pure twin)."""
    cdef const uint8_t *s = NULL
    cdef Py_ssize_t n
    cdef int escapes = PLAIN if double_encode else KEEP_ESCAPES
    if type(path) is str:
        s = <const uint8_t *>_utf8(path, &n)
    if s == NULL:
        PyErr_Clear()
        return _pure().canonical_path(path, double_encode, normalize)
    if not n:
        path = "/"
        s = <const uint8_t *>b"/"
        n = 1
    if normalize:
        return _normalized_path(s, n, escapes)
    if _all_safe(s, n, PATH_SAFE):
        return path
    return _encoded(s, n, PATH_SAFE, escapes)


cdef struct Pair:
    Py_ssize_t ko, kn, vo, vn   # encoded key and value: offsets and lengths in the buffer
    const uint8_t *base         # that buffer, set once it no longer moves

cdef int _cmp_pairs(const void *x, const void *y) noexcept nogil:
    # Python's sort of (key, value) tuples: key first, then value.
    cdef const Pair *a = <const Pair *>x
    cdef const Pair *b = <const Pair *>y
    cdef int r = _cmp(a.base + a.ko, a.kn, b.base + b.ko, b.kn)
    return r if r else _cmp(a.base + a.vo, a.vn, b.base + b.vo, b.vn)

cdef int _add_pair(Buf *pairs, Buf *enc, const uint8_t *k, Py_ssize_t kn,
                   const uint8_t *v, Py_ssize_t vn, int escapes) noexcept nogil:
    """Encode one pair into enc and record it in pairs; _encode's return codes."""
    cdef Pair *pair
    cdef Py_ssize_t ko = enc.n, vo
    cdef int r = _encode(enc, k, kn, UNRESERVED, escapes)
    if r:
        return r
    vo = enc.n
    r = _encode(enc, v, vn, UNRESERVED, escapes)
    if r:
        return r
    if _reserve(pairs, 1, <Py_ssize_t>sizeof(Pair)) < 0:
        return -1
    pair = <Pair *>(pairs.p + pairs.n)
    pairs.n += <Py_ssize_t>sizeof(Pair)
    pair.ko = ko
    pair.kn = vo - ko
    pair.vo = vo
    pair.vn = enc.n - vo
    return 0


cdef void _sort_pairs(Pair *ps, Py_ssize_t count, const uint8_t *base) noexcept nogil:
    """Sort pairs whose keys and values lie in base, as Python sorts (key, value) tuples."""
    cdef Pair pair
    cdef Py_ssize_t i, j
    for i in range(count):
        ps[i].base = base
    if count > 16:
        qsort(ps, count, sizeof(Pair), _cmp_pairs)
        return
    # Insertion sort: a query has a handful of parameters, and qsort's set-up and
    # indirect calls cost more than the sorting.
    for i in range(1, count):
        pair = ps[i]
        j = i
        while j and _cmp_pairs(&ps[j - 1], &pair) > 0:
            ps[j] = ps[j - 1]
            j -= 1
        ps[j] = pair

cdef uint8_t *_join_pairs(uint8_t *d, const Pair *ps, Py_ssize_t count) noexcept nogil:
    """Write the sorted pairs as key=value&key=value at d (sum of their sizes + 2 * count
    - 1 bytes); returns the end."""
    cdef Py_ssize_t i
    for i in range(count):
        if i:
            d[0] = ord("&")
            d += 1
        memcpy(d, ps[i].base + ps[i].ko, ps[i].kn)
        d += ps[i].kn
        d[0] = ord("=")
        memcpy(d + 1, ps[i].base + ps[i].vo, ps[i].vn)
        d += 1 + ps[i].vn
    return d

cdef str _sorted_query(Buf *pairs, Buf *enc):
    """The canonical query of the pairs recorded by _add_pair: sorted, '=' and '&' added."""
    cdef Py_ssize_t count = pairs.n // <Py_ssize_t>sizeof(Pair)
    cdef str result
    if not count:
        return ""
    _sort_pairs(<Pair *>pairs.p, count, enc.p)
    # enc holds exactly the keys and values: add one '=' per pair, '&' between pairs.
    result = PyUnicode_New(enc.n + 2 * count - 1, 127)
    _join_pairs(<uint8_t *>PyUnicode_DATA(result), <Pair *>pairs.p, count)
    return result


def canonical_query(query, extra=()):
    """The canonical query string (see the pure twin)."""
    cdef const uint8_t *q = NULL
    cdef const uint8_t *k
    cdef const uint8_t *v
    cdef Py_ssize_t qn, kn, vn, start = 0, end, eq, vstart
    cdef uint8_t enc_stack[1024]
    cdef Pair pair_stack[16]
    cdef Buf enc, pairs
    cdef int r
    cdef list seen = []
    if type(query) is str:
        q = <const uint8_t *>_utf8(query, &qn)
    if q == NULL:
        PyErr_Clear()
        return _pure().canonical_query(query, extra)
    _buf_init(&enc, enc_stack, sizeof(enc_stack))
    _buf_init(&pairs, pair_stack, sizeof(pair_stack))
    try:
        while start < qn:
            end = _find(q, start, qn, ord("&"))
            if end > start:
                eq = _find(q, start, end, ord("="))
                vstart = eq + 1 if eq < end else end
                r = _add_pair(&pairs, &enc, q + start, eq - start,
                              q + vstart, end - vstart, DECODE_ESCAPES)
                if r > 0:
                    return _pure().canonical_query(query, extra)
                if r < 0:
                    raise MemoryError()
            start = end + 1
        # extra is consumed lazily, like the pure twin's loop; if it takes over midway it
        # gets what was already drawn plus the untouched rest.
        items = iter(extra)
        for item in items:
            seen.append(item)
            k = v = NULL
            if type(item) is tuple and PyTuple_GET_SIZE(item) == 2:
                key, value = <tuple>item
                if type(key) is str and type(value) is str:
                    k = <const uint8_t *>_utf8(key, &kn)
                    if k != NULL:
                        v = <const uint8_t *>_utf8(value, &vn)
            if v == NULL:
                PyErr_Clear()
                return _pure().canonical_query(query, chain(seen, items))
            if _add_pair(&pairs, &enc, k, kn, v, vn, PLAIN) < 0:
                raise MemoryError()
        return _sorted_query(&pairs, &enc)
    finally:
        _buf_free(&enc)
        _buf_free(&pairs)


def trimall(name, value):
    """A header value as signed: obs-fold unfolded, runs of spaces/tabs to one space, trimmed."""
    cdef const uint8_t *s = NULL
    cdef Py_ssize_t n
    cdef uint8_t stack[256]
    cdef Buf out
    cdef int r = 1
    if type(value) is str:
        s = <const uint8_t *>_utf8(value, &n)
    if s != NULL:
        _buf_init(&out, stack, sizeof(stack))
        try:
            r = _trim(&out, s, n)
            if r < 0:
                raise MemoryError()
            if r == 0:
                return _ascii_str(out.p, out.n)
        finally:
            _buf_free(&out)
    PyErr_Clear()
    return _pure().trimall(name, value)


cdef struct Header:
    const uint8_t *name         # UTF-8 owned by the name str (kept alive by `seen`)
    Py_ssize_t nn
    Py_ssize_t vo, vn           # trimmed value in the values buffer
    Py_ssize_t order            # input position: a repeated name keeps its values' order

cdef int _cmp_headers(const void *x, const void *y) noexcept nogil:
    cdef const Header *a = <const Header *>x
    cdef const Header *b = <const Header *>y
    cdef int r = _cmp(a.name, a.nn, b.name, b.nn)
    return r if r else (a.order > b.order) - (a.order < b.order)


def canonical_headers(headers):
    """(canonical header block, signed-headers list) of (lowercase name, value) pairs."""
    cdef const uint8_t *name
    cdef const uint8_t *value
    cdef Py_ssize_t nn, vn, count = 0, i
    cdef uint8_t vals_stack[1024]
    cdef uint8_t block_stack[1024]
    cdef uint8_t names_stack[256]
    cdef Header header_stack[16]
    cdef Buf vals, hdrs, block, names
    cdef Header *h
    cdef int r
    cdef list seen = []
    _buf_init(&vals, vals_stack, sizeof(vals_stack))
    _buf_init(&hdrs, header_stack, sizeof(header_stack))
    _buf_init(&block, block_stack, sizeof(block_stack))
    _buf_init(&names, names_stack, sizeof(names_stack))
    try:
        # Consumed lazily, like the pure twin's loop; if it takes over midway it gets
        # what was already drawn plus the untouched rest.
        items = iter(headers)
        for item in items:
            seen.append(item)
            name = value = NULL
            if type(item) is tuple and PyTuple_GET_SIZE(item) == 2:
                key, text = <tuple>item
                if type(key) is str and type(text) is str:
                    name = <const uint8_t *>_utf8(key, &nn)
                    if name != NULL:
                        value = <const uint8_t *>_utf8(text, &vn)
            if value == NULL:
                PyErr_Clear()
                return _pure().canonical_headers(chain(seen, items))
            if _reserve(&hdrs, 1, <Py_ssize_t>sizeof(Header)) < 0:
                raise MemoryError()
            h = <Header *>(hdrs.p + hdrs.n)
            h.vo = vals.n
            r = _trim(&vals, value, vn)
            if r > 0:
                return _pure().canonical_headers(chain(seen, items))
            if r < 0:
                raise MemoryError()
            hdrs.n += <Py_ssize_t>sizeof(Header)
            h.name = name
            h.nn = nn
            h.vn = vals.n - h.vo
            h.order = count
            count += 1
        h = <Header *>hdrs.p
        qsort(h, count, sizeof(Header), _cmp_headers)
        # Sorted by name then input position: a run of one name is one line, its values
        # joined with ',' in their original order. (_put only fails as -1, so '|' works.)
        for i in range(count):
            if i and _cmp(h[i].name, h[i].nn, h[i - 1].name, h[i - 1].nn) == 0:
                r = _put(&block, b",", 1)
            else:
                r = _put(&block, b"\n", 1) | _put(&names, b";", 1) if i else 0
                r |= _put(&block, h[i].name, h[i].nn) | _put(&block, b":", 1)
                r |= _put(&names, h[i].name, h[i].nn)
            if r | _put(&block, vals.p + h[i].vo, h[i].vn):
                raise MemoryError()
        if count and _put(&block, b"\n", 1) < 0:
            raise MemoryError()
        # Names may be any text: decode rather than assume ASCII.
        return (PyUnicode_DecodeUTF8(<char *>block.p, block.n, NULL),
                PyUnicode_DecodeUTF8(<char *>names.p, names.n, NULL))
    finally:
        _buf_free(&vals)
        _buf_free(&hdrs)
        _buf_free(&block)
        _buf_free(&names)


cdef enum:
    # Data this large is hashed without the GIL (hashlib's own threshold).
    NOGIL_MIN_DATA = 2048

# Without SHA-NI, OpenSSL's SHA-256 behind hashlib (SIMD assembly on x86-64, the SHA
# instructions on ARMv8, which sha256.c has no path for) beats sha256.c's portable C
# once the data outweighs the cost of calling it: from this many bytes on, the data
# that sha256_hex and sign_request hash whole (a body) goes to hashlib instead. (On an
# AMD EPYC with SHA-NI masked off for both, hashlib took ~0.14 us per 64-byte block
# against ~0.24 for the portable C, and was ahead from ~100 bytes.)
cdef Py_ssize_t _HASHLIB_MIN_BYTES = 128
cdef object _hashlib_sha256 = None
if SHA256_IMPLEMENTATION == "portable":
    import hashlib
    _hashlib_sha256 = hashlib.sha256


cdef int _sha256_bytes(bytes data, uint8_t *digest) except -1:
    """SHA-256 of data; large data without the GIL (bytes are immutable) or by hashlib."""
    cdef const uint8_t *p = <const uint8_t *><const char *>data
    cdef Py_ssize_t n = len(data)
    cdef bytes hashed
    if n >= _HASHLIB_MIN_BYTES and _hashlib_sha256 is not None:
        hashed = _hashlib_sha256(data).digest()
        memcpy(digest, <const char *>hashed, 32)
    elif n < NOGIL_MIN_DATA:
        fsv4_sha256(p, n, digest)
    else:
        with nogil:
            fsv4_sha256(p, n, digest)
    return 0


def sha256_hex(data):
    """Lowercase hex SHA-256 of ``data``."""
    cdef uint8_t digest[32]
    if type(data) is not bytes:
        return _pure().sha256_hex(data)
    _sha256_bytes(data, digest)
    return _hex(digest)


def string_to_sign(amz_date, scope, canonical_request):
    """The SigV4 string to sign for a canonical request."""
    cdef const uint8_t *s = NULL
    cdef Py_ssize_t n
    cdef uint8_t digest[32]
    if type(amz_date) is str and type(scope) is str and type(canonical_request) is str:
        s = <const uint8_t *>_utf8(canonical_request, &n)
    if s == NULL:
        PyErr_Clear()
        return _pure().string_to_sign(amz_date, scope, canonical_request)
    fsv4_sha256(s, n, digest)
    return "AWS4-HMAC-SHA256\n" + <str>amz_date + "\n" + <str>scope + "\n" + _hex(digest)


cdef enum:
    # The longest text a Prefix holds: a canonical request up to its first payload hash
    # (method, path, query, headers), a string to sign up to the canonical request's hash.
    PREFIX_MAX = 512

cdef struct Prefix:
    Py_ssize_t n                # bytes in text; 0 for none
    uint8_t text[PREFIX_MAX]
    fsv4_sha256_ctx ctx         # a start state that has absorbed text


@cython.final
@cython.auto_pickle(False)
cdef class SigningKey:
    """A derived SigV4 signing key, held as HMAC inner/outer pad states."""

    cdef fsv4_hmac_key _k
    # What sign_request last hashed under this key (see _absorb), wiped with it.
    cdef Prefix _request        # from the SHA-256 start state
    cdef Prefix _scope          # from the inner pad state

    def __init__(self, key):
        cdef Py_buffer view
        if type(key) is not bytes and type(key) is not bytearray:
            _pure().SigningKey(key)  # the pure twin's error for anything it rejects
        PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
        fsv4_hmac_key_init(&self._k, <const uint8_t *>view.buf, view.len)
        PyBuffer_Release(&view)

    def __dealloc__(self):
        memset(&self._k, 0, sizeof(self._k))
        memset(&self._request, 0, sizeof(self._request))
        memset(&self._scope, 0, sizeof(self._scope))

    cdef int _hmac(self, message, uint8_t *mac) except -1:
        cdef const uint8_t *s = NULL
        cdef Py_ssize_t n
        cdef bytes data
        if type(message) is str:
            s = <const uint8_t *>_utf8(message, &n)
        if s == NULL:
            PyErr_Clear()
            # The pure twin's own first step, so its error (lone surrogate, not a str)
            # or a str subclass's own encoding.
            data = _pure().utf8_bytes(message, "string to sign")
            s = <const uint8_t *><const char *>data
            n = len(data)
        fsv4_hmac(&self._k, s, n, mac)
        return 0

    def sign(self, message):
        """Lowercase hex HMAC-SHA256 of the UTF-8 ``message`` under this key."""
        cdef uint8_t mac[32]
        self._hmac(message, mac)
        return _hex(mac)

    def matches(self, message, signature):
        """Whether ``signature`` is ``sign(message)``, compared in constant time."""
        cdef uint8_t mac[32]
        cdef char expected[64]
        cdef const uint8_t *provided
        cdef uint8_t difference = 0
        cdef int i
        if not isinstance(signature, str):
            _pure()._signature_text(signature)  # raises its error
        self._hmac(message, mac)
        if not PyUnicode_IS_ASCII(signature) or PyUnicode_GET_LENGTH(signature) != 64:
            return False
        fsv4_hex_lower(mac, 32, expected)
        provided = <const uint8_t *>PyUnicode_DATA(signature)
        for i in range(64):
            difference |= provided[i] ^ <uint8_t>expected[i]
        return difference == 0

    def __repr__(self):
        return "<SigningKey (redacted)>"


cdef dict _KEY_CACHE = {}
# The key verify_presigned used last, with the very objects it was derived from (a
# server sees runs of one access key): (access key id, secret, date, region, service,
# key), or None.
cdef object _last_key = None
cdef Py_ssize_t _KEY_CACHE_MAX = 256


cdef SigningKey _derive(const uint8_t *secret, Py_ssize_t sn, const uint8_t *date, Py_ssize_t dn,
                        const uint8_t *region, Py_ssize_t rn, const uint8_t *service, Py_ssize_t vn):
    cdef uint8_t stack[128]
    cdef uint8_t a[32]
    cdef uint8_t b[32]
    cdef Buf k
    cdef SigningKey key
    _buf_init(&k, stack, sizeof(stack))
    if _put(&k, b"AWS4", 4) < 0 or _put(&k, secret, sn) < 0:
        _buf_free(&k)
        raise MemoryError()
    fsv4_hmac_oneshot(k.p, k.n, date, dn, a)
    _buf_free(&k)
    fsv4_hmac_oneshot(a, 32, region, rn, b)
    fsv4_hmac_oneshot(b, 32, service, vn, a)
    fsv4_hmac_oneshot(a, 32, <const uint8_t *>b"aws4_request", 12, b)
    key = SigningKey.__new__(SigningKey)
    fsv4_hmac_key_init(&key._k, b, 32)
    return key


cpdef signing_key(access_key_id, secret_access_key, date, region, service):
    """The signing key for a scope, derived once per (key pair, date, region, service)."""
    cdef const uint8_t *s = NULL
    cdef const uint8_t *d = NULL
    cdef const uint8_t *r = NULL
    cdef const uint8_t *v = NULL
    cdef Py_ssize_t sn, dn, rn, vn
    cache_key = (access_key_id, secret_access_key, date, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is not None:
        return key
    if (type(secret_access_key) is str and type(date) is str
            and type(region) is str and type(service) is str):
        s = <const uint8_t *>_utf8(secret_access_key, &sn)
        d = <const uint8_t *>_utf8(date, &dn) if s != NULL else NULL
        r = <const uint8_t *>_utf8(region, &rn) if d != NULL else NULL
        v = <const uint8_t *>_utf8(service, &vn) if r != NULL else NULL
    if v != NULL:
        key = _derive(s, sn, d, dn, r, rn, v, vn)
    else:
        PyErr_Clear()
        # The pure twin's encoding steps in its order: its errors, or a str subclass's bytes.
        py = _pure()
        secret = py.utf8_bytes(secret_access_key, "secret_access_key")
        date_b = py.utf8_bytes(date, "date")
        region_b = py.utf8_bytes(region, "region")
        service_b = py.utf8_bytes(service, "service")
        key = _derive(<const uint8_t *><const char *>secret, len(secret),
                      <const uint8_t *><const char *>date_b, len(date_b),
                      <const uint8_t *><const char *>region_b, len(region_b),
                      <const uint8_t *><const char *>service_b, len(service_b))
    if len(_KEY_CACHE) >= _KEY_CACHE_MAX:
        _KEY_CACHE.clear()
    _KEY_CACHE[cache_key] = key
    return key


def clear_signing_key_cache():
    """Forget every cached signing key (and with it the secrets in the cache keys)."""
    global _last_key
    _KEY_CACHE.clear()
    _last_key = None


# ---------------------------------------------------------------------------------------
# Header signing: one request from the parts Signer caches, in one call.

cdef str _joined(const uint8_t **part, const Py_ssize_t *size, Py_ssize_t count, bint ascii):
    """part[0] ... part[count - 1] joined, as a str: ASCII, or else decoded from UTF-8."""
    cdef Py_ssize_t i, n = 0
    cdef uint8_t *p
    cdef uint8_t stack[1024]
    cdef Buf text
    cdef str joined
    if ascii:
        for i in range(count):
            n += size[i]
        joined = PyUnicode_New(n, 127)
        p = <uint8_t *>PyUnicode_DATA(joined)
        for i in range(count):
            memcpy(p, part[i], size[i])
            p += size[i]
        return joined
    _buf_init(&text, stack, sizeof(stack))
    try:
        for i in range(count):
            if _put(&text, part[i], size[i]) < 0:
                raise MemoryError()
        return PyUnicode_DecodeUTF8(<const char *>text.p, text.n, NULL)
    finally:
        _buf_free(&text)

cdef inline void _set_item(tuple items, Py_ssize_t i, object value) noexcept:
    """items[i] = value in a tuple being filled (PyTuple_SET_ITEM steals a reference)."""
    Py_INCREF(value)
    PyTuple_SET_ITEM(items, i, value)

cdef inline tuple _pair(str name, object value):
    cdef tuple pair = PyTuple_New(2)
    _set_item(pair, 0, name)
    _set_item(pair, 1, value)
    return pair


cdef fsv4_sha256_ctx _SHA256_START
fsv4_sha256_init(&_SHA256_START)


cdef void _absorb(Prefix *last, const fsv4_sha256_ctx *start, const uint8_t **part,
                  const Py_ssize_t *size, Py_ssize_t count, fsv4_sha256_ctx *ctx) noexcept nogil:
    """ctx = start after absorbing part[0] ... part[count - 1], copied from last when last
    holds the same text (whose full blocks are then not compressed again); else last
    keeps the new text, if it fits.

    Requests signed with one key within a second share the string to sign up to the
    request's hash, and repeated requests their canonical request up to the payload
    hash. Called holding the GIL, which nothing here releases, so threads sharing the
    key never see a half-written last.
    """
    cdef Py_ssize_t i, total = 0, at = 0
    for i in range(count):
        total += size[i]
    if 0 < total == last.n:   # (an empty text is never kept: n starts at 0)
        for i in range(count):
            if memcmp(last.text + at, part[i], size[i]) != 0:
                break
            at += size[i]
        else:
            ctx[0] = last.ctx
            return
    ctx[0] = start[0]
    for i in range(count):
        fsv4_sha256_update(ctx, part[i], size[i])
    if 0 < total <= PREFIX_MAX:
        at = 0
        for i in range(count):
            memcpy(last.text + at, part[i], size[i])
            at += size[i]
        last.n = total
        last.ctx = ctx[0]


def template_key(twin, url, headers):
    """``(twin, url, name, value, ...)`` or None (see the pure twin)."""
    cdef Py_ssize_t n, i, pos = 0
    cdef PyObject *name
    cdef PyObject *value
    cdef tuple key
    if type(url) is not str:
        return None
    if headers is None:
        n = 0
    elif type(headers) is dict:
        n = PyDict_Size(headers)
    elif type(headers) is list or type(headers) is tuple:
        n = len(headers)
    else:
        return None
    key = PyTuple_New(2 + 2 * n)
    _set_item(key, 0, twin)
    _set_item(key, 1, url)
    # No Python code runs in these loops (nothing is allocated), so headers cannot change
    # under them. A key left partly filled is freed as it is.
    if type(headers) is dict:
        i = 2
        while PyDict_Next(headers, &pos, &name, &value):
            if type(<object>name) is not str or type(<object>value) is not str:
                return None
            _set_item(key, i, <object>name)
            _set_item(key, i + 1, <object>value)
            i += 2
    else:
        for i in range(n):
            pair = <object>PySequence_Fast_GET_ITEM(headers, i)
            if type(pair) is not tuple or PyTuple_GET_SIZE(pair) != 2:
                return None
        for i in range(n):
            pair = <object>PySequence_Fast_GET_ITEM(headers, i)
            if (type(<object>PyTuple_GET_ITEM(pair, 0)) is not str
                    or type(<object>PyTuple_GET_ITEM(pair, 1)) is not str):
                return None
            _set_item(key, 2 + 2 * i, <object>PyTuple_GET_ITEM(pair, 0))
            _set_item(key, 3 + 2 * i, <object>PyTuple_GET_ITEM(pair, 1))
    return key


@cython.final
@cython.auto_pickle(False)
cdef class _RecordMaker:
    """record_maker's function: object.__new__, then each slot descriptor's __set__, in C."""

    cdef type _cls
    cdef tuple _slots

    cdef object _new(self):
        # _slots checked that cls has object's __new__, which allocates just so.
        return PyType_GenericNew(self._cls, (), None)

    cdef int _set(self, record, Py_ssize_t i, value) except -1:
        slot = <object>PyTuple_GET_ITEM(self._slots, i)
        return Py_TYPE(slot).tp_descr_set(slot, record, value)

    def __call__(self, *values):
        cdef Py_ssize_t i, n = PyTuple_GET_SIZE(self._slots)
        if PyTuple_GET_SIZE(values) != n:
            return _pure().record_maker(self._cls)(*values)  # its TypeError
        record = self._new()
        for i in range(n):
            self._set(record, i, <object>PyTuple_GET_ITEM(values, i))
        return record


def record_maker(cls):
    """A function building ``cls`` instances from their values in ``__slots__`` order."""
    cdef _RecordMaker maker = _RecordMaker.__new__(_RecordMaker)
    maker._slots = _pure()._slots(cls)  # its TypeError for any other class
    maker._cls = cls
    return maker


def sign_request(key, method, segments, amz_date, payload, scope, credential, signed_names,
                 headers, make, url, session_token):
    """Sign one request in one call: body hash, canonical request, string to sign, HMAC.

    See the pure twin for the contract. The texts are hashed piece by piece, resuming
    from the states the key keeps of their beginnings (see _absorb), and built from the
    same pieces straight into their str objects; a record_maker's record is filled in
    place. What leaves the fast path (an argument that is not exactly the type Signer
    passes, a lone surrogate, a segment count other than 2 or 3) goes to the pure twin,
    which returns or raises what it always does.
    """
    cdef const uint8_t *part[7]      # the canonical request, piece by piece
    cdef Py_ssize_t size[7]
    cdef const uint8_t *date = NULL
    cdef const uint8_t *sc = NULL
    cdef const uint8_t *cred = NULL
    cdef const uint8_t *names = NULL
    cdef const uint8_t *hashed = NULL
    cdef Py_ssize_t count = 0, dn, scn, credn, namesn, hn, i, pieces, n, extra
    cdef bint ascii = True           # every input is ASCII, so every output is
    cdef uint8_t body_digest[32]
    cdef char body_hex[64]
    cdef uint8_t digest[32]
    cdef char cr_hex[64]
    cdef char sig[64]
    cdef const uint8_t *line[6]      # the string to sign, then the Authorization value
    cdef Py_ssize_t line_size[6]
    cdef Py_ssize_t first
    cdef fsv4_sha256_ctx ctx
    cdef SigningKey signing
    cdef str payload_hash = None
    cdef tuple out
    cdef _RecordMaker maker
    if (type(key) is SigningKey and type(method) is str and type(segments) is tuple
            and type(amz_date) is str and type(scope) is str and type(credential) is str
            and type(signed_names) is str and type(headers) is tuple
            and (type(payload) is bytes or type(payload) is str)):
        count = PyTuple_GET_SIZE(segments)
    if count == 2 or count == 3:
        part[0] = <const uint8_t *>_utf8(method, &size[0])
        if part[0] == NULL:
            count = 0
        else:
            ascii = size[0] == PyUnicode_GET_LENGTH(method)
        for i in range(count):
            text = <object>PyTuple_GET_ITEM(segments, i)
            if type(text) is not str:
                count = 0
                break
            # Segment i sits at 1, 3 (, 5): between them the per-request values.
            part[2 * i + 1] = <const uint8_t *>_utf8(text, &size[2 * i + 1])
            if part[2 * i + 1] == NULL:
                count = 0
                break
            ascii &= size[2 * i + 1] == PyUnicode_GET_LENGTH(text)
        if count:
            date = <const uint8_t *>_utf8(amz_date, &dn)
            sc = <const uint8_t *>_utf8(scope, &scn) if date != NULL else NULL
            cred = <const uint8_t *>_utf8(credential, &credn) if sc != NULL else NULL
            names = <const uint8_t *>_utf8(signed_names, &namesn) if cred != NULL else NULL
            if type(payload) is str and names != NULL:
                payload_hash = <str>payload
                hashed = <const uint8_t *>_utf8(payload_hash, &hn)
            else:
                hashed = <const uint8_t *>body_hex if names != NULL else NULL
                hn = 64
    if hashed == NULL:
        PyErr_Clear()
        return _pure().sign_request(key, method, segments, amz_date, payload, scope,
                                    credential, signed_names, headers, make, url, session_token)
    ascii &= (dn == PyUnicode_GET_LENGTH(amz_date) and scn == PyUnicode_GET_LENGTH(scope)
              and credn == PyUnicode_GET_LENGTH(credential)
              and namesn == PyUnicode_GET_LENGTH(signed_names)
              and (payload_hash is None or hn == PyUnicode_GET_LENGTH(payload_hash)))
    if payload_hash is None:
        _sha256_bytes(<bytes>payload, body_digest)
        fsv4_hex_lower(body_digest, 32, body_hex)
    signing = <SigningKey>key
    # Two segments: method, seg, date, seg, hash. Three: method, seg, hash, seg, date, seg, hash.
    pieces = 2 * count + 1
    part[pieces - 1] = hashed
    size[pieces - 1] = hn
    part[pieces - 3] = date
    size[pieces - 3] = dn
    if count == 3:
        part[2] = hashed
        size[2] = hn
    # The canonical request: up to its first payload hash, then the rest.
    first = pieces - 1 if count == 2 else 2
    _absorb(&signing._request, &_SHA256_START, part, size, first, &ctx)
    for i in range(first, pieces):
        fsv4_sha256_update(&ctx, part[i], size[i])
    fsv4_sha256_final(&ctx, digest)
    # The string to sign: up to the request's hash into the inner pad state, then the HMAC.
    line[0] = <const uint8_t *>b"AWS4-HMAC-SHA256\n"
    line_size[0] = 17
    line[1] = date
    line_size[1] = dn
    line[2] = line[4] = <const uint8_t *>b"\n"
    line_size[2] = line_size[4] = 1
    line[3] = sc
    line_size[3] = scn
    _absorb(&signing._scope, &signing._k.inner, line, line_size, 5, &ctx)
    fsv4_hex_lower(digest, 32, cr_hex)
    line[5] = <const uint8_t *>cr_hex
    line_size[5] = 64
    fsv4_sha256_update(&ctx, line[5], 64)
    fsv4_sha256_final(&ctx, digest)
    ctx = signing._k.outer
    fsv4_sha256_update(&ctx, digest, 32)
    fsv4_sha256_final(&ctx, digest)
    fsv4_hex_lower(digest, 32, sig)
    signature = _ascii_str(sig, 64)
    canonical_request = _joined(part, size, pieces, ascii)
    string_to_sign = _joined(line, line_size, 6, ascii)
    # The Authorization value: six pieces again, the signature last (64 bytes, as the hash).
    line[0] = <const uint8_t *>b"AWS4-HMAC-SHA256 Credential="
    line_size[0] = 28
    line[1] = cred
    line_size[1] = credn
    line[2] = <const uint8_t *>b", SignedHeaders="
    line_size[2] = 16
    line[3] = names
    line_size[3] = namesn
    line[4] = <const uint8_t *>b", Signature="
    line_size[4] = 12
    line[5] = <const uint8_t *>sig
    authorization = _joined(line, line_size, 6, ascii)
    n = PyTuple_GET_SIZE(headers)
    extra = 3 if count == 3 else 2
    out = PyTuple_New(n + extra)
    for i in range(n):
        _set_item(out, i, <object>PyTuple_GET_ITEM(headers, i))
    _set_item(out, n, _pair("X-Amz-Date", amz_date))
    if count == 3:
        if payload_hash is None:
            payload_hash = _ascii_str(body_hex, 64)
        _set_item(out, n + 1, _pair("X-Amz-Content-SHA256", payload_hash))
    _set_item(out, n + extra - 1, _pair("Authorization", authorization))
    if type(make) is not _RecordMaker or PyTuple_GET_SIZE((<_RecordMaker>make)._slots) != 7:
        return make(method, url, out, signature, canonical_request, string_to_sign,
                    session_token)
    maker = <_RecordMaker>make  # record_maker(SignedRequest): its fields, without a call
    record = maker._new()
    maker._set(record, 0, method)
    maker._set(record, 1, url)
    maker._set(record, 2, out)
    maker._set(record, 3, signature)
    maker._set(record, 4, canonical_request)
    maker._set(record, 5, string_to_sign)
    maker._set(record, 6, session_token)
    return record


# Bulk presigning (PresignKernel.presign_many) works in chunks of at most this many keys,
# a chunk also closing once its keys reach this many UTF-8 bytes, so its buffers stay
# small whatever the input. Read once per call; the tests lower them to put chunk
# boundaries everywhere.
_PRESIGN_CHUNK_KEYS = 4096
_PRESIGN_CHUNK_BYTES = 1 << 18

cdef enum:
    # A chunk below both is signed holding the GIL: releasing and retaking it would
    # cost more than the work.
    NOGIL_MIN_KEYS = 8
    NOGIL_MIN_BYTES = 2048

cdef struct Job:
    const uint8_t *key      # a key's UTF-8, owned by a str the chunk holds a reference to
    Py_ssize_t n
    Py_ssize_t size         # its URL's length in bytes
    uint8_t *url            # where its URL is written


cdef uint8_t _KEY_EXTRA[256]    # the bytes encoding adds to a key's byte: 0 kept, 2 as %XX
for _byte in range(256):
    _KEY_EXTRA[_byte] = 0 if _SAFE[_byte] & PATH_SAFE else 2


cdef Py_ssize_t _key_encoded_size(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Length of s encoded as an S3 key ('/' kept), or -1 when s is not UTF-8.

    Valid means what Python's strict decoder accepts: shortest forms, no surrogates, at
    most U+10FFFF. Every byte of a multi-byte character is encoded (3 bytes each).
    """
    cdef Py_ssize_t i = 0, size = n, more, k
    cdef uint8_t c, low, high
    cdef uint64_t word
    while i < n:
        if n - i >= 8:
            # Eight ASCII bytes at a time, without a branch per byte.
            memcpy(&word, s + i, 8)
            if not word & 0x8080808080808080ULL:
                size += (_KEY_EXTRA[s[i]] + _KEY_EXTRA[s[i + 1]] + _KEY_EXTRA[s[i + 2]]
                         + _KEY_EXTRA[s[i + 3]] + _KEY_EXTRA[s[i + 4]] + _KEY_EXTRA[s[i + 5]]
                         + _KEY_EXTRA[s[i + 6]] + _KEY_EXTRA[s[i + 7]])
                i += 8
                continue
        c = s[i]
        if c < 0x80:
            size += _KEY_EXTRA[c]
            i += 1
            continue
        low, high = 0x80, 0xBF              # the first continuation byte's range
        if 0xC2 <= c <= 0xDF:
            more = 1
        elif 0xE0 <= c <= 0xEF:
            more = 2
            if c == 0xE0:
                low = 0xA0                  # not overlong
            elif c == 0xED:
                high = 0x9F                 # not a surrogate
        elif 0xF0 <= c <= 0xF4:
            more = 3
            if c == 0xF0:
                low = 0x90                  # not overlong
            elif c == 0xF4:
                high = 0x8F                 # not above U+10FFFF
        else:
            return -1
        if n - i <= more or not low <= s[i + 1] <= high:
            return -1
        for k in range(i + 2, i + 1 + more):
            if not 0x80 <= s[k] <= 0xBF:
                return -1
        size += 2 * (more + 1)
        i += more + 1
    return size

cdef inline uint8_t *_encode_key(uint8_t *d, const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Write s encoded as an S3 key ('/' kept) at d; returns the end of what it wrote."""
    cdef Py_ssize_t i
    cdef uint8_t c
    for i in range(n):
        c = s[i]
        if _SAFE[c] & PATH_SAFE:
            d[0] = c
            d += 1
        else:
            memcpy(d, _PCT[c], 3)
            d += 3
    return d

cdef inline Py_ssize_t _line_key(const uint8_t *s, Py_ssize_t start, Py_ssize_t n,
                                 Py_ssize_t *end) noexcept nogil:
    """The line starting at start: sets end to its '\\n' (or n) and returns the length of
    its key (one trailing '\\r' dropped; 0 for a blank line)."""
    cdef Py_ssize_t stop = _find(s, start, n, ord("\n"))
    end[0] = stop
    if stop > start and s[stop - 1] == ord("\r"):
        stop -= 1
    return stop - start


@cython.final
@cython.auto_pickle(False)
cdef class PresignKernel:
    """Presigns raw S3 object keys against everything precomputed for one timestamp.

    Per key: encode it once ('/' kept) straight into the URL, hash canonical prefix + key
    + suffix starting from the saved state after the prefix, HMAC sts_prefix + that hash
    starting from the inner pad state saved after sts_prefix, and write the signature at
    the URL's end. The URL's length is computed first, so it is written in place: into
    the result str (or bytes block) allocated at its exact size.
    """

    cdef tuple _args            # constructor arguments: the pure twin's kernel when needed
    cdef bint _fast             # False: arguments the fast path does not take (see __init__)
    cdef bint _ascii            # url_prefix and query are ASCII: write the URL into a str
    cdef const uint8_t *_url    # UTF-8 of url_prefix, suffix and query, owned by those str
    cdef const uint8_t *_suffix # objects, which _args keeps alive
    cdef const uint8_t *_query
    cdef Py_ssize_t _url_n, _suffix_n, _query_n
    cdef fsv4_sha256_ctx _canonical   # SHA-256 state after canonical_prefix
    cdef fsv4_sha256_ctx _inner       # HMAC inner state after sts_prefix
    cdef fsv4_sha256_ctx _outer       # HMAC outer pad state

    def __init__(self, signing_key, url_prefix, canonical_prefix, canonical_suffix,
                 sts_prefix, query):
        cdef const uint8_t *prefix
        cdef const uint8_t *sts
        cdef Py_ssize_t prefix_n, sts_n
        self._args = (signing_key, url_prefix, canonical_prefix, canonical_suffix, sts_prefix, query)
        self._fast = False
        # Anything else (another key type, a non-str part, a lone surrogate) is the pure
        # twin's kernel's business, including raising at presign time as it does.
        if type(signing_key) is not SigningKey:
            return
        for part in self._args[1:]:
            if type(part) is not str:
                return
        self._url = <const uint8_t *>_utf8(url_prefix, &self._url_n)
        prefix = <const uint8_t *>_utf8(canonical_prefix, &prefix_n) if self._url else NULL
        self._suffix = <const uint8_t *>_utf8(canonical_suffix, &self._suffix_n) if prefix else NULL
        sts = <const uint8_t *>_utf8(sts_prefix, &sts_n) if self._suffix else NULL
        self._query = <const uint8_t *>_utf8(query, &self._query_n) if sts else NULL
        if self._query == NULL:
            PyErr_Clear()
            return
        fsv4_sha256_init(&self._canonical)
        fsv4_sha256_update(&self._canonical, prefix, prefix_n)
        self._inner = (<SigningKey>signing_key)._k.inner
        fsv4_sha256_update(&self._inner, sts, sts_n)
        self._outer = (<SigningKey>signing_key)._k.outer
        self._ascii = (self._url_n == PyUnicode_GET_LENGTH(url_prefix)
                       and self._query_n == PyUnicode_GET_LENGTH(query))
        self._fast = True

    cdef inline Py_ssize_t _fixed(self) noexcept nogil:
        """The bytes of a URL besides its encoded key: prefix, query, signature."""
        return self._url_n + self._query_n + 64

    cdef void _signature(self, const uint8_t *enc, Py_ssize_t n, char *sig) noexcept nogil:
        """Write the 64 hex signature digits of an encoded key to sig."""
        cdef fsv4_sha256_ctx ctx
        cdef uint8_t digest[32]
        cdef char hexed[64]
        ctx = self._canonical
        fsv4_sha256_update(&ctx, enc, n)
        fsv4_sha256_update(&ctx, self._suffix, self._suffix_n)
        fsv4_sha256_final(&ctx, digest)
        fsv4_hex_lower(digest, 32, hexed)
        ctx = self._inner
        fsv4_sha256_update(&ctx, <const uint8_t *>hexed, 64)
        fsv4_sha256_final(&ctx, digest)
        ctx = self._outer
        fsv4_sha256_update(&ctx, digest, 32)
        fsv4_sha256_final(&ctx, digest)
        fsv4_hex_lower(digest, 32, sig)

    cdef uint8_t *_write_url(self, const uint8_t *key, Py_ssize_t n, uint8_t *d) noexcept nogil:
        """Write URL prefix + encoded key + query + signature at d (room for
        _fixed() + the key's encoded size); returns the end of the URL."""
        cdef uint8_t *enc = d + self._url_n
        cdef uint8_t *query
        memcpy(d, self._url, self._url_n)
        query = _encode_key(enc, key, n)
        memcpy(query, self._query, self._query_n)
        self._signature(enc, query - enc, <char *>query + self._query_n)
        return query + self._query_n + 64

    cdef object _presign(self, key, Buf *scratch):
        cdef const uint8_t *s = NULL
        cdef Py_ssize_t n, size
        if self._fast and type(key) is str and PyUnicode_GET_LENGTH(key):
            s = <const uint8_t *>_utf8(key, &n)
        if s == NULL:
            # Not a non-empty str, a lone surrogate, or a kernel the fast path does not take.
            PyErr_Clear()
            return _pure().PresignKernel(*self._args).presign(key)
        size = self._fixed() + _key_encoded_size(s, n)
        if self._ascii:
            url = PyUnicode_New(size, 127)
            self._write_url(s, n, <uint8_t *>PyUnicode_DATA(url))
            return url
        if _reserve(scratch, size, 1) < 0:
            raise MemoryError()
        self._write_url(s, n, scratch.p)
        return PyUnicode_DecodeUTF8(<char *>scratch.p, size, NULL)

    def presign(self, key):
        """The presigned URL of one raw object key."""
        cdef uint8_t stack[512]
        cdef Buf scratch
        _buf_init(&scratch, stack, sizeof(stack))
        try:
            return self._presign(key, &scratch)
        finally:
            _buf_free(&scratch)

    cdef Py_ssize_t _measure(self, Job *jobs, Py_ssize_t count) noexcept nogil:
        """Set the URL size of every job of a chunk; returns their sum."""
        cdef Py_ssize_t i, total = 0
        for i in range(count):
            jobs[i].size = self._fixed() + _key_encoded_size(jobs[i].key, jobs[i].n)
            total += jobs[i].size
        return total

    cdef void _fill(self, Job *jobs, Py_ssize_t count) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(count):
            self._write_url(jobs[i].key, jobs[i].n, jobs[i].url)

    cdef int _flush(self, Job *jobs, Py_ssize_t count, Py_ssize_t size, Buf *out,
                    list urls) except -1:
        """Sign a chunk and append its URLs to urls.

        Without the GIL (unless the chunk is tiny): the URL sizes, then every URL written
        in place. With it, in between: the result str objects allocated at their exact
        sizes (ASCII URLs), else one buffer for the chunk, decoded afterwards.
        """
        cdef bint release = count >= NOGIL_MIN_KEYS or size >= NOGIL_MIN_BYTES
        cdef Py_ssize_t i, total
        cdef uint8_t *p
        if release:
            with nogil:
                total = self._measure(jobs, count)
        else:
            total = self._measure(jobs, count)
        if self._ascii:
            for i in range(count):
                url = PyUnicode_New(jobs[i].size, 127)
                jobs[i].url = <uint8_t *>PyUnicode_DATA(url)
                urls.append(url)    # not yet filled, but no one else sees urls
        else:
            out.n = 0
            if _reserve(out, total, 1) < 0:
                raise MemoryError()
            p = out.p
            for i in range(count):
                jobs[i].url = p
                p += jobs[i].size
        if release:
            with nogil:
                self._fill(jobs, count)
        else:
            self._fill(jobs, count)
        if not self._ascii:
            for i in range(count):
                urls.append(PyUnicode_DecodeUTF8(<char *>jobs[i].url, jobs[i].size, NULL))
        return 0

    def presign_many(self, keys):
        """Presigned URLs of many raw object keys, in input order.

        Keys are drawn one by one, as the pure twin's loop draws them, into chunks. With
        the GIL: a reference to each key of the chunk (so its UTF-8 outlives whatever
        another thread does to the caller's container) and its UTF-8; then _flush. A key
        the fast path does not take (not a non-empty str, a lone surrogate) closes the
        chunk and goes to the pure twin's kernel, which returns or raises what it would in
        its own loop at that position.
        """
        cdef Py_ssize_t max_keys, max_bytes, count = 0, size = 0, n
        cdef const uint8_t *s
        cdef Job jobs_stack[32]
        cdef uint8_t out_stack[2048]
        cdef Buf jobs, out
        cdef Job *job
        cdef list urls = []
        cdef list chunk = []        # the references that keep the chunk's UTF-8 alive
        cdef object slow = None     # the pure twin's kernel, for keys off the fast path
        if not self._fast:
            return _pure().PresignKernel(*self._args).presign_many(keys)
        max_keys = _PRESIGN_CHUNK_KEYS
        max_bytes = _PRESIGN_CHUNK_BYTES
        _buf_init(&jobs, jobs_stack, sizeof(jobs_stack))
        _buf_init(&out, out_stack, sizeof(out_stack))
        try:
            for key in keys:
                s = NULL
                if type(key) is str and PyUnicode_GET_LENGTH(key):
                    s = <const uint8_t *>_utf8(key, &n)
                if s == NULL:
                    PyErr_Clear()
                    if count:
                        self._flush(<Job *>jobs.p, count, size, &out, urls)
                        count = size = jobs.n = 0
                        del chunk[:]
                    if slow is None:
                        slow = _pure().PresignKernel(*self._args)
                    urls.append(slow.presign(key))
                    continue
                if _reserve(&jobs, 1, <Py_ssize_t>sizeof(Job)) < 0:
                    raise MemoryError()
                job = <Job *>(jobs.p + jobs.n)
                jobs.n += <Py_ssize_t>sizeof(Job)
                job.key = s
                job.n = n
                chunk.append(key)
                count += 1
                size += n
                if count >= max_keys or size >= max_bytes:
                    self._flush(<Job *>jobs.p, count, size, &out, urls)
                    count = size = jobs.n = 0
                    del chunk[:]
            if count:
                self._flush(<Job *>jobs.p, count, size, &out, urls)
        finally:
            _buf_free(&jobs)
            _buf_free(&out)
        return urls

    cdef Py_ssize_t _lines_size(self, const uint8_t *s, Py_ssize_t n,
                                Py_ssize_t *count) noexcept nogil:
        """Bytes of presign_lines' URL lines for the lines in s, and how many (count);
        -1 if a key is not UTF-8."""
        cdef Py_ssize_t start = 0, end, length, size, total = 0
        count[0] = 0
        while start < n:
            length = _line_key(s, start, n, &end)
            if length:
                size = _key_encoded_size(s + start, length)
                if size < 0:
                    return -1
                total += self._fixed() + size + 1
                count[0] += 1
            start = end + 1
        return total

    cdef void _lines_fill(self, const uint8_t *s, Py_ssize_t n, uint8_t *d) noexcept nogil:
        cdef Py_ssize_t start = 0, end, length
        while start < n:
            length = _line_key(s, start, n, &end)
            if length:
                d = self._write_url(s + start, length, d)
                d[0] = ord("\n")
                d += 1
            start = end + 1

    def presign_lines(self, data, first_line=1):
        """(URL lines, how many) for the keys in a block of input lines (see the pure twin).

        Both passes over data (the size of the result, then the URLs written into it) run
        without the GIL unless it is tiny; data is immutable bytes, so no other thread can
        change it meanwhile. Any other argument, and invalid UTF-8, go to the pure twin
        for its result or error.
        """
        cdef const uint8_t *s
        cdef uint8_t *d
        cdef Py_ssize_t n, total, count
        cdef bint release
        cdef bytes urls
        if not self._fast or type(data) is not bytes:
            return _pure().PresignKernel(*self._args).presign_lines(data, first_line)
        s = <const uint8_t *>PyBytes_AS_STRING(data)
        n = PyBytes_GET_SIZE(data)
        release = n >= NOGIL_MIN_BYTES
        if release:
            with nogil:
                total = self._lines_size(s, n, &count)
        else:
            total = self._lines_size(s, n, &count)
        if total < 0:
            return _pure().PresignKernel(*self._args).presign_lines(data, first_line)
        urls = PyBytes_FromStringAndSize(NULL, total)
        d = <uint8_t *>PyBytes_AS_STRING(urls)
        if release:
            with nogil:
                self._lines_fill(s, n, d)
        else:
            self._lines_fill(s, n, d)
        return urls, count

    def __repr__(self):
        return f"<PresignKernel {self._args[1]!r}>"

# ---------------------------------------------------------------------------------------
# Reading a request as received (the verifier): split_url, presigned_parts and
# amz_date_seconds. ASCII text is read in place; anything else, and every error, goes to
# the pure twin, as everywhere in this file.

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)

cdef uint8_t _TCHAR[256]    # HTTP token characters (RFC 9110): a URL scheme's
cdef const char *_PARAMETER[9]
cdef Py_ssize_t _PARAMETER_N[9]

cdef enum:
    # Indexes into _PARAMETER: the pure twin's SIGNING_PARAMETERS, then the SigV2 names.
    SIGNATURE = 5
    SECURITY_TOKEN = 6
    SIGNING_COUNT = 7
    SIGV2_KEY = 7
    SIGV2_SIGNATURE = 8
    NAME_MAX = 32           # longer (decoded) names are none of _PARAMETER

cdef void _build_reading_tables() noexcept:
    cdef int c, i
    for c in range(256):
        _TCHAR[c] = _SAFE[c] & UNRESERVED
    for c in b"!#$%&'*+^`|":
        _TCHAR[c] = 1
    _PARAMETER[0] = b"X-Amz-Algorithm"
    _PARAMETER[1] = b"X-Amz-Credential"
    _PARAMETER[2] = b"X-Amz-Date"
    _PARAMETER[3] = b"X-Amz-Expires"
    _PARAMETER[4] = b"X-Amz-SignedHeaders"
    _PARAMETER[5] = b"X-Amz-Signature"
    _PARAMETER[6] = b"X-Amz-Security-Token"
    _PARAMETER[7] = b"AWSAccessKeyId"
    _PARAMETER[8] = b"Signature"
    for i in range(9):
        _PARAMETER_N[i] = len(<bytes>_PARAMETER[i])

_build_reading_tables()


cdef inline uint8_t _lower(uint8_t c) noexcept nogil:
    return c + 32 if ord("A") <= c <= ord("Z") else c

cdef inline bint _is(const uint8_t *s, Py_ssize_t n, const char *word) noexcept nogil:
    """s[:n] is word, ignoring ASCII case (word is lowercase)."""
    cdef Py_ssize_t i
    for i in range(n):
        if word[i] == 0 or _lower(s[i]) != <uint8_t>word[i]:
            return False
    return word[n] == 0


def split_url(url):
    """(origin, Host header value, path, query) of an absolute URL (see the pure twin)."""
    cdef const uint8_t *s
    cdef const uint8_t *hit
    cdef Py_ssize_t n, i, sep, auth, auth_end, at = -1, host_start, host_end, path_end
    cdef Py_ssize_t head, size, digits = 0
    cdef long port = 0, default_port = 0
    cdef char port_text[8]
    cdef uint8_t *d
    cdef str host, origin
    if type(url) is not str or not PyUnicode_IS_ASCII(url):
        return _pure().split_url(url)
    s = <const uint8_t *>PyUnicode_DATA(url)
    n = PyUnicode_GET_LENGTH(url)
    if _has_url_control(s, n):
        return _pure().split_url(url)       # its error for a control character or '#'
    # The scheme: up to the first "://", an HTTP token starting with a letter.
    sep = 0
    while True:
        hit = <const uint8_t *>memchr(s + sep, ord(":"), n - sep)
        if hit == NULL:
            return _pure().split_url(url)
        sep = hit - s
        if sep + 2 < n and s[sep + 1] == ord("/") and s[sep + 2] == ord("/"):
            break
        sep += 1
    if sep == 0 or not ord("a") <= (s[0] | 0x20) <= ord("z"):
        return _pure().split_url(url)
    for i in range(sep):
        if not _TCHAR[s[i]]:
            return _pure().split_url(url)
    auth = sep + 3
    auth_end = n
    for i in range(auth, n):
        if s[i] == ord("/") or s[i] == ord("?"):
            auth_end = i
            break
        if s[i] == ord("@"):
            at = i
        elif s[i] == ord(" "):
            return _pure().split_url(url)   # whitespace in the host or userinfo: the pure
                                            # twin tells which (an error, or a userinfo)
    path_end = auth_end if auth_end < n and s[auth_end] == ord("?") else _find(s, auth_end, n, ord("?"))
    host_start = at + 1 if at >= 0 else auth
    host_end = _find(s, host_start, auth_end, ord(":"))
    if host_end == host_start or s[host_start] == ord("["):
        return _pure().split_url(url)       # an empty host's error, or an IPv6 literal
    for i in range(host_end + 1, auth_end):
        if not ord("0") <= s[i] <= ord("9"):
            return _pure().split_url(url)
        port = port * 10 + (s[i] - ord("0"))
        if port > 65535:
            return _pure().split_url(url)
    if host_end + 1 < auth_end:
        if port == 0 or auth_end - host_end - 1 > 5:   # 1 to 65535, at most five digits
            return _pure().split_url(url)
        if _is(s, sep, b"http") or _is(s, sep, b"ws"):
            default_port = 80
        elif _is(s, sep, b"https") or _is(s, sep, b"wss"):
            default_port = 443
        if port != default_port:
            while port:
                digits += 1
                port_text[8 - digits] = <char>(ord("0") + port % 10)
                port //= 10
    # host[:port], lowercased, then the origin around it.
    size = host_end - host_start + (digits + 1 if digits else 0)
    host = PyUnicode_New(size, 127)
    d = <uint8_t *>PyUnicode_DATA(host)
    for i in range(host_start, host_end):
        d[i - host_start] = _lower(s[i])
    if digits:
        d[host_end - host_start] = ord(":")
        memcpy(d + host_end - host_start + 1, port_text + 8 - digits, digits)
    head = sep + 3 + (at + 1 - auth if at >= 0 else 0)
    origin = PyUnicode_New(head + size, 127)
    d = <uint8_t *>PyUnicode_DATA(origin)
    for i in range(sep):
        d[i] = _lower(s[i])
    memcpy(d + sep, s + sep, head - sep)    # "://" and any "userinfo@", as sent
    memcpy(d + head, PyUnicode_DATA(host), size)
    return (origin, host, _ascii_str(s + auth_end, path_end - auth_end),
            _ascii_str(s + path_end + 1, n - path_end - 1) if path_end < n else "")


cdef inline bint _has_url_control(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Whether ASCII s[:n] has a control character (0x00-0x1F, 0x7F) or a '#'.

    Eight bytes at a time: a byte b < 0x80 is below 0x20 exactly when (b - 0x20) borrows
    into its top bit, and equals c exactly when b ^ c is zero.
    """
    cdef uint64_t w, low = 0x0101010101010101ULL, high = 0x8080808080808080ULL
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&w, s + i, 8)
        if ((w - 0x20 * low) | ((w ^ (0x7F * low)) - low) | ((w ^ (0x23 * low)) - low)) & ~w & high:
            return True
        i += 8
    while i < n:
        if s[i] < 0x20 or s[i] == 0x7F or s[i] == ord("#"):
            return True
        i += 1
    return False


cdef int _parameter(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Index into _PARAMETER of the query name s[:n] (%XX decoded as unquote does), or -1."""
    cdef uint8_t name[NAME_MAX]
    cdef Py_ssize_t i = 0, m = 0
    cdef int k
    if memchr(s, ord("%"), n) != NULL:
        while i < n:
            if m == NAME_MAX:
                return -1
            if s[i] == ord("%") and i + 2 < n and _HEX[s[i + 1]] < 16 and _HEX[s[i + 2]] < 16:
                name[m] = (_HEX[s[i + 1]] << 4) | _HEX[s[i + 2]]
                i += 3
            else:
                name[m] = s[i]
                i += 1
            m += 1
        s = name
        n = m
    for k in range(9):
        if n == _PARAMETER_N[k] and memcmp(s, _PARAMETER[k], n) == 0:
            return k
    return -1


cdef object _unquoted(const uint8_t *s, Py_ssize_t n):
    """urllib.parse.unquote of ASCII text: %XX decoded, the bytes read as UTF-8 with
    errors replaced, a '%' without two hex digits kept."""
    cdef uint8_t stack[256]
    cdef Buf out
    cdef Py_ssize_t i = 0
    cdef bint ascii = True
    if memchr(s, ord("%"), n) == NULL:
        return _ascii_str(s, n)
    _buf_init(&out, stack, sizeof(stack))
    try:
        if _reserve(&out, n, 1) < 0:
            raise MemoryError()
        while i < n:
            if s[i] == ord("%") and i + 2 < n and _HEX[s[i + 1]] < 16 and _HEX[s[i + 2]] < 16:
                out.p[out.n] = (_HEX[s[i + 1]] << 4) | _HEX[s[i + 2]]
                ascii = ascii and out.p[out.n] < 0x80
                i += 3
            else:
                out.p[out.n] = s[i]
                i += 1
            out.n += 1
        if ascii:
            return _ascii_str(out.p, out.n)
        return PyUnicode_DecodeUTF8(<char *>out.p, out.n, "replace")
    finally:
        _buf_free(&out)


cdef inline object _value(const uint8_t *q, Py_ssize_t offset, Py_ssize_t n):
    return None if offset < 0 else _unquoted(q + offset, n)


def presigned_parts(query, bint drop_token=False):
    """One pass over a received query: its signing parameters and canonical query (see
    the pure twin)."""
    cdef const uint8_t *q
    cdef Py_ssize_t qn, start = 0, end, eq, vstart, i
    cdef Py_ssize_t offset[SIGNING_COUNT]
    cdef Py_ssize_t size[SIGNING_COUNT]
    cdef int k, r, sigv2 = 0
    cdef uint8_t enc_stack[1024]
    cdef Pair pair_stack[16]
    cdef Buf enc, pairs
    if type(query) is not str or not PyUnicode_IS_ASCII(query):
        return _pure().presigned_parts(query, drop_token)
    q = <const uint8_t *>PyUnicode_DATA(query)
    qn = PyUnicode_GET_LENGTH(query)
    for k in range(SIGNING_COUNT):
        offset[k] = -1
    _buf_init(&enc, enc_stack, sizeof(enc_stack))
    _buf_init(&pairs, pair_stack, sizeof(pair_stack))
    try:
        while start < qn:
            end = _find(q, start, qn, ord("&"))
            if end > start:
                eq = _find(q, start, end, ord("="))
                vstart = eq + 1 if eq < end else end
                k = _parameter(q + start, eq - start)
                if k == SIGV2_KEY:
                    sigv2 |= 1
                elif k == SIGV2_SIGNATURE:
                    sigv2 |= 2
                elif k >= 0:
                    if offset[k] >= 0:
                        return _pure().presigned_parts(query, drop_token)  # a duplicate
                    offset[k] = vstart
                    size[k] = end - vstart
                if k != SIGNATURE and not (drop_token and k == SECURITY_TOKEN):
                    r = _add_pair(&pairs, &enc, q + start, eq - start,
                                  q + vstart, end - vstart, DECODE_ESCAPES)
                    if r > 0:
                        return _pure().presigned_parts(query, drop_token)  # its error
                    if r < 0:
                        raise MemoryError()
            start = end + 1
        date = _value(q, offset[2], size[2])
        expires = _value(q, offset[3], size[3])
        return (_sorted_query(&pairs, &enc), None, None, sigv2 == 3,
                _value(q, offset[0], size[0]), _value(q, offset[1], size[1]), date, expires,
                _value(q, offset[4], size[4]), _value(q, offset[5], size[5]),
                _value(q, offset[6], size[6]),
                None if date is None else _amz_seconds(<str>date), _expires_number(expires))
    finally:
        _buf_free(&enc)
        _buf_free(&pairs)


cdef inline int _number(const uint8_t *s, int n) noexcept nogil:
    """The decimal number s[:n], or -1 unless it is all ASCII digits."""
    cdef int value = 0, i
    for i in range(n):
        if not ord("0") <= s[i] <= ord("9"):
            return -1
        value = value * 10 + (s[i] - ord("0"))
    return value


def amz_date_seconds(text):
    """POSIX seconds of an X-Amz-Date 'YYYYMMDDTHHMMSSZ', else None (see the pure twin)."""
    if type(text) is not str:
        return _pure().amz_date_seconds(text)
    return _amz_seconds(text)


cdef object _expires_number(object text):
    """X-Amz-Expires as a number: 1 to 15 ASCII digits, else None."""
    cdef const uint8_t *s
    cdef Py_ssize_t n, i
    cdef long long value = 0
    if text is None or not PyUnicode_IS_ASCII(text):
        return None
    n = PyUnicode_GET_LENGTH(text)
    if not 0 < n < 16:
        return None
    s = <const uint8_t *>PyUnicode_DATA(text)
    for i in range(n):
        if not ord("0") <= s[i] <= ord("9"):
            return None
        value = value * 10 + (s[i] - ord("0"))
    return value


cdef object _amz_seconds(str text):
    cdef long long seconds
    if not PyUnicode_IS_ASCII(text) or not _amz_date_seconds(
            <const uint8_t *>PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), &seconds):
        return None
    return seconds


@cython.cdivision(True)    # every operand is >= 0 (years from 1)
cdef bint _amz_date_seconds(const uint8_t *s, Py_ssize_t n, long long *seconds) noexcept nogil:
    """POSIX seconds of the ASCII X-Amz-Date s[:n] into *seconds; False if it is not one."""
    cdef int year, month, day, hour, minute, second, days_in_month
    cdef long long y, era, yoe, doy, doe
    if n != 16 or s[8] != ord("T") or s[15] != ord("Z"):
        return False
    year = _number(s, 4)
    month = _number(s + 4, 2)
    day = _number(s + 6, 2)
    hour = _number(s + 9, 2)
    minute = _number(s + 11, 2)
    second = _number(s + 13, 2)
    # The datetime constructor's ranges; a field that is not digits is -1.
    if year < 1 or not 1 <= month <= 12 or hour < 0 or hour > 23 or minute < 0 or minute > 59:
        return False
    if second < 0 or second > 59:
        return False
    if month == 2:
        days_in_month = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    elif month == 4 or month == 6 or month == 9 or month == 11:
        days_in_month = 30
    else:
        days_in_month = 31
    if not 1 <= day <= days_in_month:
        return False
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (1 if month <= 2 else 0)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    seconds[0] = (era * 146097 + doe - 719468) * 86400 + hour * 3600 + minute * 60 + second
    return True


def request_to_sign(method, path, bint double_encode, bint normalize, query, headers,
                    signed_headers, payload_hash, amz_date, scope):
    """(canonical request, string to sign) of a received request (see the pure twin)."""
    cdef const uint8_t *p
    cdef Py_ssize_t n, i, j, count, previous_n = 0
    cdef const uint8_t *previous = NULL
    cdef uint8_t stack[2048]
    cdef uint8_t names_stack[256]
    cdef Buf out, names
    cdef uint8_t digest[32]
    cdef int escapes = PLAIN if double_encode else KEEP_ESCAPES
    cdef bint ascii = True
    cdef str canonical, result
    cdef uint8_t *d
    cdef Py_ssize_t an, sn
    cdef int r
    if not (type(method) is str and type(path) is str and type(query) is str
            and type(headers) is dict and type(signed_headers) is tuple
            and type(payload_hash) is str and type(amz_date) is str and type(scope) is str
            and PyUnicode_IS_ASCII(amz_date) and PyUnicode_IS_ASCII(scope)):
        return _pure().request_to_sign(method, path, double_encode, normalize, query, headers,
                                       signed_headers, payload_hash, amz_date, scope)
    _buf_init(&out, stack, sizeof(stack))
    _buf_init(&names, names_stack, sizeof(names_stack))
    try:
        # method "\n" canonical path "\n" query "\n"
        p = <const uint8_t *>_utf8(method, &n)
        if p == NULL or _put(&out, p, n) < 0 or _put(&out, b"\n", 1) < 0:
            return _fallback(method, path, double_encode, normalize, query, headers,
                             signed_headers, payload_hash, amz_date, scope)
        ascii = n == PyUnicode_GET_LENGTH(method)
        p = <const uint8_t *>_utf8(path, &n)
        if p == NULL:
            return _fallback(method, path, double_encode, normalize, query, headers,
                             signed_headers, payload_hash, amz_date, scope)
        if not n:
            p = <const uint8_t *>b"/"
            n = 1
        if normalize:
            canonical = _normalized_path(p, n, escapes)
            if _put(&out, PyUnicode_DATA(canonical), PyUnicode_GET_LENGTH(canonical)) < 0:
                raise MemoryError()
        elif _encode(&out, p, n, PATH_SAFE, escapes) < 0:
            raise MemoryError()
        p = <const uint8_t *>_utf8(query, &n)
        if p == NULL:
            return _fallback(method, path, double_encode, normalize, query, headers,
                             signed_headers, payload_hash, amz_date, scope)
        ascii = ascii and n == PyUnicode_GET_LENGTH(query)
        if _put(&out, b"\n", 1) < 0 or _put(&out, p, n) < 0 or _put(&out, b"\n", 1) < 0:
            raise MemoryError()
        # The header block: names in strictly increasing order (else the pure twin sorts
        # and groups them), each with its values trimmed and joined with ','.
        count = PyTuple_GET_SIZE(signed_headers)
        for i in range(count):
            name = (<tuple>signed_headers)[i]
            values = headers.get(name) if type(name) is str else None
            p = <const uint8_t *>_utf8(name, &n) if type(values) is list else NULL
            if p == NULL or (i and _cmp(previous, previous_n, p, n) >= 0) or not len(<list>values):
                return _fallback(method, path, double_encode, normalize, query, headers,
                                 signed_headers, payload_hash, amz_date, scope)
            ascii = ascii and n == PyUnicode_GET_LENGTH(name)
            previous, previous_n = p, n
            if (_put(&out, p, n) < 0 or _put(&out, b":", 1) < 0
                    or (i and _put(&names, b";", 1) < 0) or _put(&names, p, n) < 0):
                raise MemoryError()
            for j in range(len(<list>values)):
                value = (<list>values)[j]
                p = <const uint8_t *>_utf8(value, &n) if type(value) is str else NULL
                if p == NULL or (j and _put(&out, b",", 1) < 0):
                    return _fallback(method, path, double_encode, normalize, query, headers,
                                     signed_headers, payload_hash, amz_date, scope)
                r = _trim(&out, p, n)
                if r > 0:   # a character trimall rejects: its error
                    return _fallback(method, path, double_encode, normalize, query, headers,
                                     signed_headers, payload_hash, amz_date, scope)
                if r < 0:
                    raise MemoryError()
            if _put(&out, b"\n", 1) < 0:
                raise MemoryError()
        p = <const uint8_t *>_utf8(payload_hash, &n)
        if p == NULL:
            return _fallback(method, path, double_encode, normalize, query, headers,
                             signed_headers, payload_hash, amz_date, scope)
        ascii = ascii and n == PyUnicode_GET_LENGTH(payload_hash)
        if (_put(&out, b"\n", 1) < 0 or _put(&out, names.p, names.n) < 0
                or _put(&out, b"\n", 1) < 0 or _put(&out, p, n) < 0):
            raise MemoryError()
        fsv4_sha256(out.p, out.n, digest)
        if ascii:
            canonical = _ascii_str(out.p, out.n)
        else:
            canonical = PyUnicode_DecodeUTF8(<char *>out.p, out.n, NULL)
        an = PyUnicode_GET_LENGTH(amz_date)
        sn = PyUnicode_GET_LENGTH(scope)
        result = PyUnicode_New(17 + an + 1 + sn + 1 + 64, 127)
        d = <uint8_t *>PyUnicode_DATA(result)
        memcpy(d, b"AWS4-HMAC-SHA256\n", 17)
        memcpy(d + 17, PyUnicode_DATA(amz_date), an)
        d[17 + an] = ord("\n")
        memcpy(d + 18 + an, PyUnicode_DATA(scope), sn)
        d[18 + an + sn] = ord("\n")
        fsv4_hex_lower(digest, 32, <char *>d + 19 + an + sn)
        return canonical, result
    finally:
        _buf_free(&out)
        _buf_free(&names)


cdef object _fallback(method, path, bint double_encode, bint normalize, query, headers,
                      signed_headers, payload_hash, amz_date, scope):
    """request_to_sign by the pure twin: its result, or its error."""
    PyErr_Clear()
    return _pure().request_to_sign(method, path, double_encode, normalize, query, headers,
                                   signed_headers, payload_hash, amz_date, scope)


# ---------------------------------------------------------------------------------------
# The verifier's fast lane (see the pure twin's read_presigned for the shape it takes).
# Everything outside that shape returns None; nothing here raises for bad input.

cdef uint8_t _LANE_HOST[256]       # lowercase letters, digits, '.', '-'
cdef uint8_t _LOWER_HEX[256]       # 0-9 a-f
cdef frozenset _LANE_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
cdef dict _lane_credentials = {}   # X-Amz-Credential text -> the pure twin's _lane_credential
# The last valid credential read, (text, parts): a server sees runs of the same one. Its
# empty start matches no request (an empty X-Amz-Credential is no credential).
cdef tuple _last_credential = ("", None)
cdef object _flags_of = None       # the SigningSettings last read, and its flags
cdef int _flags = 0
cdef enum:
    DOUBLE_ENCODE = 1
    NORMALIZE = 2
    UNSIGNED = 4
cdef Py_ssize_t _LANE_CACHE_SIZE = 256
cdef str _UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
cdef str _EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
cdef tuple _HOST_ONLY = ("host",)
cdef object _tuple_new = tuple.__new__     # builds the verifier's tuple-subclass result

cdef void _build_lane_tables() noexcept:
    cdef int c
    for c in range(256):
        _LANE_HOST[c] = ord("a") <= c <= ord("z") or ord("0") <= c <= ord("9") or c == ord(".") or c == ord("-")
        _LOWER_HEX[c] = ord("a") <= c <= ord("f") or ord("0") <= c <= ord("9")

_build_lane_tables()


cdef bint _canonical_text(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Whether the query rule leaves s[:n] as it is: unreserved bytes and uppercase %XX
    escapes of bytes outside the unreserved set (the pure twin's _CANONICAL_TEXT)."""
    cdef Py_ssize_t i = 0
    while i < n:
        if s[i] == ord("%"):
            if (i + 2 >= n or _HEX[s[i + 1]] > 15 or _HEX[s[i + 2]] > 15
                    or ord("a") <= s[i + 1] <= ord("f") or ord("a") <= s[i + 2] <= ord("f")
                    or _SAFE[(_HEX[s[i + 1]] << 4) | _HEX[s[i + 2]]] & UNRESERVED):
                return False
            i += 3
        elif _SAFE[s[i]] & UNRESERVED:
            i += 1
        else:
            return False
    return True


cdef int _lane_parameter(const uint8_t *s, Py_ssize_t n) noexcept nogil:
    """Index into _PARAMETER of the query name s[:n] as sent (not decoded), or -1."""
    cdef int k
    for k in range(9):
        if n == _PARAMETER_N[k] and memcmp(s, _PARAMETER[k], n) == 0:
            return k
    return -1


cdef bint _is_text(const uint8_t *s, Py_ssize_t n, const char *text) noexcept nogil:
    return n == <Py_ssize_t>strlen(text) and memcmp(s, text, n) == 0


cdef struct Lane:
    long long signed_at
    long long expires
    const uint8_t *amz_date      # 16 bytes, in the URL
    const uint8_t *signature     # 64 lowercase hex digits, in the URL
    bint unsigned_payload
    uint8_t digest[32]           # SHA-256 of the canonical request


cdef object _read_lane(method, url, headers, settings, limits, Lane *lane):
    """read_presigned's work: the credential's parts (the pure twin's _lane_credential)
    with the rest in *lane, or None when the request is not of the lane's shape."""
    global _last_credential, _flags_of, _flags
    cdef const uint8_t *s
    cdef const uint8_t *p
    cdef Py_ssize_t n, pn, i, rest, query, auth_end, host_end, start, end, eq, vstart
    cdef Py_ssize_t max_url_length, max_query_parameters, max_headers, max_header_bytes
    cdef Py_ssize_t offset[SIGNING_COUNT]
    cdef Py_ssize_t size[SIGNING_COUNT]
    cdef Py_ssize_t count = 0, total = 0, query_bytes = 0, pos = 0, digits = 0, pair_count
    cdef long port = 0, default_port
    cdef long long signed_at, expires = 0
    cdef char port_text[8]
    cdef int k, escapes
    cdef bint double_encode, normalize, unsigned_payload
    cdef uint8_t out_stack[2048]
    cdef Pair pair_stack[16]
    cdef Buf out, pairs
    cdef Pair *pair
    cdef PyObject *key
    cdef PyObject *value
    cdef object host_header = None
    if (type(method) is not str or type(url) is not str or type(limits) is not tuple
            or method not in _LANE_METHODS or not PyUnicode_IS_ASCII(url)):
        return None
    max_url_length, max_query_parameters, max_headers, max_header_bytes = limits
    s = <const uint8_t *>PyUnicode_DATA(url)
    n = PyUnicode_GET_LENGTH(url)
    if n > max_url_length:
        return None
    if n >= 8 and memcmp(s, b"https://", 8) == 0:
        rest, default_port = 8, 443
    elif n >= 7 and memcmp(s, b"http://", 7) == 0:
        rest, default_port = 7, 80
    else:
        return None
    query = _find(s, rest, n, ord("?"))
    if query == n:
        return None
    auth_end = _find(s, rest, query, ord("/"))
    # Only the path can hold a control character or '#': the host and the query are
    # checked byte by byte below.
    if _has_url_control(s + auth_end, query - auth_end):
        return None
    host_end = _find(s, rest, auth_end, ord(":"))
    if host_end == rest:
        return None
    for i in range(rest, host_end):
        if not _LANE_HOST[s[i]]:
            return None
    if host_end < auth_end:
        if not 0 < auth_end - host_end - 1 <= 5:
            return None
        for i in range(host_end + 1, auth_end):
            if not ord("0") <= s[i] <= ord("9"):
                return None
            port = port * 10 + (s[i] - ord("0"))
        if not 0 < port < 65536:
            return None
        if port != default_port:
            while port:
                digits += 1
                port_text[8 - digits] = <char>(ord("0") + port % 10)
                port //= 10

    _buf_init(&out, out_stack, sizeof(out_stack))
    _buf_init(&pairs, pair_stack, sizeof(pair_stack))
    try:
        # The query: the signing parameters found, the others checked canonical as sent.
        start = query + 1
        for k in range(SIGNING_COUNT):
            offset[k] = -1
        while start < n:
            end = _find(s, start, n, ord("&"))
            if end < n:
                count += 1
                if count >= max_query_parameters:
                    return None
            if end > start:
                eq = _find(s, start, end, ord("="))
                vstart = eq + 1 if eq < end else end
                k = _lane_parameter(s + start, eq - start)
                if k > SIGNATURE:     # X-Amz-Security-Token or a SigV2 name
                    return None
                if k >= 0:
                    if offset[k] >= 0:
                        return None
                    offset[k] = vstart
                    size[k] = end - vstart
                elif (memchr(s + start, ord("%"), eq - start) != NULL
                        or not _canonical_text(s + start, eq - start)
                        or not _canonical_text(s + vstart, end - vstart)):
                    return None
                if k != SIGNATURE:
                    if _reserve(&pairs, 1, <Py_ssize_t>sizeof(Pair)) < 0:
                        raise MemoryError()
                    pair = <Pair *>(pairs.p + pairs.n)
                    pairs.n += <Py_ssize_t>sizeof(Pair)
                    pair.ko = start
                    pair.kn = eq - start
                    pair.vo = vstart
                    pair.vn = end - vstart
                    query_bytes += pair.kn + pair.vn
            start = end + 1
        for k in range(SIGNATURE + 1):
            if offset[k] < 0:
                return None
        if not (_is_text(s + offset[0], size[0], b"AWS4-HMAC-SHA256")
                and _is_text(s + offset[4], size[4], b"host")
                and size[SIGNATURE] == 64 and 0 < size[3] < 16
                and _amz_date_seconds(s + offset[2], size[2], &signed_at)):
            return None
        for i in range(64):
            if not _LOWER_HEX[s[offset[SIGNATURE] + i]]:
                return None
        for i in range(size[3]):
            if not ord("0") <= s[offset[3] + i] <= ord("9"):
                return None
            expires = expires * 10 + (s[offset[3] + i] - ord("0"))
        last = _last_credential     # (text, parts): one read, so threads see a consistent pair
        text = <str>(<tuple>last)[0]
        if (size[1] and size[1] == PyUnicode_GET_LENGTH(text)
                and memcmp(s + offset[1], PyUnicode_DATA(text), size[1]) == 0):
            credential = (<tuple>last)[1]
        else:
            text = _ascii_str(s + offset[1], size[1])
            credential = _lane_credentials.get(text)
            if credential is None:
                credential = _pure()._lane_credential(text)
                if credential is None:
                    return None
                if len(_lane_credentials) >= _LANE_CACHE_SIZE:
                    _lane_credentials.clear()
                _lane_credentials[text] = credential
            _last_credential = (text, credential)
        access_key_id, date, region, service, scope, preset = <tuple>credential
        if memcmp(s + offset[2], PyUnicode_DATA(date), 8) != 0:    # the scope's date: 8 digits
            return None
        if settings is None:
            settings = preset

        # The headers: Host at most once, no Authorization and no x-amz-*.
        if headers is not None:
            if type(headers) is dict:
                if PyDict_Size(headers) > max_headers:
                    return None
                while PyDict_Next(headers, &pos, &key, &value):
                    total += _lane_header(<object>key, <object>value)
                    if total < 0:
                        return None
                    if _is_host(<object>key):
                        if host_header is not None:
                            return None
                        host_header = <object>value
            elif type(headers) is list or type(headers) is tuple:
                if len(headers) > max_headers:
                    return None
                for item in headers:
                    if type(item) is not tuple or PyTuple_GET_SIZE(item) != 2:
                        return None
                    total += _lane_header(<object>PyTuple_GET_ITEM(item, 0),
                                          <object>PyTuple_GET_ITEM(item, 1))
                    if total < 0:
                        return None
                    if _is_host(<object>PyTuple_GET_ITEM(item, 0)):
                        if host_header is not None:
                            return None
                        host_header = <object>PyTuple_GET_ITEM(item, 1)
            else:
                return None
            if total > max_header_bytes or (host_header is not None and not PyUnicode_IS_ASCII(host_header)):
                return None

        if settings is not _flags_of:       # one settings object after another: read once
            _flags = (DOUBLE_ENCODE if settings.double_uri_encode else 0) | (
                NORMALIZE if settings.normalize_path else 0) | (
                UNSIGNED if settings.presign_unsigned_payload else 0)
            _flags_of = settings
        double_encode = _flags & DOUBLE_ENCODE
        normalize = _flags & NORMALIZE
        unsigned_payload = _flags & UNSIGNED
        escapes = PLAIN if double_encode else KEEP_ESCAPES
        payload_hash = _UNSIGNED_PAYLOAD if unsigned_payload else _EMPTY_SHA256
        # method "\n" canonical path "\n"
        if (_put(&out, PyUnicode_DATA(method), PyUnicode_GET_LENGTH(method)) < 0
                or _put(&out, b"\n", 1) < 0):
            raise MemoryError()
        p = s + auth_end
        pn = query - auth_end
        if not pn:
            p = <const uint8_t *>b"/"
            pn = 1
        if normalize:
            if _put_normalized_path(&out, p, pn, escapes) < 0:
                raise MemoryError()
        elif _encode(&out, p, pn, PATH_SAFE, escapes) < 0:
            raise MemoryError()
        if _put(&out, b"\n", 1) < 0:
            raise MemoryError()
        # The canonical query: every parameter but the signature, canonical as sent.
        pair_count = pairs.n // <Py_ssize_t>sizeof(Pair)
        if pair_count:
            _sort_pairs(<Pair *>pairs.p, pair_count, s)
            if _reserve(&out, query_bytes + 2 * pair_count - 1, 1) < 0:
                raise MemoryError()
            out.n = _join_pairs(out.p + out.n, <Pair *>pairs.p, pair_count) - out.p
        # "\n" "host:" host "\n" "\n" "host" "\n" payload hash
        if _put(&out, b"\nhost:", 6) < 0:
            raise MemoryError()
        if host_header is None:
            if (_put(&out, s + rest, host_end - rest) < 0
                    or (digits and (_put(&out, b":", 1) < 0
                                    or _put(&out, port_text + 8 - digits, digits) < 0))):
                raise MemoryError()
        else:
            k = _trim(&out, <const uint8_t *>PyUnicode_DATA(host_header),
                      PyUnicode_GET_LENGTH(host_header))
            if k > 0:
                return None
            if k < 0:
                raise MemoryError()
        if (_put(&out, b"\n\nhost\n", 7) < 0
                or _put(&out, PyUnicode_DATA(payload_hash), PyUnicode_GET_LENGTH(payload_hash)) < 0):
            raise MemoryError()
        fsv4_sha256(out.p, out.n, lane.digest)
    finally:
        _buf_free(&out)
        _buf_free(&pairs)
    lane.signed_at = signed_at
    lane.expires = expires
    lane.amz_date = s + offset[2]
    lane.signature = s + offset[SIGNATURE]
    lane.unsigned_payload = unsigned_payload
    return credential


cdef Py_ssize_t _put_string_to_sign(uint8_t *d, const Lane *lane, str scope) noexcept:
    """Write the lane's string to sign at d (17 + 16 + 1 + len(scope) + 1 + 64 bytes);
    returns its length."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(scope)
    memcpy(d, b"AWS4-HMAC-SHA256\n", 17)
    memcpy(d + 17, lane.amz_date, 16)
    d[33] = ord("\n")
    memcpy(d + 34, PyUnicode_DATA(scope), n)
    d[34 + n] = ord("\n")
    fsv4_hex_lower(lane.digest, 32, <char *>d + 35 + n)
    return 99 + n


def read_presigned(method, url, headers, settings, limits):
    """A presigned request of the common shape, read and canonicalized in one call, or
    None (see the pure twin)."""
    cdef Lane lane
    cdef str string_to_sign
    credential = _read_lane(method, url, headers, settings, limits, &lane)
    if credential is None:
        return None
    access_key_id, date, region, service, scope, _ = <tuple>credential
    string_to_sign = PyUnicode_New(99 + PyUnicode_GET_LENGTH(scope), 127)
    _put_string_to_sign(<uint8_t *>PyUnicode_DATA(string_to_sign), &lane, <str>scope)
    return (access_key_id, date, region, service, lane.signed_at, lane.expires,
            _ascii_str(lane.signature, 64),
            _UNSIGNED_PAYLOAD if lane.unsigned_payload else _EMPTY_SHA256, string_to_sign)


def verify_presigned(method, url, headers, settings, limits, policy, now):
    """A presigned request of the common shape verified in one call (see the pure twin):
    the verified request, (what the secret lookup gave,) when it was asked but the
    request does not pass, or None."""
    global _last_key
    cdef Lane lane
    cdef const uint8_t *line[5]
    cdef Py_ssize_t line_size[5]
    cdef fsv4_sha256_ctx ctx
    cdef uint8_t mac[32]
    cdef char expected[64]
    cdef uint8_t difference = 0
    cdef double seconds
    cdef long long max_skew, max_expires
    cdef SigningKey key
    cdef int i
    if type(policy) is not tuple or PyTuple_GET_SIZE(policy) != 6 or type(now) is not float:
        return _pure().verify_presigned(method, url, headers, settings, limits, policy, now)
    credential = _read_lane(method, url, headers, settings, limits, &lane)
    if credential is None:
        return None
    access_key_id, date, region, service, scope, _ = <tuple>credential
    regions, services, skew, longest, lookup, result_type = <tuple>policy
    if not (type(skew) is int and type(longest) is int and skew < 2 ** 52 and longest < 2 ** 52):
        return _pure().verify_presigned(method, url, headers, settings, limits, policy, now)
    max_skew = skew
    max_expires = longest
    seconds = now
    # Exact comparisons: every number here is far below 2**53.
    if not ((regions is None or region in regions)
            and (services is None or service in services)
            and 0 < lane.expires <= max_expires
            and lane.signed_at - max_skew <= seconds <= lane.signed_at + lane.expires):
        return None
    secret = lookup(access_key_id)
    if type(secret) is not str or not secret:
        return (secret,)
    last = _last_key    # (access key id, secret, date, region, service, key): one read
    if (last is not None and (<tuple>last)[0] is access_key_id and (<tuple>last)[1] is secret
            and (<tuple>last)[2] is date and (<tuple>last)[3] is region
            and (<tuple>last)[4] is service):
        key = (<tuple>last)[5]
    else:
        key = signing_key(access_key_id, secret, date, region, service)
        _last_key = (access_key_id, secret, date, region, service, key)
    # The HMAC of the string to sign, its beginning resumed as sign_request does it.
    line[0] = <const uint8_t *>b"AWS4-HMAC-SHA256\n"
    line_size[0] = 17
    line[1] = lane.amz_date
    line_size[1] = 16
    line[2] = line[4] = <const uint8_t *>b"\n"
    line_size[2] = line_size[4] = 1
    line[3] = <const uint8_t *>PyUnicode_DATA(scope)
    line_size[3] = PyUnicode_GET_LENGTH(scope)
    _absorb(&key._scope, &key._k.inner, line, line_size, 5, &ctx)
    fsv4_hex_lower(lane.digest, 32, expected)
    fsv4_sha256_update(&ctx, <const uint8_t *>expected, 64)
    fsv4_sha256_final(&ctx, mac)
    ctx = key._k.outer
    fsv4_sha256_update(&ctx, mac, 32)
    fsv4_sha256_final(&ctx, mac)
    fsv4_hex_lower(mac, 32, expected)
    for i in range(64):
        difference |= lane.signature[i] ^ <uint8_t>expected[i]
    if difference:
        return (secret,)
    return _tuple_new(result_type, (
        access_key_id, None, region, service, _HOST_ONLY, "query", None,
        _UNSIGNED_PAYLOAD if lane.unsigned_payload else _EMPTY_SHA256,
        lane.signed_at, lane.signed_at + lane.expires))


cdef Py_ssize_t _lane_header(object name, object value):
    """len(name) + len(value) of a header the lane takes, else -(a large number)."""
    cdef const uint8_t *s
    cdef Py_ssize_t n, i
    if type(name) is not str or type(value) is not str or not PyUnicode_IS_ASCII(name):
        return -PY_SSIZE_T_MAX
    s = <const uint8_t *>PyUnicode_DATA(name)
    n = PyUnicode_GET_LENGTH(name)
    if not n:
        return -PY_SSIZE_T_MAX
    for i in range(n):
        if not _TCHAR[s[i]]:
            return -PY_SSIZE_T_MAX
    if (n >= 6 and _is(s, 6, b"x-amz-")) or _is(s, n, b"authorization"):
        return -PY_SSIZE_T_MAX
    return n + PyUnicode_GET_LENGTH(value)


cdef inline bint _is_host(object name):
    return _is(<const uint8_t *>PyUnicode_DATA(name), PyUnicode_GET_LENGTH(name), b"host")
