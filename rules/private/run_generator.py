"""Runs the dumb-pypi CLI inside a Bazel action.

    python -I -S -B run_generator.py [--path ENTRY]... [--module NAME] -- CLI ARGS...

The interpreter runs isolated (-I: no PYTHON* variables, no user site; -S: no
site-packages), so the only importable code is the standard library plus the
`--path` entries the rule declared as inputs: the dumb_pypi sources and the
pinned dependency wheels (zip files import fine).

`--module NAME` runs
`NAME.main(ARGS)` instead of the CLI's (`dumb_pypi.deploy` for `<index>.deploy`).
"""

from __future__ import annotations

import importlib
import sys


def split_argv(argv: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """-> (--path entries, other launcher options, the CLI's arguments)."""
    paths: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i] != "--":
        flag = argv[i]
        if flag not in ("--path", "--module") or i + 1 >= len(argv):
            raise SystemExit(f"run_generator.py: unexpected argument {flag!r}")
        if flag == "--path":
            paths.append(argv[i + 1])
        else:
            options[flag] = argv[i + 1]
        i += 2
    return paths, options, argv[i + 1 :]


def main(argv: list[str]) -> int:
    paths, options, cli_args = split_argv(argv)
    sys.path[0:0] = paths
    module = importlib.import_module(options.get("--module", "dumb_pypi.cli"))
    status: int = module.main(cli_args)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
