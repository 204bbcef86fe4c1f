"""Selects the core twin: compiled (``_core_c``) when importable, else pure Python.

``FASTSIGV4_NO_EXTENSIONS=1`` forces the pure twin, as does any interpreter other
than CPython. The rest of the package calls the core through this module's names,
so :func:`use` can switch twins (the test suite runs every test on both).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from . import _core_py
from ._core_py import (
    IMPLEMENTATION,
    SHA256_IMPLEMENTATION,
    PresignKernel,
    SigningKey,
    amz_date_seconds,
    canonical_headers,
    canonical_path,
    canonical_query,
    presigned_parts,
    read_presigned,
    record_maker,
    request_to_sign,
    sha256_hex,
    sign_request,
    signing_key,
    split_url,
    string_to_sign,
    template_key,
    trimall,
    uri_encode,
    verify_presigned,
)

__all__ = [
    "IMPLEMENTATION",
    "NO_EXTENSIONS",
    "SHA256_IMPLEMENTATION",
    "TWIN_NAMES",
    "PresignKernel",
    "SigningKey",
    "amz_date_seconds",
    "canonical_headers",
    "canonical_path",
    "canonical_query",
    "clear_signing_key_cache",
    "compiled_twin",
    "presigned_parts",
    "read_presigned",
    "record_maker",
    "request_to_sign",
    "sha256_hex",
    "sign_request",
    "signing_key",
    "split_url",
    "string_to_sign",
    "template_key",
    "trimall",
    "uri_encode",
    "use",
    "using",
    "verify_presigned",
]

# The names both twins export; ``use`` rebinds exactly these.
TWIN_NAMES = (
    "IMPLEMENTATION",
    "SHA256_IMPLEMENTATION",
    "PresignKernel",
    "SigningKey",
    "canonical_headers",
    "canonical_path",
    "canonical_query",
    "record_maker",
    "sha256_hex",
    "sign_request",
    "signing_key",
    "string_to_sign",
    "template_key",
    "trimall",
    "uri_encode",
    # Reading received requests (the verifier).
    "split_url",
    "presigned_parts",
    "amz_date_seconds",
    "request_to_sign",
    "read_presigned",
    "verify_presigned",
)

NO_EXTENSIONS = (
    os.environ.get("FASTSIGV4_NO_EXTENSIONS", "") not in ("", "0")
    or sys.implementation.name != "cpython"
)


def compiled_twin() -> ModuleType | None:
    """The compiled twin, or None when it is disabled or was not built."""
    if NO_EXTENSIONS:
        return None
    try:
        from . import _core_c
    except ImportError:
        return None
    return _core_c


def use(twin: ModuleType) -> None:
    """Route every core call of the package through ``twin`` (``_core_py`` or ``_core_c``)."""
    namespace = globals()
    for name in TWIN_NAMES:
        namespace[name] = getattr(twin, name)


@contextmanager
def using(twin: ModuleType) -> Iterator[ModuleType]:
    """Run a block on ``twin``, then restore the twin that was in use (not thread-safe)."""
    previous = sys.modules[__name__]
    saved = {name: getattr(previous, name) for name in TWIN_NAMES}
    use(twin)
    try:
        yield twin
    finally:
        globals().update(saved)


def clear_signing_key_cache() -> None:
    """Forget every cached signing key, in both twins."""
    _core_py.clear_signing_key_cache()
    compiled = compiled_twin()
    if compiled is not None:
        compiled.clear_signing_key_cache()


_compiled = compiled_twin()
if _compiled is not None:
    use(_compiled)
