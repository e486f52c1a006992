"""Run this checkout's CLI in a subprocess, as a user would: `python -m dumb_pypi ARGS`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["REPO", "cli_env", "run_cli"]

REPO = Path(__file__).resolve().parents[2]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that imports this checkout's dumb_pypi
    (no SOURCE_DATE_EPOCH from the caller's environment), plus `extra`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("SOURCE_DATE_EPOCH", None)
    env.update(extra)
    return env


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m dumb_pypi ARGS` (`env`: the whole environment, default cli_env());
    with `check`, an exit status other than 0 fails the test with its stderr."""
    result = subprocess.run([sys.executable, "-m", "dumb_pypi", *map(str, args)], cwd=cwd, input=stdin, check=False,
                            capture_output=True, text=True, env=env or cli_env(), timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"dumb-pypi {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result
