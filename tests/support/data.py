"""The data the tests share: 71,408 real PyPI filenames, and where dumb-pypi 1.15 is."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

__all__ = ["HUGE_LIST", "REFERENCE_VENV", "read_huge_list"]

# ../shared/bench/package-list-huge.txt (71,408 real PyPI filenames), kept
# here too so that the tests over it run wherever the checkout is.
HUGE_LIST = Path(__file__).resolve().parents[1] / "data" / "package-list-huge.txt.gz"
# dumb-pypi 1.15, the reference of the drop-in tests; .ci/install.sh creates this venv.
REFERENCE_VENV = Path(os.environ.get("DUMB_PYPI_REFERENCE", Path.home() / ".cache" / "dumb-pypi-reference"))


def read_huge_list() -> list[str]:
    """The filenames of HUGE_LIST, in its order."""
    return gzip.decompress(HUGE_LIST.read_bytes()).decode("utf-8").splitlines()
