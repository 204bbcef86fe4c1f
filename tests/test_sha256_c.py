"""Build and run the standalone C self-test for ``_ext/sha256.c``.

Exercises the C SHA-256/HMAC directly (FIPS 180-2 and RFC 4231 vectors,
cached-key vs one-shot HMAC, incremental updates) independently of the
Cython extension, so a bug there is pinned to the C code.

sha256.c picks its compression function at run time (SHA-NI on x86-64 CPUs
that have it, else portable C). The self-test binary is run twice: once as
the CPU dictates and once with FASTSIGV4_SHA256_PORTABLE=1, which forces the
portable path; both runs must pass and print the same digest over a fixed
pseudo-random workload. On a CPU without SHA-NI both runs use the portable
path.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.python_only  # tests the C file directly, not a core twin

EXT_DIR = Path(__file__).resolve().parent.parent / "_ext"
PORTABLE_ENV = "FASTSIGV4_SHA256_PORTABLE"


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


def _cpu_has_sha_ni() -> bool | None:
    """True/False where it can be told without the C code; None if unknown."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if sys.platform.startswith("linux"):
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
        except OSError:
            return None
        for line in cpuinfo.splitlines():
            if line.startswith("flags"):
                return "sha_ni" in line.split()
    return None


def _parse(stdout: str) -> dict[str, str]:
    """The 'implementation:' and 'stream:' lines of the self-test output."""
    fields: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in ("implementation", "stream"):
            fields[key] = value.strip()
    return fields


@pytest.fixture(scope="module")
def selftest_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = _find_c_compiler()
    if cc is None:
        pytest.skip("no C compiler found (tried sysconfig CC, cc, gcc, clang)")

    exe = tmp_path_factory.mktemp("sha256c") / "sha256_selftest"
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
    return exe


def _run(exe: Path, *, force_portable: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PORTABLE_ENV}
    if force_portable:
        env[PORTABLE_ENV] = "1"
    run = subprocess.run(
        [str(exe)], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    label = "forced portable" if force_portable else "default"
    assert run.returncode == 0, f"self-test ({label}) failed:\n{run.stdout}{run.stderr}"
    fields = _parse(run.stdout)
    assert "implementation" in fields, run.stdout
    assert "stream" in fields, run.stdout
    print(f"sha256.c self-test ({label}): implementation={fields['implementation']}")
    return fields


def test_sha256_c_selftest_default_path(selftest_exe: Path) -> None:
    fields = _run(selftest_exe, force_portable=False)
    assert fields["implementation"] in ("sha-ni", "portable")
    has_sha_ni = _cpu_has_sha_ni()
    if has_sha_ni is not None:
        # The C side must agree with the OS about the CPU (a compiler too old
        # for the SHA intrinsics would legitimately build portable-only, but
        # every compiler this project supports has them).
        assert fields["implementation"] == ("sha-ni" if has_sha_ni else "portable")


def test_sha256_c_selftest_forced_portable(selftest_exe: Path) -> None:
    fields = _run(selftest_exe, force_portable=True)
    assert fields["implementation"] == "portable"


def test_sha256_c_paths_agree(selftest_exe: Path) -> None:
    default = _run(selftest_exe, force_portable=False)
    portable = _run(selftest_exe, force_portable=True)
    assert default["stream"] == portable["stream"], (
        f"{default['implementation']} and portable SHA-256 disagree on the same inputs"
    )


# --- the compiled twin's choice, seen from Python -----------------------------------

_PORTABLE_TWIN_CHECK = """
import hashlib
from fastsigv4 import _core_c, _core_py
assert _core_c.SHA256_IMPLEMENTATION == "portable", _core_c.SHA256_IMPLEMENTATION
segments = ("\\n/\\n\\nhost:h\\nx-amz-date:", "\\n\\nhost;x-amz-date\\n")
for size in (0, 64, 127, 128, 129, 1024, 4096, 100_000):
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert _core_c.sha256_hex(body) == hashlib.sha256(body).hexdigest(), size
    args = ("POST", segments, "20240601T000000Z", body, "s/c/o/pe", "AK/s/c/o/pe", "host", ())
    args += (lambda *fields: fields, "https://h/", None)
    compiled = _core_c.sign_request(_core_c.SigningKey(b"k"), *args)
    assert compiled == _core_py.sign_request(_core_py.SigningKey(b"k"), *args), size
print("ok")
"""


def test_twins_report_their_sha256_implementation() -> None:
    from fastsigv4 import _core, _core_py

    assert _core_py.SHA256_IMPLEMENTATION == "hashlib"
    with _core.using(_core_py):
        assert _core.SHA256_IMPLEMENTATION == "hashlib"
    compiled = _core.compiled_twin()
    if compiled is None:
        pytest.skip("compiled twin not built")
    with _core.using(compiled):
        assert _core.SHA256_IMPLEMENTATION == compiled.SHA256_IMPLEMENTATION
    has_sha_ni = _cpu_has_sha_ni()
    if os.environ.get(PORTABLE_ENV, "") not in ("", "0") or has_sha_ni is False:
        assert compiled.SHA256_IMPLEMENTATION == "portable"
    elif has_sha_ni:
        assert compiled.SHA256_IMPLEMENTATION == "sha-ni"
    else:
        assert compiled.SHA256_IMPLEMENTATION in ("sha-ni", "portable")


def test_forced_portable_twin_hashes_bodies_like_hashlib() -> None:
    """With the portable compression, large bodies go to hashlib: same results."""
    from fastsigv4 import _core

    if _core.compiled_twin() is None:
        pytest.skip("compiled twin not built")
    run = subprocess.run(
        [sys.executable, "-c", _PORTABLE_TWIN_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, PORTABLE_ENV: "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "ok"
