"""Backend entry point: `backend_packages = ["dumb_pypi_pants"]`."""

from __future__ import annotations

from collections.abc import Iterable

from pants.engine.rules import Rule
from pants.engine.target import Target
from pants.engine.unions import UnionRule

from dumb_pypi_pants import collect, package, tool
from dumb_pypi_pants.target_types import PypiDistTarget, PypiIndexTarget


def target_types() -> Iterable[type[Target]]:
    return [PypiIndexTarget, PypiDistTarget]


def rules() -> Iterable[Rule | UnionRule]:
    return [*tool.rules(), *collect.rules(), *package.rules()]
