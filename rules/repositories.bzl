"""WORKSPACE helpers: `dumb_pypi_dependencies()` declares the pinned wheels
the generator imports (see third_party/deps.bzl). Bzlmod users get them from
MODULE.bazel instead."""

load("//third_party:deps.bzl", _dumb_pypi_dependencies = "dumb_pypi_dependencies")

dumb_pypi_dependencies = _dumb_pypi_dependencies
