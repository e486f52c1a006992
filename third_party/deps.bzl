"""Pinned runtime dependencies of the dumb_pypi generator.

The generator runs from these wheels (packaging: its only dependency) inside
Bazel actions; the same wheels go into the example index so that
`pip install dumb-pypi` from it needs nothing else. Every file is pinned by
sha256 and comes from the PyPI file host.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_file")

_HOST = "https://files.pythonhosted.org/packages/"

# repository name -> (path under the file host, sha256). The filename is the
# last path segment; it is kept as the downloaded name because the index
# publishes files under their own names.
DUMB_PYPI_PINS = {
    "dumb_pypi_packaging": (
        "20/12/38679034af332785aac8774540895e234f4d07f7545804097de4b666afd8/packaging-25.0-py3-none-any.whl",
        "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484",
    ),
}

def declare_pinned_wheels(skip = []):
    """Declares one http_file per pin, except those named in `skip`."""
    for name, (path, sha256) in DUMB_PYPI_PINS.items():
        if name in skip:
            continue
        http_file(
            name = name,
            urls = [_HOST + path],
            sha256 = sha256,
            downloaded_file_path = path.rsplit("/", 1)[-1],
        )

def dumb_pypi_dependencies():
    """Declares the pinned wheels the generator needs (WORKSPACE users).

    Existing repositories of the same name are kept, so a monorepo can
    substitute its own mirror.
    """
    declare_pinned_wheels(skip = [name for name in DUMB_PYPI_PINS if native.existing_rule(name)])
