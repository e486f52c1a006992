"""How actions run Python: the toolchain interpreter, and the dumb-pypi generator.

Every action of these rules runs `python -I -S -B run_generator.py ...` with
the interpreter of `@bazel_tools//tools/python:toolchain_type`, an empty
environment and only declared inputs on `sys.path`. The interpreter's
identity is part of every action: its version is on the command line
(`--python X.Y`) and the launcher checks it before anything else, or, for an
interpreter that is a file of the build, it is an input.
"""

load(":python_toolchain.bzl", "PY_TOOLCHAIN_TYPE", "VERSION_FIELD")

PY_TOOLCHAIN = PY_TOOLCHAIN_TYPE

# -I: ignore PYTHON* variables and the user site; -S: no site-packages, so a
# system-wide packaging can never shadow the pinned one; -B: write no .pyc next
# to (possibly source-tree) inputs; -X utf8: same text encoding everywhere.
PYTHON_FLAGS = ["-I", "-S", "-B", "-X", "utf8"]

# `bazel run` targets (`<index>.deploy`) run the same way: their pinned S3
# client (obstore, botocore: //third_party:deploy_client) is on sys.path from
# the runfiles, and -I -S keep the host's site-packages and PYTHONPATH out, so
# nothing installed on the machine can shadow it or stand in for it. -B also
# keeps .pyc files out of the runfiles (their sources may be source files).
RUN_PYTHON_FLAGS = PYTHON_FLAGS

DumbPypiGeneratorInfo = provider(
    doc = "The dumb_pypi package and its dependencies, ready to put on sys.path.",
    fields = {
        "launcher": "File: run_generator.py.",
        "path": "list of string: sys.path entries, relative to the exec root.",
        "runfiles_path": "list of string: the same entries, relative to the main repository's runfiles directory.",
        "inputs": "depset of File: everything those entries hold.",
    },
)

PythonInterpreterInfo = provider(
    doc = "The toolchain's Python 3, as actions run it.",
    fields = {
        "executable": "File, or string: an absolute path on the machine that runs the action.",
        "files": "depset of File: the runtime's files (empty for a path).",
        "version": "string: the version it must report (`3.11`, `3.11.2`); empty when the interpreter is an input.",
    },
)

def _declared_version(toolchain, runtime):
    version = getattr(toolchain, VERSION_FIELD, "")
    if version:
        return version
    info = getattr(runtime, "interpreter_version_info", None)  # rules_python's py_runtime
    if info != None and getattr(info, "major", None) != None and getattr(info, "minor", None) != None:
        return "%s.%s" % (info.major, info.minor)
    return ""

def python_interpreter(ctx):
    """The toolchain's Python 3; fails when its identity would be missing from action keys.

    Args:
      ctx: a rule context whose rule declares the Python toolchain.

    Returns:
      PythonInterpreterInfo.
    """
    toolchain = ctx.toolchains[PY_TOOLCHAIN]
    runtime = toolchain.py3_runtime
    if runtime == None:
        fail("%s: the Python toolchain has no Python 3 runtime" % ctx.label)
    version = _declared_version(toolchain, runtime)

    # A file of the build (a hermetic interpreter) is an input of every
    # action; Bazel's autodetecting toolchain's file is a wrapper that runs
    # whatever `python3` PATH finds, so it counts as a path.
    is_input = runtime.interpreter != None and runtime.interpreter.owner.workspace_name != "bazel_tools"
    if not version and not is_input:
        where = runtime.interpreter_path if runtime.interpreter == None else "`python3` from PATH (Bazel's autodetecting toolchain)"
        fail(("%s: the Python toolchain runs %s, which is no input of the actions, and declares no version, so " +
              "its identity would be missing from every action key: register one that declares it " +
              "(dumb_pypi_dependencies(), or dumb_pypi_python_toolchain() in @dumb_pypi//rules:python_toolchain.bzl)") % (ctx.label, where))
    if runtime.interpreter != None:
        return PythonInterpreterInfo(executable = runtime.interpreter, files = runtime.files, version = version)
    return PythonInterpreterInfo(executable = runtime.interpreter_path, files = depset(), version = version)

def _path(f):
    return f.path

