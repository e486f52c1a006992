"""Fixtures for the Pants end-to-end tests: real `pants` on a copy of the
example workspace (tests/pants/example), run once per session under pantsd
(the helpers: tests/support/pants.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from support.cli import REPO
from support.installs import clean_env
from support.pants import EXAMPLE, Built, Pants, installed


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pants: runs the real pants on the example workspace (needs .ci/install-pants.sh)"
    )
    # Also registered by tests/bazel; repeated so that tests/pants runs alone under --strict-markers.
    config.addinivalue_line("markers", "bazel: runs the real bazel (needs .ci/install-bazel.sh)")


@pytest.fixture(scope="session")
def pants_installed() -> dict[str, str]:
    """What .ci/install-pants.sh installed (Pants, its Python, the machine config)."""
    return installed()


@pytest.fixture
def pip_env() -> dict[str, str]:
    """No pip or Pants configuration of this machine (constraints, find-links) may leak in."""
    return clean_env("PANTS_")


@pytest.fixture(scope="session")
def pants_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pants]:
    tools = installed()
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
        tools["DUMB_PYPI_PANTS_BIN"],
        (tools["DUMB_PYPI_PANTS_CONFIG"], str(local)),
        snapshot / "dumb_pypi",
    )
    yield pants
    pants.stop_pantsd()


@pytest.fixture(scope="session")
def example_built(pants_workspace: Pants) -> Built:
    """One batched `pants package`: the index and, to compare with Bazel, its distributions."""
    started = time.monotonic()
    pants_workspace.run("package", "//:index", "greet:dist", "shout:dist")
    return Built(pants_workspace, pants_workspace.buildroot / "dist", time.monotonic() - started)
