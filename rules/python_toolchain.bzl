"""A Python toolchain whose interpreter version is part of every action.

    load("@dumb_pypi//rules:python_toolchain.bzl", "dumb_pypi_python_toolchain")

    dumb_pypi_python_toolchain(
        name = "worker_python",
        interpreter_path = "/usr/bin/python3",
        python_version = "3.11",
    )

then `register_toolchains("//tools/python:worker_python")` in WORKSPACE. For
WORKSPACE builds (Bazel 4.2 onwards); it uses the native `py_runtime`.
See docs/remote.md.
"""

load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")
load("//rules/private:python_toolchain.bzl", "PY_TOOLCHAIN_TYPE", "python_version_toolchain")

def dumb_pypi_python_toolchain(name, interpreter_path, python_version, **kwargs):
    """Declares toolchain `name`: `interpreter_path`, declared as `python_version`.

    Every action of the dumb-pypi rules run with it carries the version in its
    command line (so in its cache key) and first checks that the interpreter it
    runs is that version, failing with one line naming both otherwise.

    Args:
      name: the `toolchain` target to register.
      interpreter_path: absolute path of Python 3 where actions run (on remote
        workers: in the worker image).
      python_version: its version, `3.11` (any 3.11.x) or `3.11.2` (exactly).
      **kwargs: passed to `toolchain()`: `exec_compatible_with`,
        `target_compatible_with`, `visibility`, ...
    """

    # buildifier: disable=native-py
    native.py_runtime(
        name = name + "_runtime",
        interpreter_path = interpreter_path,
        python_version = "PY3",
    )
    py_runtime_pair(
        name = name + "_pair",
        py3_runtime = ":" + name + "_runtime",
    )
    python_version_toolchain(
        name = name + "_versioned",
        runtime_pair = ":" + name + "_pair",
        python_version = python_version,
    )
    native.toolchain(
        name = name,
        toolchain = ":" + name + "_versioned",
        toolchain_type = PY_TOOLCHAIN_TYPE,
        **kwargs
    )
