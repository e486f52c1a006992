"""Small shared helpers for the backend's tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from pants.engine.internals.scheduler import ExecutionError

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_prebuilt() -> ModuleType:
    """The example workspace's generator of a reproducible wheel and sdist."""
    path = REPO_ROOT / "tests/pants/example/prebuilt/make_prebuilt.py"
    spec = importlib.util.spec_from_file_location("make_prebuilt", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raises_with(*fragments: str) -> pytest.RaisesContext[ExecutionError]:
    """Expect an engine error whose message has every fragment."""
    return _RaisesWith(fragments)


class _RaisesWith:
    def __init__(self, fragments: tuple[str, ...]) -> None:
        self.fragments = fragments
        self._ctx = pytest.raises(ExecutionError)

    def __enter__(self) -> None:
        self._info = self._ctx.__enter__()

    def __exit__(self, *exc: object) -> bool:
        handled = self._ctx.__exit__(*exc)
        message = str(self._info.value)
        missing = [f for f in self.fragments if f not in message]
        if missing:
            pytest.fail(f"error lacks {missing!r}:\n{message}")
        return bool(handled)
