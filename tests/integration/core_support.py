"""Run this checkout's CLI in a subprocess, and serve a tree with `python -m http.server`.

A plain module, not conftest.py: every suite here has a conftest.py, and
`from conftest import ...` would get whichever was imported last.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO", "Server", "cli_env", "http_server", "run_cli"]

REPO = Path(__file__).resolve().parents[2]


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
    result = subprocess.run([sys.executable, "-m", "dumb_pypi", *map(str, args)], cwd=cwd, input=stdin, check=False,
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
