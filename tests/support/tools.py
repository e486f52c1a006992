"""The tools the install scripts put outside the test venv, and what a test does without one.

The serve tools come from `.ci/install-serve.sh` ($DUMB_PYPI_SERVE_HOME,
default ~/.cache/dumb-pypi-serve). A missing tool skips locally and fails
under CI: a test must never pass without its tool.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["SERVE_HOME", "installed_env", "missing", "nginx_bin", "tool"]

SERVE_HOME = Path(os.environ.get("DUMB_PYPI_SERVE_HOME", Path.home() / ".cache" / "dumb-pypi-serve"))
INSTALL_HINT = "run .ci/install-serve.sh"


def missing(what: str, hint: str = INSTALL_HINT) -> NoReturn:
    """Skip (locally) or fail (CI): `what` is not installed."""
    message = f"{what} is not installed: {hint}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def nginx_bin() -> str:
    """Debian's nginx ($DUMB_PYPI_NGINX, or the one on PATH)."""
    for candidate in (os.environ.get("DUMB_PYPI_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    missing("nginx")


def tool(venv: str, program: str) -> Path:
    """`program` of the venv `venv` that .ci/install-serve.sh made under SERVE_HOME."""
    path = SERVE_HOME / venv / "bin" / program
    if not os.access(path, os.X_OK):
        missing(f"{program} ({path})")
    return path


def installed_env(home_variable: str, default: str, installer: str) -> dict[str, str]:
    """The variables an install script wrote to the env.sh of its home: $home_variable,
    or `default` under $XDG_CACHE_HOME (~/.cache). Without it the test fails: run `installer`."""
    home = Path(os.environ.get(home_variable) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", default))
    env_sh = home / "env.sh"
    if not env_sh.is_file():
        pytest.fail(f"{env_sh} is missing: run {installer} first")
    found = {}
    for line in env_sh.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            found[key] = shlex.split(value)[0]
    return found