def _depth(f):
    return f.path.count("/")

def _package_root(files, what):
    """The sys.path entry of a source package: the directory above its top `__init__.py`."""
    inits = sorted([f for f in files if f.basename == "__init__.py"], key = _depth)
    if not inits:
        fail("%s holds no __init__.py: not a Python package" % what)
    init = inits[0]
    return struct(
        path = init.path[:-len("/__init__.py")].rpartition("/")[0] or ".",
        runfiles_path = init.short_path[:-len("/__init__.py")].rpartition("/")[0] or ".",
    )

def _dumb_pypi_generator_impl(ctx):
    inits = [
        f
        for f in ctx.files.srcs
        if f.path == "dumb_pypi/__init__.py" or f.path.endswith("/dumb_pypi/__init__.py")
    ]
    if len(inits) != 1:
        fail("%s: srcs must hold exactly one dumb_pypi/__init__.py, found %d" % (ctx.label, len(inits)))
    roots = [_package_root(ctx.files.srcs, str(ctx.label))]
    files = list(ctx.files.srcs)
    wheels = []
    for dep in ctx.attr.deps:
        # A filegroup may hold both: its wheels, and one source package.
        sources = [f for f in dep.files.to_list() if f.extension != "whl"]
        wheels += [f for f in dep.files.to_list() if f.extension == "whl"]
        if sources:
            roots.append(_package_root(sources, str(dep.label)))
            files += sources
    wheels = sorted(wheels, key = _path)
    return [DumbPypiGeneratorInfo(
        launcher = ctx.file._launcher,
        path = [r.path for r in roots] + [w.path for w in wheels],
        runfiles_path = [r.runfiles_path for r in roots] + [w.short_path for w in wheels],
        inputs = depset([ctx.file._launcher] + files + wheels),
    )]

dumb_pypi_generator = rule(
    implementation = _dumb_pypi_generator_impl,
    doc = "Bundles the dumb_pypi sources and what they import, for the rules' actions.",
    attrs = {
        "srcs": attr.label_list(
            allow_files = True,
            mandatory = True,
            doc = "The `dumb_pypi` package: its files.",
        ),
        "deps": attr.label_list(
            allow_files = True,
            doc = "What it imports, pure Python only: wheels (on sys.path as zip files) and, at most one per " +
                  "target, source packages (files holding `<package>/__init__.py`; the directory above it goes on sys.path).",
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

def launcher_command(ctx, python):
    """The command line of the launcher, up to its options (`--` and the CLI's arguments follow).

    Args:
      ctx: a rule context with GENERATOR_ATTRS.
      python: the PythonInterpreterInfo that runs it.

    Returns:
      Args: the interpreter's flags, the launcher, `--python`, `--path` entries.
    """
    generator = ctx.attr._generator[DumbPypiGeneratorInfo]
    args = ctx.actions.args()
    args.add_all(PYTHON_FLAGS)
    args.add(generator.launcher)
    if python.version:
        args.add("--python", python.version)
    for entry in generator.path:
        args.add("--path", entry)
    return args

def run_generator(ctx, mnemonic, progress_message, cli_args, inputs, outputs, launcher_options = None):
    """Runs `dumb-pypi CLI_ARGS` in one action.

    Args:
      ctx: the rule context; its rule must declare GENERATOR_ATTRS and the
        Python toolchain.
      mnemonic: the action's mnemonic.
      progress_message: shown while it runs (already formatted).
      cli_args: an Args object with the dumb-pypi arguments.
      inputs: list of File the CLI reads.
      outputs: list of File it writes.
      launcher_options: an Args object with more launcher options (`--wheel`), or None.
    """
    python = python_interpreter(ctx)
    generator = ctx.attr._generator[DumbPypiGeneratorInfo]
    launcher_args = launcher_command(ctx, python)
    end = ctx.actions.args()
    end.add("--")
    ctx.actions.run(
        executable = python.executable,
        arguments = [launcher_args] + ([launcher_options] if launcher_options else []) + [end, cli_args],
        inputs = depset(inputs, transitive = [generator.inputs, python.files]),
        outputs = outputs,
        mnemonic = mnemonic,
        progress_message = progress_message,
    )
