"""The targets `pypi_index` adds beside the index: `<name>.deploy` and `<name>.tarball`.

Their rule kinds (`dumb_pypi_deploy`, `dumb_pypi_tarball`) do not contain
"pypi_index", so `kind(pypi_index, //...)` finds the indexes alone.
"""

load("//rules:providers.bzl", "PypiIndexInfo")
load(":generator.bzl", "DumbPypiGeneratorInfo", "GENERATOR_ATTRS", "PY_TOOLCHAIN", "RUN_PYTHON_FLAGS", "python_interpreter")

def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"

def _repository_roots(files, what):
    """Where each external repository holding `files` is, as `../<repository>`, sorted.

    Relative to the main repository's runfiles directory, like the generator's
    `runfiles_path`: the roots of the extracted wheels, for sys.path.
    """
    roots = {}
    for f in files:
        parts = f.short_path.split("/")
        if len(parts) < 3 or parts[0] != "..":
            fail("%s: %s is not in an external repository (an extracted wheel)" % (what, f.short_path))
        roots["../" + parts[1]] = True
    return sorted(roots)

def _dumb_pypi_deploy_impl(ctx):
    index = ctx.attr.index[PypiIndexInfo]
    generator = ctx.attr._generator[DumbPypiGeneratorInfo]
    python = python_interpreter(ctx)
    if type(python.executable) == "File":
        interpreter = '"$runfiles"/' + _quote(python.executable.short_path)
    else:
        interpreter = _quote(python.executable)
    launcher_args = ['"$runfiles"/' + _quote(generator.launcher.short_path)]
    if python.version:
        launcher_args += ["--python", _quote(python.version)]

    # The generator's sources and wheels, then the pinned S3 client (extracted
    # wheels): with -I -S nothing else but the standard library is importable.
    client = ctx.files._deploy_client
    for entry in generator.runfiles_path + _repository_roots(client, str(ctx.attr._deploy_client.label)):
        launcher_args += ["--path", '"$runfiles"/' + _quote(entry)]
    launcher_args += ["--module", "dumb_pypi.deploy", "--", '"$runfiles"/' + _quote(index.tarball.short_path)]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, "\n".join([
        "#!/bin/sh",
        "# %s: dumb-pypi deploy %s DEST [options]" % (ctx.label, index.tarball.short_path),
        "set -e",
        'runfiles="${RUNFILES_DIR:-$0.runfiles}"/' + _quote(ctx.workspace_name),
        "runfiles=$(cd \"$runfiles\" && pwd)",
        "# Paths on the command line are relative to where `bazel run` was called.",
        'cd "${BUILD_WORKING_DIRECTORY:-.}"',
        "exec %s %s %s \"$@\"" % (interpreter, " ".join(RUN_PYTHON_FLAGS), " ".join(launcher_args)),
        "",
    ]), is_executable = True)
    runfiles = ctx.runfiles(
        files = client,
        transitive_files = depset([index.tarball], transitive = [generator.inputs, python.files]),
    )
    return [DefaultInfo(executable = script, runfiles = runfiles)]

dumb_pypi_deploy = rule(
    implementation = _dumb_pypi_deploy_impl,
    doc = "`bazel run //:<index>.deploy -- DEST [options]` runs `dumb-pypi deploy <index>.tar.gz DEST`.",
    attrs = dict(
        {
            "index": attr.label(mandatory = True, providers = [PypiIndexInfo], doc = "The pypi_index to deploy."),
            # Built for the target platform, like the Python toolchain that
            # runs it: obstore's binary wheel must fit that interpreter.
            "_deploy_client": attr.label(default = Label("//third_party:deploy_client")),
        },
        **GENERATOR_ATTRS
    ),
    executable = True,
    toolchains = [PY_TOOLCHAIN],
)

def _dumb_pypi_tarball_impl(ctx):
    return [DefaultInfo(files = depset([ctx.attr.index[PypiIndexInfo].tarball]))]

dumb_pypi_tarball = rule(
    implementation = _dumb_pypi_tarball_impl,
    doc = "`<index>.tarball`: a target whose one output is the index's tarball, for rules that take a label.",
    attrs = {"index": attr.label(mandatory = True, providers = [PypiIndexInfo], doc = "The pypi_index whose tarball this is.")},
)
