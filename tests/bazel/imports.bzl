"""`generator_imports`: an action that imports what the generator imports.

It runs the rules' own launcher with the generator's sys.path (the pinned
wheels and MarkupSafe's sources) plus the directory of check_imports.py, and
writes what it found: the versions, which MarkupSafe escape ran (the pure
fallback), and a rendered template.
"""

# buildifier: disable=bzl-visibility
load("//rules/private:generator.bzl", "DumbPypiGeneratorInfo", "GENERATOR_ATTRS", "PY_TOOLCHAIN", "launcher_command", "python_interpreter")

def _generator_imports_impl(ctx):
    python = python_interpreter(ctx)
    generator = ctx.attr._generator[DumbPypiGeneratorInfo]
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    args = launcher_command(ctx, python)
    args.add("--path", ctx.file.check.dirname)
    args.add("--module", ctx.file.check.basename[:-len(".py")])
    args.add("--")
    args.add(out)
    ctx.actions.run(
        executable = python.executable,
        arguments = [args],
        inputs = depset([ctx.file.check], transitive = [generator.inputs, python.files]),
        outputs = [out],
        mnemonic = "CheckGeneratorImports",
        progress_message = "Importing the generator's dependencies for %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]))]

generator_imports = rule(
    implementation = _generator_imports_impl,
    attrs = dict(
        {"check": attr.label(allow_single_file = [".py"], mandatory = True)},
        **GENERATOR_ATTRS
    ),
    toolchains = [PY_TOOLCHAIN],
)
