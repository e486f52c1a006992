"""A Python toolchain that declares its interpreter's version.

Actions of these rules run the toolchain's interpreter. When that
interpreter is a path on the machine that runs the action (a system Python,
the usual case on remote workers), it is no input of the action: its version
must be in the action's key some other way. This toolchain carries the
version; every action passes it to the launcher, which checks it before
doing anything (rules/private/run_generator.py).
"""

PY_TOOLCHAIN_TYPE = "@bazel_tools//tools/python:toolchain_type"

# The field of the toolchain's ToolchainInfo that holds the version.
VERSION_FIELD = "dumb_pypi_python_version"

TOOLCHAIN_ARG_DOCS = {
    "name": "The `toolchain` target to register (`<name>_runtime`, `<name>_pair` and `<name>_versioned` are declared beside it).",
    "interpreter_path": "Absolute path of Python 3 where actions run (on remote workers: in the worker image).",
    "python_version": "Its version, `3.11` (any 3.11.x) or `3.11.2` (exactly). Every action carries it and checks it first.",
    "**kwargs": "Passed to `toolchain()`: `exec_compatible_with`, `target_compatible_with`, `visibility`, ...",
}

def is_python_version(text):
    """Whether `text` is a version such as `3.11` or `3.11.2`.

    Args:
      text: the declared version.

    Returns:
      bool: two or three dot-separated numbers.
    """
    parts = text.split(".")
    if len(parts) not in (2, 3):
        return False
    for part in parts:
        if not part or not part.isdigit():
            return False
    return True

def _python_version_toolchain_impl(ctx):
    if ctx.attr.error:
        fail("%s: %s" % (ctx.label, ctx.attr.error))
    if not is_python_version(ctx.attr.python_version):
        fail("%s: python_version %r is not a Python version such as 3.11 or 3.11.2" % (ctx.label, ctx.attr.python_version))
    pair = ctx.attr.runtime_pair[platform_common.ToolchainInfo]
    fields = {"py2_runtime": getattr(pair, "py2_runtime", None), "py3_runtime": pair.py3_runtime}
    fields[VERSION_FIELD] = ctx.attr.python_version
    return [platform_common.ToolchainInfo(**fields)]

python_version_toolchain = rule(
    implementation = _python_version_toolchain_impl,
    doc = "A `py_runtime_pair` plus the version of its Python 3 interpreter.",
    attrs = {
        "runtime_pair": attr.label(
            mandatory = True,
            providers = [platform_common.ToolchainInfo],
            doc = "A `py_runtime_pair` target.",
        ),
        "python_version": attr.string(
            mandatory = True,
            doc = "The interpreter's version: `3.11` (any 3.11.x) or `3.11.2` (exactly).",
        ),
        "error": attr.string(doc = "If set, using this toolchain fails with this message (a repository rule could not find the interpreter)."),
    },
)
