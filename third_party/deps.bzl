"""Pinned runtime dependencies of the dumb_pypi generator.

The generator (jinja2, markupsafe, packaging) runs from these wheels inside
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
    "dumb_pypi_jinja2": (
        "62/a1/3d680cbfd5f4b8f15abc1d571870c5fc3e594bb582bc3b64ea099db13e56/jinja2-3.1.6-py3-none-any.whl",
        "85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67",
    ),
    "dumb_pypi_packaging": (
        "20/12/38679034af332785aac8774540895e234f4d07f7545804097de4b666afd8/packaging-25.0-py3-none-any.whl",
        "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484",
    ),
    # MarkupSafe ships no pure wheel. Its C speedups cannot load from a zip on
    # PYTHONPATH, so it falls back to pure Python there; one wheel per CPython
    # lets pip install it from the example index on 3.9 to 3.13.
    "dumb_pypi_markupsafe_cp39": (
        "53/8f/f339c98a178f3c1e545622206b40986a4c3307fe39f70ccd3d9df9a9e425/MarkupSafe-3.0.2-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "88b49a3b9ff31e19998750c38e030fc7bb937398b1f78cfa599aaef92d693144",
    ),
    "dumb_pypi_markupsafe_cp310": (
        "22/35/137da042dfb4720b638d2937c38a9c2df83fe32d20e8c8f3185dbfef05f7/MarkupSafe-3.0.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "bbcb445fa71794da8f178f0f6d66789a28d7319071af7a496d4d507ed566270d",
    ),
    "dumb_pypi_markupsafe_cp311": (
        "f1/a4/aefb044a2cd8d7334c8a47d3fb2c9f328ac48cb349468cc31c20b539305f/MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "a123e330ef0853c6e822384873bef7507557d8e4a082961e1defa947aa59ba84",
    ),
    "dumb_pypi_markupsafe_cp312": (
        "f3/f0/89e7aadfb3749d0f52234a0c8c7867877876e0a20b60e2188e9850794c17/MarkupSafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "e17c96c14e19278594aa4841ec148115f9c7615a47382ecb6b82bd8fea3ab0c8",
    ),
    "dumb_pypi_markupsafe_cp313": (
        "0c/91/96cf928db8236f1bfab6ce15ad070dfdd02ed88261c2afafd4b43575e9e9/MarkupSafe-3.0.2-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "15ab75ef81add55874e7ab7055e9c397312385bd9ced94920f2802310c930396",
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
