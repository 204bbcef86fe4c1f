"""Build and run the standalone C self-test for ``_ext/sha256.c``.

Exercises the C SHA-256/HMAC directly (FIPS 180-2 and RFC 4231 vectors,
cached-key vs one-shot HMAC, incremental updates) independently of the
Cython extension, so a bug there is pinned to the C code.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

EXT_DIR = Path(__file__).resolve().parent.parent / "_ext"


def _find_c_compiler() -> list[str] | None:
    # Prefer the compiler Python was built with (what the extension build
    # uses); its config value may carry flags, e.g. "gcc -pthread".
    configured = sysconfig.get_config_var("CC")
    if isinstance(configured, str) and configured.strip():
        argv = shlex.split(configured)
        if shutil.which(argv[0]):
            return argv
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return [path]
    return None


def test_sha256_c_selftest(tmp_path: Path) -> None:
    cc = _find_c_compiler()
    if cc is None:
        pytest.skip("no C compiler found (tried sysconfig CC, cc, gcc, clang)")

    exe = tmp_path / "sha256_selftest"
    build = subprocess.run(
        [
            *cc,
            "-O2",
            "-std=c99",
            f"-I{EXT_DIR}",
            str(EXT_DIR / "sha256_selftest.c"),
            str(EXT_DIR / "sha256.c"),
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert build.returncode == 0, f"compile failed:\n{build.stdout}{build.stderr}"

    run = subprocess.run(
        [str(exe)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, f"self-test failed:\n{run.stdout}{run.stderr}"
