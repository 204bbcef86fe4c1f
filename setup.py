"""Build the compiled twin (``fastsigv4._core_c``) from ``_ext/``.

Without a C compiler (or with FASTSIGV4_NO_EXTENSIONS=1, or off CPython) the package
installs with the pure-Python twin only and says so. FASTSIGV4_REQUIRE_EXTENSIONS=1
(set for wheel builds) turns a failed compile into a failed build.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("FASTSIGV4_NO_EXTENSIONS") or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS = _flag("FASTSIGV4_REQUIRE_EXTENSIONS") or _flag("CIBUILDWHEEL")

PURE_BANNER = """
********************************************************************************
fastsigv4: the compiled core could not be built ({reason}).
Installed with the pure-Python twin only: results are identical, bulk signing is slower.
Install a C compiler and the Python headers and reinstall to get the compiled twin.
********************************************************************************
"""


class OptionalBuildExt(build_ext):
    """build_ext that degrades to the pure twin instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # compiler missing entirely
            self._fallback(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # compiler present but the build failed
            self._fallback(exc)

    def _fallback(self, exc: Exception) -> None:
        if REQUIRE_EXTENSIONS:
            raise exc
        sys.stderr.write(PURE_BANNER.format(reason=f"{type(exc).__name__}: {exc}"))


def extensions() -> list[Extension]:
    if NO_EXTENSIONS:
        return []
    unix = sys.platform != "win32"
    compile_args = ["-O3", "-std=c99", "-fno-strict-aliasing"] if unix else ["/O2"]
    extra = os.environ.get("FASTSIGV4_EXTRA_CFLAGS", "").split()
    extension = Extension(
        "fastsigv4._core_c",
        sources=["_ext/_core_c.pyx", "_ext/sha256.c"],
        include_dirs=["_ext"],
        extra_compile_args=compile_args + extra,
        extra_link_args=extra,
    )
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise
        # Source distributions ship the generated C, so Cython is optional there.
        generated = "_ext/_core_c.c"
        if not os.path.exists(generated):
            sys.stderr.write(PURE_BANNER.format(reason="Cython is not installed"))
            return []
        extension.sources[0] = generated
        return [extension]
    return cythonize(
        [extension],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
            "freethreading_compatible": True,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
