"""Providers of the dumb-pypi rules."""

PY_DIST_INFO_DOC = "One distribution file (wheel or sdist) ready for an index, with its dumb-pypi record."

PY_DIST_INFO_FIELDS = {
    "file": "File: the wheel or sdist, under its real filename.",
    "record": "File: the record JSON `dumb-pypi record` wrote for `file` (one cached action per file).",
    "origin": "string: the label that provided the file; indexes name it in error messages.",
}

PyDistInfo = provider(doc = PY_DIST_INFO_DOC, fields = PY_DIST_INFO_FIELDS)

PYPI_INDEX_INFO_DOC = "A built static index: the web root as a directory and as a tarball."

PYPI_INDEX_INFO_FIELDS = {
    "tree": "File (directory): the web root; the index is at `simple/`.",
    "tarball": "File: the same tree as a deterministic `.tar.gz` whose root is the web root.",
    "manifest": "File: `manifest.json` of the tree (every path with sha256 and size).",
    "root_digest": "File: one line, `sha256:<hex>`, the manifest's root digest.",
    "dists": "depset of PyDistInfo: every distribution in the index.",
}

PypiIndexInfo = provider(doc = PYPI_INDEX_INFO_DOC, fields = PYPI_INDEX_INFO_FIELDS)
