"""What `dumb_pypi_dependencies()` declares in a WORKSPACE (see rules/repositories.bzl).

* The pinned generator dependencies and the `.deploy` S3 client
  (third_party/deps.bzl).
* `dumb_pypi_python`: a Python toolchain for the interpreter actions run
  (`/usr/bin/python3` unless told otherwise) that declares its version
  (rules/python_toolchain.bzl).
* On Bazel 4.x only (or a Bazel that reports no version, as Debian's 4.2.3
  does), and only where the WORKSPACE has not declared them:
  `rules_cc`, `rules_java` and `remote_coverage_tools`, which 4.x's own
  WORKSPACE suffix fetches from GitHub and Bazel's mirror. They are fetched the
  same way, from the same URLs with the same sha256 (so the repository cache
  and `--distdir` serve them as usual); only where that fails and Debian's
  Bazel is installed do they come from Debian's packages (`bazel-rules-java`)
  or, for the two Debian does not package, a small stand-in that re-exports
  Bazel's native rules.
"""

load("//third_party:deps.bzl", "PINNED_REPOSITORIES", "declare_pinned_deps")

DEPENDENCIES_ARG_DOCS = {
    "python_interpreter_path": "Absolute path of the Python 3 actions run, on the machines that run them (remote workers included). Default `/usr/bin/python3`.",
    "python_version": "Its version, `3.11` (any 3.11.x) or `3.11.2` (exactly). Empty (default): asked of the interpreter at that path on this machine when the repository is set up. Declare it when actions run elsewhere (remote execution).",
    "register_python_toolchain": "False: register no toolchain; the WORKSPACE's own Python toolchains must then declare their version (`dumb_pypi_python_toolchain`). Default True.",
}

# Where Debian's bazel-bootstrap and bazel-rules-java put their files
# (rules/java below it). The tests point it elsewhere to be a machine
# without them: --repo_env=DUMB_PYPI_DEBIAN_BAZEL=/nonexistent.
_DEBIAN_BAZEL_ENV = "DUMB_PYPI_DEBIAN_BAZEL"
_DEBIAN_BAZEL = "/usr/share/bazel"

# Bazel 4.2's own declarations (its jdk.WORKSPACE and coverage.WORKSPACE).
_BAZEL4_REPOSITORIES = {
    "rules_cc": struct(
        sha256 = "d0c573b94a6ef20ef6ff20154a23d0efcb409fb0e1ff0979cec318dfe42f0cdd",
        strip_prefix = "rules_cc-b1c40e1de81913a3c40e5948f78719c28152486d",
        urls = [
            "https://mirror.bazel.build/github.com/bazelbuild/rules_cc/archive/b1c40e1de81913a3c40e5948f78719c28152486d.zip",
            "https://github.com/bazelbuild/rules_cc/archive/b1c40e1de81913a3c40e5948f78719c28152486d.zip",
        ],
    ),
    "rules_java": struct(
        sha256 = "bc81f1ba47ef5cc68ad32225c3d0e70b8c6f6077663835438da8d5733f917598",
        strip_prefix = "rules_java-7cf3cefd652008d0a64a419c34c13bdca6c8f178",
        urls = [
            "https://mirror.bazel.build/github.com/bazelbuild/rules_java/archive/7cf3cefd652008d0a64a419c34c13bdca6c8f178.zip",
            "https://github.com/bazelbuild/rules_java/archive/7cf3cefd652008d0a64a419c34c13bdca6c8f178.zip",
        ],
    ),
    "remote_coverage_tools": struct(
        sha256 = "cd14f1cb4559e4723e63b7e7b06d09fcc3bd7ba58d03f354cdff1439bd936a7d",
        strip_prefix = "",
        urls = ["https://mirror.bazel.build/bazel_coverage_output_generator/releases/coverage_output_generator-v2.5.zip"],
    ),
}

# Stand-ins for the repositories Debian does not package: what our rules and
# `bazel test` need of them.
_RULES_CC_DEFS = """\
\"\"\"rules_cc stand-in: Bazel's native C++ rules under rules_cc's names.\"\"\"

cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_proto_library = native.cc_proto_library
cc_shared_library = getattr(native, "cc_shared_library", None)
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
objc_import = native.objc_import
objc_library = native.objc_library
"""

_STANDINS = {
    "rules_cc": {
        "BUILD": "",
        "cc/BUILD": "",
        "cc/defs.bzl": _RULES_CC_DEFS,
    },
    "remote_coverage_tools": {
        "BUILD": (
            "package(default_visibility = [\"//visibility:public\"])\n\n" +
            "# Coverage tools stand-in: enough for `bazel test`, not for `bazel coverage`.\n" +
            "filegroup(name = \"coverage_report_generator\")\n\n" +
            "filegroup(name = \"lcov_merger\")\n"
        ),
    },
}

