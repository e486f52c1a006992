"""How actions run Python: the toolchain interpreter, and the dumb-pypi generator.

Every action of these rules runs `python -I -S -B SCRIPT ...` with the
interpreter of `@bazel_tools//tools/python:toolchain_type`, an empty
environment and only declared inputs on `sys.path`.
"""

PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

# -I: ignore PYTHON* variables and the user site; -S: no site-packages, so a
# system-wide packaging can never shadow the pinned one; -B: write no .pyc next
# to (possibly source-tree) inputs; -X utf8: same text encoding everywhere.
PYTHON_FLAGS = ["-I", "-S", "-B", "-X", "utf8"]

# `bazel run` targets are not cached actions: they keep the interpreter's
# site-packages and PYTHONPATH, so an S3 deploy finds boto3 there (the pinned
# wheels still come first on sys.path).
RUN_PYTHON_FLAGS = ["-B", "-X", "utf8"]

DumbPypiGeneratorInfo = provider(
    doc = "The dumb_pypi package and its dependencies, ready to put on sys.path.",
    fields = {
        "launcher": "File: run_generator.py.",
        "path": "list of string: sys.path entries, relative to the exec root.",
        "runfiles_path": "list of string: the same entries, relative to the main repository's runfiles directory.",
        "inputs": "depset of File: everything those entries hold.",
    },
)

def python_interpreter(ctx):
    """The toolchain's Python 3: (executable File or path string, depset of runtime files)."""
    runtime = ctx.toolchains[PY_TOOLCHAIN].py3_runtime
    if runtime == None:
        fail("%s: the Python toolchain has no Python 3 runtime" % ctx.label)
    if runtime.interpreter != None:
        return runtime.interpreter, runtime.files
    return runtime.interpreter_path, depset()

def _path(f):
    return f.path

def _import_root(path):
    # .../dumb_pypi/__init__.py -> the directory that holds dumb_pypi/.
    root = path[:-len("dumb_pypi/__init__.py")].rstrip("/")
    return root or "."

def _dumb_pypi_generator_impl(ctx):
    inits = [
        f
        for f in ctx.files.srcs
        if f.path == "dumb_pypi/__init__.py" or f.path.endswith("/dumb_pypi/__init__.py")
    ]
    if len(inits) != 1:
        fail("%s: srcs must hold exactly one dumb_pypi/__init__.py, found %d" % (ctx.label, len(inits)))
    deps = sorted(ctx.files.deps, key = _path)
    return [DumbPypiGeneratorInfo(
        launcher = ctx.file._launcher,
        path = [_import_root(inits[0].path)] + [dep.path for dep in deps],
        runfiles_path = [_import_root(inits[0].short_path)] + [dep.short_path for dep in deps],
        inputs = depset([ctx.file._launcher] + ctx.files.srcs + deps),
    )]

dumb_pypi_generator = rule(
    implementation = _dumb_pypi_generator_impl,
    doc = "Bundles the dumb_pypi sources and the wheels they import, for the rules' actions.",
    attrs = {
        "srcs": attr.label_list(
            allow_files = True,
            mandatory = True,
            doc = "The `dumb_pypi` package: its `.py` files.",
        ),
        "deps": attr.label_list(
            allow_files = [".whl"],
            doc = "Pure-Python wheels it imports (packaging).",
        ),
        "_launcher": attr.label(
            default = Label("//rules/private:run_generator.py"),
            allow_single_file = True,
        ),
    },
)

GENERATOR_ATTRS = {
    "_generator": attr.label(
        default = Label("//rules:generator"),
        providers = [DumbPypiGeneratorInfo],
        cfg = "exec",
    ),
}

def run_generator(ctx, mnemonic, progress_message, cli_args, inputs, outputs):
    """Runs `dumb-pypi CLI_ARGS` in one action.

    Args:
      ctx: the rule context; its rule must declare GENERATOR_ATTRS and the
        Python toolchain.
      mnemonic: the action's mnemonic.
      progress_message: shown while it runs (already formatted).
      cli_args: an Args object with the dumb-pypi arguments.
      inputs: list of File the CLI reads.
      outputs: list of File it writes.
    """
    python, python_files = python_interpreter(ctx)
    generator = ctx.attr._generator[DumbPypiGeneratorInfo]
    launcher_args = ctx.actions.args()
    launcher_args.add_all(PYTHON_FLAGS)
    launcher_args.add(generator.launcher)
    for entry in generator.path:
        launcher_args.add("--path", entry)
    launcher_args.add("--")
    ctx.actions.run(
        executable = python,
        arguments = [launcher_args, cli_args],
        inputs = depset(inputs, transitive = [generator.inputs, python_files]),
        outputs = outputs,
        mnemonic = mnemonic,
        progress_message = progress_message,
    )
