"""bench/bazel_bench.py imports `harness` from this folder; the code is
tests/support/bazel.py, which the tests import. To be removed once the
benchmark imports support.bazel itself."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `support`
from support.bazel import copy_checkout, executed, parse_processes

__all__ = ["copy_checkout", "executed", "parse_processes"]
