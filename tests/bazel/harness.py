"""A copy of this repository's Bazel side, for tests and the benchmark.

Tests and the benchmark never build in the working tree: its files change
while they run, and every change to dumb_pypi/ rightly invalidates every
record action.
"""

from __future__ import annotations

import shutil
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


def copy_checkout(dest: Path, source: Path = REPO) -> Path:
    """A fresh copy of the repository's Bazel side at `dest`."""
    for entry in CHECKOUT_ENTRIES:
        src = source / entry
        if src.is_dir():
            shutil.copytree(src, dest / entry, ignore=IGNORED, symlinks=True)
        else:
            (dest / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / entry)
    return dest
