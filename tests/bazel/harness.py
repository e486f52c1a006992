"""Shared by the Bazel tests and bench/bazel_bench.py (no pytest here).

Tests and the benchmark never build in the working tree: its files change
while they run, and every change to dumb_pypi/ rightly invalidates every
record action. They build in copies (`copy_checkout`) and count what Bazel
executed from its summary line (`parse_processes`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What a checkout needs to build the rules, the examples and the generator.
CHECKOUT_ENTRIES = [
    ".bazelignore",
    ".bazelrc",
    ".bazelversion",
    "BUILD",
    "MODULE.bazel",
    "WORKSPACE",
    "docs/rules.md",
    "dumb_pypi",
    "pyproject.toml",
    "rules",
    "third_party",
    "tests/bazel",
    "tests/e2e",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "bazel-*", "user.bazelrc")


def copy_checkout(dest: Path, source: Path = REPO, entries: Sequence[str] = CHECKOUT_ENTRIES) -> Path:
    """A fresh copy of the repository's Bazel side (`entries` of it) at `dest`."""
    for entry in entries:
        src = source / entry
        if src.is_dir():
            shutil.copytree(src, dest / entry, ignore=IGNORED, symlinks=True)
        else:
            (dest / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / entry)
    return dest


_PROCESSES = re.compile(r"INFO: \d+ process(?:es)?(?:: (.*))?\.$", re.MULTILINE)

# Spawn kinds that did not run a command on this machine.
NOT_EXECUTED = ("internal", "remote cache hit")


def parse_processes(stderr: str) -> dict[str, int]:
    """`INFO: 12 processes: 5 remote cache hit, 7 internal.` -> {kind: count} (last line wins)."""
    matches = _PROCESSES.findall(stderr)
    if not matches:
        return {}
    counts: dict[str, int] = {}
    for part in (matches[-1] or "").split(", "):
        if part:
            number, kind = part.split(" ", 1)
            counts[kind] = int(number)
    return counts


def executed(processes: dict[str, int]) -> int:
    """Spawns that ran on this machine: everything but cache hits and internal ones."""
    return sum(n for kind, n in processes.items() if kind not in NOT_EXECUTED)
