"""Installing from an index the tests built: pip and uv, isolated from the
machine's own configuration (extra indexes, find-links, constraints)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.tools import missing

__all__ = ["clean_env", "find_uv", "pip_install"]


def clean_env(*also: str) -> dict[str, str]:
    """This environment without pip's, uv's and Python's settings (nor those of
    the prefixes `also`), and with no pip or uv configuration file: the index
    given on the command line is the only source."""
    strip = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", *also)
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    return env


def find_uv() -> str:
    """The uv of the test venv (the `uv` package of pyproject's test extra)."""
    try:
        import uv
    except ImportError:
        missing("uv (in the test venv)", "pip install -e '.[test]'")
    return str(uv.find_uv_bin())


def pip_install(python: str | Path, index_url: str, *args: str,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m pip install ARGS` from `index_url` alone: no configuration
    (--isolated), no cache, no version check; the result, not checked."""
    return subprocess.run(
        [str(python), "-m", "pip", "install", "--isolated", "--no-cache-dir", "--disable-pip-version-check",
         "--index-url", index_url, *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
