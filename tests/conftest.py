"""Fixtures shared by tests/unit and tests/integration (helpers: tests/integration/core_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

HUGE_LIST = Path("/work/shared/bench/package-list-huge.txt")


@pytest.fixture(scope="session")
def huge_list() -> list[str]:
    if not HUGE_LIST.is_file():
        pytest.skip(f"{HUGE_LIST} (71k real PyPI filenames) is not on this machine")
    return HUGE_LIST.read_text(encoding="utf-8").splitlines()
