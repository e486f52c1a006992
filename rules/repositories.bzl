"""WORKSPACE setup of the dumb-pypi rules: three lines.

    local_repository(name = "dumb_pypi", path = "...")  # or http_archive
    load("@dumb_pypi//rules:repositories.bzl", "dumb_pypi_dependencies")
    dumb_pypi_dependencies()

Bzlmod users get the same through MODULE.bazel.
"""

load("//rules/private:workspace_deps.bzl", "dumb_pypi_workspace_dependencies")

# buildifier: disable=unnamed-macro
def dumb_pypi_dependencies(
        python_interpreter_path = "/usr/bin/python3",
        python_version = "",
        register_python_toolchain = True):
    """Declares what the rules need that the WORKSPACE has not declared yet.

    * The generator's pinned dependencies: `dumb_pypi_jinja2`,
      `dumb_pypi_packaging` (wheels) and `dumb_pypi_markupsafe` (MarkupSafe's
      pure-Python sources), from the PyPI file host, by sha256.
    * The S3 client of `<index>.deploy`: `dumb_pypi_deploy_*` (obstore per
      platform, botocore and its dependencies; extracted wheels, pinned the
      same way), fetched only when a `.deploy` target is built.
    * `dumb_pypi_python`: a Python toolchain running `python_interpreter_path`
      that declares its version, registered after any toolchain the WORKSPACE
      registered before this call (those win).
    * On Bazel 4.x: `rules_cc`, `rules_java`, `remote_coverage_tools`, fetched
      as Bazel itself would; where that fails (offline) and Debian's Bazel
      packages are installed, from those instead.

    A repository the WORKSPACE already declared (a mirror of a pin, its own
    rules_java) is kept as it is.

    Args:
      python_interpreter_path: the Python 3 actions run, on the machines that
        run them (remote workers included).
      python_version: its version, `3.11` or `3.11.2`; empty: asked of the
        interpreter at that path on this machine. Declare it when actions run
        elsewhere (remote execution): a worker whose interpreter is another
        version then fails each action with one line naming both.
      register_python_toolchain: False to use only the Python toolchains the
        WORKSPACE registers itself (they must declare their version:
        rules/python_toolchain.bzl).
    """
    dumb_pypi_workspace_dependencies(python_interpreter_path, python_version, register_python_toolchain)
