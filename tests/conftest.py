"""Fixtures every suite may use. Helpers are in tests/support/, one module per
need, imported as `support.<module>` (pyproject's pytest pythonpath has tests/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from support.data import REFERENCE_VENV, read_huge_list
from support.servers import http_server
from support.trees import extract as extract_tarball


@pytest.fixture(scope="session")
def reference_venv() -> Path:
    """The venv holding dumb-pypi 1.15 (bin/dumb-pypi, bin/python)."""
    if not (REFERENCE_VENV / "bin" / "dumb-pypi").exists():
        pytest.skip(f"dumb-pypi 1.15 is not installed in {REFERENCE_VENV} (bash .ci/install.sh, or "
                    f"python3 -m venv {REFERENCE_VENV} && {REFERENCE_VENV}/bin/pip install dumb-pypi==1.15.0)")
    return REFERENCE_VENV


@pytest.fixture(scope="session")
def huge_list() -> list[str]:
    return read_huge_list()


@pytest.fixture
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """serve(directory) -> base URL of a static HTTP server on 127.0.0.1 (support.servers.http_server)."""
    logs = tmp_path_factory.mktemp("serve")
    with ExitStack() as servers:
        def start(directory: Path) -> str:
            log = logs / f"http-{len(list(logs.iterdir()))}.log"
            return servers.enter_context(http_server(directory, log)).url
        yield start


@pytest.fixture
def extract() -> Callable[[Path, Path], Path]:
    """extract(tarball, dest) -> dest, refusing members outside the root."""
    return extract_tarball
