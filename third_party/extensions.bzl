"""Module extension that declares the pinned generator dependencies for Bzlmod users."""

load(":deps.bzl", "declare_pinned_deps")

def _deps_impl(_module_ctx):
    # No native.existing_rule in module extensions: declare every pin.
    declare_pinned_deps()

deps = module_extension(
    implementation = _deps_impl,
    doc = "Declares the pinned generator dependencies of deps.bzl (wheels, MarkupSafe's sources).",
)
