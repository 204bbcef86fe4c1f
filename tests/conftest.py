"""Every test runs once on each core twin (compiled and pure) by construction.

The autouse ``core_twin`` fixture routes the package's core calls through one twin
via ``fastsigv4._core.use``. Tests marked ``python_only`` (they do not reach the
core) run once. With FASTSIGV4_NO_EXTENSIONS=1 only the pure twin exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from fastsigv4 import _core, _core_py

_COMPILED = _core.compiled_twin()
TWINS: list[ModuleType] = [_core_py] + ([_COMPILED] if _COMPILED is not None else [])


def pytest_report_header() -> str:
    names = ", ".join(twin.IMPLEMENTATION for twin in TWINS)
    return f"fastsigv4 core twins under test: {names} (NO_EXTENSIONS={_core.NO_EXTENSIONS})"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "core_twin" in metafunc.fixturenames:
        twins = TWINS[:1] if metafunc.definition.get_closest_marker("python_only") else TWINS
        metafunc.parametrize(
            "core_twin", twins, indirect=True, ids=[twin.IMPLEMENTATION for twin in twins]
        )


@pytest.fixture(autouse=True)
def core_twin(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    with _core.using(request.param) as twin:
        yield twin
