"""The selector: which twin loads, and that both twins export the same core."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastsigv4
from fastsigv4 import _core, _core_py

pytestmark = pytest.mark.python_only


def _implementation_in_fresh_interpreter(**environment: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != "FASTSIGV4_NO_EXTENSIONS"}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", "import fastsigv4; print(fastsigv4.IMPLEMENTATION)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.skipif(_core.NO_EXTENSIONS, reason="FASTSIGV4_NO_EXTENSIONS is set: pure twin only")
def test_compiled_twin_loaded() -> None:
    """Fails when the compiled twin was expected but is missing (a broken build)."""
    assert _core.compiled_twin() is not None, (
        "fastsigv4._core_c did not import: the extension was not built. Reinstall with a C "
        "compiler, or set FASTSIGV4_NO_EXTENSIONS=1 to test the pure twin only."
    )
    assert _implementation_in_fresh_interpreter() == "c"


def test_no_extensions_forces_pure_twin() -> None:
    assert _implementation_in_fresh_interpreter(FASTSIGV4_NO_EXTENSIONS="1") == "python"


def test_implementation_names_the_twin_in_use() -> None:
    with _core.using(_core_py):
        assert fastsigv4.IMPLEMENTATION == "python"
    compiled = _core.compiled_twin()
    if compiled is not None:
        with _core.using(compiled):
            assert fastsigv4.IMPLEMENTATION == "c"


@pytest.mark.skipif(_core.compiled_twin() is None, reason="compiled twin not built")
def test_twins_export_the_same_names() -> None:
    compiled = _core.compiled_twin()
    for name in _core.TWIN_NAMES:
        assert hasattr(_core_py, name), name
        assert hasattr(compiled, name), name
    assert compiled is not None
    assert compiled.IMPLEMENTATION == "c"


def test_using_restores_the_previous_twin() -> None:
    before = _core.canonical_query
    with _core.using(_core_py):
        pass
    assert _core.canonical_query is before
