"""Backend entry point: `backend_packages = ["dumb_pypi_pants"]`."""

from __future__ import annotations

from collections.abc import Iterable

from dumb_pypi_pants import collect, package, tool
from dumb_pypi_pants.target_types import PypiIndexTarget


def target_types() -> Iterable[type]:
    return [PypiIndexTarget]


def rules() -> Iterable:
    return [*tool.rules(), *collect.rules(), *package.rules()]
