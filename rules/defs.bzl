"""Public API of the dumb-pypi Bazel rules.

    load("@dumb_pypi//rules:defs.bzl", "py_wheel_dist", "pypi_dist", "pypi_index")

* `py_wheel_dist`: a hermetic, byte-reproducible pure-Python wheel.
* `pypi_dist`: a prebuilt wheel or sdist with index facts (yanked, upload time).
* `pypi_index`: wheels and sdists -> a static index tree and tarball.
* `record_action`: the per-file `dumb-pypi record` action, for other rules.

See docs/rules.md for every attribute. This file only re-exports.
"""

load("//rules:providers.bzl", _PyDistInfo = "PyDistInfo", _PypiIndexInfo = "PypiIndexInfo")
load("//rules/private:index_macro.bzl", _pypi_index = "pypi_index")
load("//rules/private:record.bzl", _pypi_dist = "pypi_dist", _record_action = "record_action")
load("//rules/private:wheel.bzl", _py_wheel_dist = "py_wheel_dist")

PyDistInfo = _PyDistInfo
PypiIndexInfo = _PypiIndexInfo
py_wheel_dist = _py_wheel_dist
pypi_dist = _pypi_dist
pypi_index = _pypi_index
record_action = _record_action
