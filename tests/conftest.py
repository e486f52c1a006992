"""Shared fixtures for tests/unit and tests/integration: run the CLI, serve a tree."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HUGE_LIST = Path("/work/shared/bench/package-list-huge.txt")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that imports this checkout's dumb_pypi."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("SOURCE_DATE_EPOCH", None)
    env.update(extra)
    return env


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m dumb_pypi ARGS` in a subprocess, as a user would run it."""
    result = subprocess.run([sys.executable, "-m", "dumb_pypi", *map(str, args)], cwd=cwd, input=stdin,
                            capture_output=True, text=True, env=env or cli_env(), timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"dumb-pypi {args} exited {result.returncode}:\n{result.stderr}")
    return result


@dataclass
class Server:
    url: str  # "http://127.0.0.1:PORT"
    log: Path

    def requests(self) -> list[str]:
        """Request paths served so far, in order ("/simple/x/")."""
        return re.findall(r'"GET (\S+) HTTP', self.log.read_text())


@contextlib.contextmanager
def http_server(root: Path, log: Path) -> Iterator[Server]:
    """`python -m http.server` on 127.0.0.1 and a free port, serving `root`."""
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
            stdout=subprocess.PIPE, stderr=log_file, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        match = re.search(r"port (\d+)", line)
        if match is None:
            raise RuntimeError(f"http.server did not start: {line!r}")
        yield Server(f"http://127.0.0.1:{match.group(1)}", log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(predicate) or not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.01)


@pytest.fixture(scope="session")
def huge_list() -> list[str]:
    if not HUGE_LIST.is_file():
        pytest.skip(f"{HUGE_LIST} (71k real PyPI filenames) is not on this machine")
    return HUGE_LIST.read_text(encoding="utf-8").splitlines()
