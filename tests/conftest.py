"""Fixtures shared by tests/unit and tests/integration (helpers: tests/integration/core_support.py)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import webtools

# ../shared/bench/package-list-huge.txt (71,408 real PyPI filenames), kept
# here too so that the tests over it run wherever the checkout is.
HUGE_LIST = Path(__file__).parent / "data" / "package-list-huge.txt.gz"
# dumb-pypi 1.15 for the comparison tests; .ci/install.sh creates this venv.
REFERENCE_VENV = Path(os.environ.get("DUMB_PYPI_REFERENCE", Path.home() / ".cache" / "dumb-pypi-reference"))


@pytest.fixture(scope="session")
def reference_venv() -> Path:
    """The venv holding dumb-pypi 1.15 (bin/dumb-pypi, bin/python)."""
    if not (REFERENCE_VENV / "bin" / "dumb-pypi").exists():
        pytest.skip(f"dumb-pypi 1.15 is not installed in {REFERENCE_VENV} (bash .ci/install.sh, or "
                    f"python3 -m venv {REFERENCE_VENV} && {REFERENCE_VENV}/bin/pip install dumb-pypi==1.15.0)")
    return REFERENCE_VENV


@pytest.fixture(scope="session")
def huge_list() -> list[str]:
    return gzip.decompress(HUGE_LIST.read_bytes()).decode("utf-8").splitlines()


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """serve(directory) -> base URL of a static HTTP server on 127.0.0.1."""
    with ExitStack() as servers:
        yield lambda directory: servers.enter_context(webtools.static_server(directory))


@pytest.fixture
def extract() -> Callable[[Path, Path], Path]:
    """extract(tarball, dest) -> dest, refusing members outside the root."""
    return webtools.extract
