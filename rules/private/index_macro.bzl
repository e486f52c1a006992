"""The `pypi_index` macro: the index rule plus the targets beside it.

A file of its own because the index rule's kind is the name it has where
it is defined (`pypi_index`, in index.bzl), and the macro has that name too.
"""

load(":command.bzl", "dumb_pypi_deploy", "dumb_pypi_tarball")
load(":index.bzl", _pypi_index_rule = "pypi_index")

def pypi_index(name, **kwargs):
    """Declares `name` (kind `pypi_index`), `name.deploy` and `name.tarball`.

    Args:
      name: target name; outputs are `<name>/`, `<name>.tar.gz`,
        `<name>.manifest.json` and `<name>.root_digest`.
      **kwargs: the attributes of the `pypi_index` rule plus the common ones
        (visibility, tags, ...).
    """
    _pypi_index_rule(name = name, **kwargs)
    common = {
        "index": name,
        "tags": kwargs.get("tags"),
        "testonly": kwargs.get("testonly"),
        "visibility": kwargs.get("visibility"),
    }

    # `bazel run //:<name>.deploy -- DEST` runs `dumb-pypi deploy <name>.tar.gz DEST`.
    dumb_pypi_deploy(name = name + ".deploy", **common)

    # `//:<name>.tarball`: the tarball alone, as a label.
    dumb_pypi_tarball(name = name + ".tarball", **common)
