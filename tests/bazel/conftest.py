"""Fixtures for the Bazel end-to-end tests: real bazel, real checkouts.

Every test runs the real `bazel` on copies of this repository in a temporary
directory, never on the working tree. Downloads are shared through one
repository cache (kept between sessions: it only holds sha256-pinned files);
output bases and disk caches are per session, so every session starts cold
and proves what it claims.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from harness import copy_checkout, executed, parse_processes

# Kept between sessions: only sha256-pinned downloads live here.
REPOSITORY_CACHE = Path(os.environ.get("DUMB_PYPI_BAZEL_REPO_CACHE", "/tmp/dumb-pypi-bazel-repo-cache"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bazel: runs the real bazel on example workspaces (slow, needs .ci/install-bazel.sh)"
    )


@dataclass
class BuildResult:
    returncode: int
    stdout: str
    stderr: str
    processes: dict[str, int] = field(default_factory=dict)

    @property
    def executed(self) -> int:
        """Spawns that ran on this machine: everything but cache hits and internal ones."""
        return executed(self.processes)


@dataclass
class Bazel:
    """One workspace driven with one output base."""

    workspace: Path
    output_base: Path
    flags: Sequence[str] = ()

    def run(self, *args: str, check: bool = True) -> BuildResult:
        command, *rest = args
        argv = [
            "bazel",
            "--nohome_rc",
            f"--output_base={self.output_base}",
            "--max_idle_secs=120",
            command,
            f"--repository_cache={REPOSITORY_CACHE}",
            *self.flags,
            *rest,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON"))}
        proc = subprocess.run(argv, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=900)
        result = BuildResult(proc.returncode, proc.stdout, proc.stderr, parse_processes(proc.stderr))
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed in {self.workspace}:\n{proc.stderr[-6000:]}")
        return result

    def build(self, *targets: str, check: bool = True, flags: Sequence[str] = ()) -> BuildResult:
        return self.run("build", *flags, "--", *targets, check=check)

    def bin(self, path: str) -> Path:
        """An output of the last build in this workspace, by its path under bazel-bin."""
        return self.workspace / "bazel-bin" / path

    def shutdown(self) -> None:
        subprocess.run(
            ["bazel", "--nohome_rc", f"--output_base={self.output_base}", "shutdown"],
            cwd=self.workspace,
            capture_output=True,
            timeout=120,
        )


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        if any(n.startswith("/") or ".." in n.split("/") for n in names):
            raise AssertionError(f"{tarball} has members outside its root")
        if sys.version_info >= (3, 12):
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    return dest


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@pytest.fixture
def serve() -> Iterator:
    """serve(directory) -> base URL of a static HTTP server on 127.0.0.1."""
    servers: list[ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def clean_env() -> dict[str, str]:
    """The environment for pip/uv: no pip/uv configuration can add another index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    return env


def find_uv() -> str:
    candidates = [Path(sys.executable).parent / "uv", shutil.which("uv")]
    for c in candidates:
        if c and Path(c).exists():
            return str(c)
    raise AssertionError("uv is not installed: run .ci/install-bazel.sh (it installs uv into the test venv)")


@dataclass
class Session:
    """Paths shared by the whole test session."""

    root: Path
    disk_cache: Path
    # One copy of the working tree taken at session start: every checkout is
    # copied from it, so all of them hold the same sources even while the
    # working tree changes.
    snapshot: Path

    def checkout(self, name: str) -> Path:
        return copy_checkout(self.root / name, self.snapshot)

    def bazel(self, workspace: Path, name: str, flags: Sequence[str] = ()) -> Bazel:
        return Bazel(workspace, self.root / "output_bases" / name, flags)


@pytest.fixture(scope="session")
def bazel_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    if shutil.which("bazel") is None:
        raise AssertionError("bazel is not installed: run .ci/install-bazel.sh")
    REPOSITORY_CACHE.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("bazel")
    session = Session(root=root, disk_cache=root / "disk_cache", snapshot=copy_checkout(root / "snapshot"))
    yield session
    # One JVM per output base: stop them all at once.
    servers = [Bazel(root, output_base) for output_base in sorted((root / "output_bases").glob("*"))]
    threads = [threading.Thread(target=server.shutdown) for server in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@dataclass
class Checkout:
    """A checkout with the example indexes built once per session."""

    root: Path
    example: Bazel
    main: Bazel


EXAMPLE_TARGETS = ("//:pypi_index", "//:bucket_index")


@pytest.fixture(scope="session")
def checkout_a(bazel_session: Session) -> Checkout:
    """First checkout: builds both workspaces, filling the session's disk cache."""
    root = bazel_session.checkout("a/main")
    flags = [f"--disk_cache={bazel_session.disk_cache}"]
    example = bazel_session.bazel(root / "tests/e2e/example", "a-example", flags)
    main = bazel_session.bazel(root, "a-main", flags)
    example.build(*EXAMPLE_TARGETS)
    main.build("//:pypi_index")
    return Checkout(root, example, main)


@pytest.fixture(scope="session")
def checkout_b(bazel_session: Session) -> Checkout:
    """Second checkout at another path and depth, no cache: builds everything itself."""
    root = bazel_session.checkout("b/other/clone")
    example = bazel_session.bazel(root / "tests/e2e/example", "b-example")
    main = bazel_session.bazel(root, "b-main")
    example.build(*EXAMPLE_TARGETS)
    main.build("//:pypi_index")
    return Checkout(root, example, main)


def read_json_stream(path: Path) -> list[dict]:
    """Bazel's --execution_log_json_file: concatenated JSON objects, not an array."""
    text = path.read_text()
    decoder = json.JSONDecoder()
    objects, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return objects
        obj, i = decoder.raw_decode(text, i)
        objects.append(obj)
