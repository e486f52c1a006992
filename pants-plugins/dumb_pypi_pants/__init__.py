"""Pants backend for dumb-pypi: `pants package` a `pypi_index` target into a
static, content-addressed PyPI index tree, its tar.gz and its manifest."""