def _bazel_repository_impl(rctx):
    name = rctx.attr.repository
    spec = _BAZEL4_REPOSITORIES[name]
    fetched = rctx.download_and_extract(
        spec.urls,
        sha256 = spec.sha256,
        stripPrefix = spec.strip_prefix,
        allow_fail = True,
    )
    if fetched.success:
        return
    debian = rctx.os.environ.get(_DEBIAN_BAZEL_ENV, _DEBIAN_BAZEL)
    rules_java = debian + "/rules/java"
    if name == "rules_java" and rctx.path(rules_java + "/WORKSPACE").exists:
        for entry in rctx.path(rules_java).readdir():
            rctx.symlink(entry, entry.basename)
        source = "Debian's bazel-rules-java (%s)" % rules_java
    elif name in _STANDINS and rctx.path(debian + "/embedded_tools").exists:
        rctx.file("WORKSPACE", "workspace(name = %r)\n" % name)
        for path, content in _STANDINS[name].items():
            rctx.file(path, content)
        source = "a stand-in for Debian's Bazel"
    else:
        fail("%s: cannot download %s (see the warning above) and Debian's Bazel packages are not installed: " % (name, spec.urls[-1]) +
             "allow the download, or declare %s in the WORKSPACE before dumb_pypi_dependencies()" % name)

    # buildifier: disable=print
    print("dumb_pypi: %s is not downloadable here; using %s" % (name, source))

_bazel_repository = repository_rule(
    implementation = _bazel_repository_impl,
    doc = "One of Bazel 4.x's own repositories: its usual download, else Debian's copy.",
    attrs = {"repository": attr.string(mandatory = True, values = sorted(_BAZEL4_REPOSITORIES))},
    environ = [_DEBIAN_BAZEL_ENV],
)

_VERSION_SCRIPT = "import sys; print('%d.%d' % sys.version_info[:2])"

def _label_text(label):
    # The main repository's labels print as "//pkg:x": in another repository's
    # BUILD file that would mean that repository.
    text = str(label)
    return "@" + text if text.startswith("//") else text

def _system_python_impl(rctx):
    path = rctx.attr.interpreter_path
    version = rctx.attr.python_version
    error = ""
    if not version:
        found = rctx.execute([path, "-I", "-c", _VERSION_SCRIPT], timeout = 60) if rctx.path(path).exists else None
        if found and found.return_code == 0:
            version = found.stdout.strip()
        else:
            error = ("no Python ran at %s when @%s was set up; pass python_version (and interpreter_path) " +
                     "to dumb_pypi_dependencies(), or register a Python toolchain of your own") % (path, rctx.name)
    rctx.file("WORKSPACE", "workspace(name = %r)\n" % rctx.name)
    rctx.file("BUILD", "\n".join([
        "# Generated by dumb_pypi_dependencies(): the Python dumb-pypi actions run, with its version.",
        "load(%r, %r)" % (_label_text(Label("//rules/private:python_toolchain.bzl")), "python_version_toolchain"),
        "load(%r, %r)" % ("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair"),
        "",
        "py_runtime(name = \"runtime\", interpreter_path = %r, python_version = \"PY3\")" % path,
        "",
        "py_runtime_pair(name = \"runtime_pair\", py3_runtime = \":runtime\")",
        "",
        "python_version_toolchain(name = \"versioned\", runtime_pair = \":runtime_pair\", python_version = %r, error = %r)" % (version, error),
        "",
        "toolchain(",
        "    name = \"toolchain\",",
        "    toolchain = \":versioned\",",
        "    toolchain_type = \"@bazel_tools//tools/python:toolchain_type\",",
        "    visibility = [\"//visibility:public\"],",
        ")",
        "",
    ]))

system_python = repository_rule(
    implementation = _system_python_impl,
    doc = "A Python toolchain for an interpreter path, with its version (given, or asked of the interpreter).",
    attrs = {
        "interpreter_path": attr.string(mandatory = True),
        "python_version": attr.string(),
    },
    # Asks the interpreter again after every restart of the Bazel server: a
    # Python upgraded in place is noticed (and actions check it anyway).
    local = True,
)

# buildifier: disable=unnamed-macro
def dumb_pypi_workspace_dependencies(python_interpreter_path, python_version, register_python_toolchain):
    """Declares the repositories of `dumb_pypi_dependencies()`.

    Args:
      python_interpreter_path: see rules/repositories.bzl.
      python_version: see rules/repositories.bzl.
      register_python_toolchain: see rules/repositories.bzl.
    """
    declare_pinned_deps(skip = [name for name in PINNED_REPOSITORIES if native.existing_rule(name)])

    # Debian's Bazel 4.2.3 reports no version at all ("no_version" build).
    if native.bazel_version.startswith("4.") or not native.bazel_version:
        for name in sorted(_BAZEL4_REPOSITORIES):
            if not native.existing_rule(name):
                _bazel_repository(name = name, repository = name)
    if not native.existing_rule("dumb_pypi_python"):
        system_python(
            name = "dumb_pypi_python",
            interpreter_path = python_interpreter_path,
            python_version = python_version,
        )
    if register_python_toolchain:
        native.register_toolchains("@dumb_pypi_python//:toolchain")
