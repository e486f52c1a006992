"""Runs the dumb-pypi CLI inside a Bazel action.

    python -I -S -B run_generator.py [--python X.Y[.Z]] [--path ENTRY]...
        [--wheel CONFIG] [--module NAME] -- CLI ARGS...

`--python` is the version the Python toolchain declares for the interpreter
(rules/private/python_toolchain.bzl). It is checked before anything else: an
action run by another interpreter (a remote worker with a different
`/usr/bin/python3`) fails with one line naming both versions instead of
producing outputs under a key that says nothing about it.

The interpreter runs isolated (-I: no PYTHON* variables, no user site, not
even this script's directory; -S: no site-packages), so the only importable
code is the standard library plus the `--path` entries the rule declared as
inputs: the dumb_pypi sources, pure-Python source packages and the pinned
wheels (zip files import fine). `<index>.deploy` (`bazel run`) runs the same
way, with its S3 client's extracted wheels (obstore, botocore: an extension
module does not import from a zip) as more `--path` entries.

`--wheel CONFIG` first builds a wheel with wheelmaker.py (beside this file)
from CONFIG (JSON text, or `@PATH` of a file holding it): `py_wheel_dist`
writes its wheel and, with the CLI's `record`, the wheel's record in one
action. `--module NAME` runs `NAME.main(ARGS)` instead of the CLI's
(`dumb_pypi.deploy` for `<index>.deploy`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from types import ModuleType
from typing import Any

_OPTIONS = ("--python", "--path", "--wheel", "--module")


def split_argv(argv: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """-> (--path entries, other launcher options, the CLI's arguments)."""
    paths: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i] != "--":
        flag = argv[i]
        if flag not in _OPTIONS or i + 1 >= len(argv):
            raise SystemExit(f"run_generator.py: unexpected argument {flag!r}")
        if flag == "--path":
            paths.append(argv[i + 1])
        else:
            options[flag] = argv[i + 1]
        i += 2
    return paths, options, argv[i + 1 :]


def python_mismatch(declared: str, actual: tuple[int, ...], executable: str) -> str | None:
    """The one-line error when the running interpreter is not the declared version, else None."""
    wanted = tuple(int(part) for part in declared.split("."))
    if actual[: len(wanted)] == wanted:
        return None
    running = ".".join(str(part) for part in actual[:3])
    return (
        f"dumb-pypi: this action expects Python {declared} (the version its Python toolchain declares), "
        f"but {executable} is Python {running}: point the toolchain at a Python {declared} or declare {running}"
    )


def _load_wheelmaker() -> ModuleType:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wheelmaker.py")
    spec = importlib.util.spec_from_file_location("wheelmaker", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"run_generator.py: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel_config(value: str) -> Any:
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as f:
            return json.load(f)
    return json.loads(value)


def main(argv: list[str]) -> int:
    paths, options, cli_args = split_argv(argv)
    if "--python" in options:
        error = python_mismatch(options["--python"], tuple(sys.version_info[:3]), sys.executable)
        if error:
            print(error, file=sys.stderr)
            return 2
    if "--wheel" in options:
        wheelmaker = _load_wheelmaker()
        config = _wheel_config(options["--wheel"])
        if not wheelmaker.build(config):
            return 1
    sys.path[0:0] = paths
    module = importlib.import_module(options.get("--module", "dumb_pypi.cli"))
    status: int = module.main(cli_args)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
