"""Module extension that declares the pinned dependencies (the generator's, the `.deploy` S3 client's) for Bzlmod users."""

load(":deps.bzl", "declare_pinned_deps")

def _deps_impl(_module_ctx):
    # No native.existing_rule in module extensions: declare every pin.
    declare_pinned_deps()

deps = module_extension(
    implementation = _deps_impl,
    doc = "Declares the pinned dependencies of deps.bzl: the generator's (wheels, MarkupSafe's sources) and the `.deploy` S3 client's (extracted wheels).",
)
