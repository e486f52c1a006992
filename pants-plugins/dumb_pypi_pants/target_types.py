"""The `pypi_index` target and its fields."""

from __future__ import annotations

from pants.core.goals.package import OutputPathField
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    StringField,
    StringSequenceField,
    Target,
)
from pants.util.strutil import softwrap


class PypiIndexDependenciesField(Dependencies):
    help = softwrap(
        """
        The distributions to publish: `python_distribution` targets (their wheels
        and sdists are built) and `file`/`resource`/`files`/`resources` targets
        whose sources are prebuilt wheel or sdist files. Any other target is an
        error.
        """
    )


class PypiIndexTitleField(StringField):
    alias = "title"
    default = None
    help = "Title of the index's web pages (dumb-pypi's `--title`)."


class PypiIndexPackagesUrlField(StringField):
    alias = "packages_url"
    default = None
    help = softwrap(
        """
        Link the files at this base URL (e.g. a bucket) instead of copying them
        into the tree's content-addressed pool; the files are then not inputs of
        the index step. Same as the Bazel rule's `packages_url`.
        """
    )


class PypiIndexExtraArgsField(StringSequenceField):
    alias = "extra_args"
    default = ()
    help = softwrap(
        """
        Extra `dumb-pypi` flags for the index step, e.g. `["--logo", "URL"]`.
        `--output-dir`, `--record-list`, `--pool`, `--packages-url`, `--tarball`
        and `--manifest` are set by the backend.
        """
    )


class PypiIndexOutputPathField(OutputPathField):
    help = softwrap(
        """
        Where the index lands under `dist/`: the tree at `<output_path>/`, the
        tarball at `<output_path>.tar.gz` and the manifest at
        `<output_path>.manifest.json`. Defaults to `path.to.dir/target_name`.
        """
    )


class PypiIndexTarget(Target):
    alias = "pypi_index"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        PypiIndexDependenciesField,
        PypiIndexTitleField,
        PypiIndexPackagesUrlField,
        PypiIndexExtraArgsField,
        PypiIndexOutputPathField,
    )
    help = softwrap(
        """
        A static PyPI index (PEP 503/691 simple API, legacy JSON, web UI) of the
        wheels and sdists of its dependencies, built by dumb-pypi. `pants package`
        writes a reproducible, content-addressed tree, a deterministic tar.gz of
        it and its manifest.
        """
    )
