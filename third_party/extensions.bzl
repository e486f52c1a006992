"""Module extension that declares the pinned wheels for Bzlmod users."""

load(":deps.bzl", "dumb_pypi_dependencies")

def _deps_impl(_module_ctx):
    dumb_pypi_dependencies()

deps = module_extension(
    implementation = _deps_impl,
    doc = "Declares the pinned generator dependencies of deps.bzl.",
)
