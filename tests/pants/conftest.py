"""Fixtures for the Pants end-to-end tests: real `pants` on a copy of the
example workspace (tests/pants/example), run once per session under pantsd.

Needs .ci/install-pants.sh (Pants's venv, the local pex CLI, the machine
config); its env.sh is found through $DUMB_PYPI_PANTS_HOME or the default
~/.cache/dumb-pypi-pants.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = Path(__file__).resolve().parent / "example"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pants: runs the real pants on the example workspace (needs .ci/install-pants.sh)"
    )
    # Also registered by tests/bazel; repeated so that tests/pants runs alone under --strict-markers.
    config.addinivalue_line("markers", "bazel: runs the real bazel (needs .ci/install-bazel.sh)")


def _installed() -> dict[str, str]:
    """The variables .ci/install-pants.sh wrote to env.sh."""
    home = Path(
        os.environ.get("DUMB_PYPI_PANTS_HOME")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "dumb-pypi-pants")
    )
    env_sh = home / "env.sh"
    if not env_sh.is_file():
        pytest.fail(f"{env_sh} is missing: run .ci/install-pants.sh first")
    found = {}
    for line in env_sh.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            found[key] = shlex.split(value)[0]
    return found


def clean_env() -> dict[str, str]:
    """No pip configuration of this machine (constraints, find-links) may leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PANTS_", "PYTHON", "VIRTUAL_ENV"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.fixture(scope="session")
def pants_installed() -> dict[str, str]:
    """What .ci/install-pants.sh installed (Pants, its Python, the machine config)."""
    return _installed()


@pytest.fixture
def pip_env() -> dict[str, str]:
    return clean_env()


@dataclass
class Pants:
    """`pants` in one workspace, always with the same options so pantsd is reused."""

    buildroot: Path
    binary: str
    config_files: tuple[str, ...]
    dumb_pypi: Path  # the snapshot of dumb_pypi/ this session's Pants runs

    def run(self, *args: str, check: bool = True, pantsd: bool = True) -> subprocess.CompletedProcess[str]:
        env = clean_env()
        env["PANTS_CONFIG_FILES"] = "+" + repr(list(self.config_files))
        argv = [self.binary, "--pantsd" if pantsd else "--no-pantsd", *args]
        proc = subprocess.run(
            argv, check=False, cwd=self.buildroot, env=env, capture_output=True, text=True, timeout=900
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
        return proc

    def stop_pantsd(self) -> None:
        # Only the pantsd this workspace started: its pid file is under its own .pids/.
        for pid_file in self.buildroot.glob(".pids/*/pantsd/pid"):
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass


@pytest.fixture(scope="session")
def pants_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pants]:
    installed = _installed()
    root = tmp_path_factory.mktemp("pants")
    buildroot = root / "example"
    shutil.copytree(
        EXAMPLE,
        buildroot,
        ignore=shutil.ignore_patterns("dist", ".pants.d", ".pids", "*.whl", "*.tar.gz", "__pycache__"),
    )
    subprocess.run([sys.executable, str(buildroot / "prebuilt/make_prebuilt.py")], check=True)
    # One snapshot of dumb_pypi/ for the whole session, so edits made meanwhile
    # (or a Bazel build compared with this one) see the same code.
    snapshot = root / "src"
    shutil.copytree(REPO / "dumb_pypi", snapshot / "dumb_pypi", ignore=shutil.ignore_patterns("__pycache__"))
    # The copy lives outside the repo: point Pants at this checkout's backend and the snapshot.
    local = root / "pants.local.toml"
    local.write_text(f'[GLOBAL]\npythonpath = ["{REPO / "pants-plugins"}", "{snapshot}"]\n')
    pants = Pants(
        buildroot,
        installed["DUMB_PYPI_PANTS_BIN"],
        (installed["DUMB_PYPI_PANTS_CONFIG"], str(local)),
        snapshot / "dumb_pypi",
    )
    yield pants
    pants.stop_pantsd()


@dataclass
class Built:
    pants: Pants
    dist: Path
    seconds: float

    def inputs(self) -> dict[str, Path]:
        """The files the index was made of: what Pants built (in dist/) and the prebuilt ones."""
        found = {p.name: p for p in self.dist.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz"))}
        del found["index.tar.gz"]
        prebuilt = self.pants.buildroot / "prebuilt"
        found.update({p.name: p for p in prebuilt.iterdir() if p.name.endswith((".whl", ".tar.gz"))})
        return found


@pytest.fixture(scope="session")
def example_built(pants_workspace: Pants) -> Built:
    """One batched `pants package`: the index and, to compare with Bazel, its distributions."""
    started = time.monotonic()
    pants_workspace.run("package", "//:index", "greet:dist", "shout:dist")
    return Built(pants_workspace, pants_workspace.buildroot / "dist", time.monotonic() - started)


