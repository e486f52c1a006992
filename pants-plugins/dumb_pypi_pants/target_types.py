"""The `pypi_index` target and its fields."""

from __future__ import annotations

from pants.core.goals.package import OutputPathField
from pants.engine.addresses import Address
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    IntField,
    InvalidFieldException,
    SingleSourceField,
    StringField,
    StringSequenceField,
    Target,
)
from pants.util.strutil import softwrap


class PypiIndexDependenciesField(Dependencies):
    help = softwrap(
        """
        The distributions to publish: `python_distribution` targets (their wheels
        and sdists are built), `pypi_dist` targets, and `file`/`resource`/
        `files`/`resources` targets whose sources are prebuilt wheel or sdist
        files. Any other target is an error.
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
        `--manifest` and `--root-digest` are set by the backend.
        """
    )


class PypiIndexOutputPathField(OutputPathField):
    help = softwrap(
        """
        Where the index lands under `dist/`: the tree at `<output_path>/`, the
        tarball at `<output_path>.tar.gz` and the manifest at
        `<output_path>.manifest.json` and `<output_path>.root_digest`. Defaults to `path.to.dir/target_name`.
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


# --- pypi_dist: one prebuilt file with facts for the index (as the Bazel rule's) ---


class PypiDistSourceField(SingleSourceField):
    help = "The prebuilt wheel or sdist."


class PypiDistYankedReasonField(StringField):
    alias = "yanked_reason"
    default = None
    help = "Mark the file yanked (PEP 592) with this reason."


class PypiDistUploadTimeField(IntField):
    alias = "upload_time"
    default = None
    help = softwrap(
        """
        Upload time to publish, in seconds since the epoch (PEP 700
        `upload-time`). Never the build clock, so the index stays reproducible.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: int | None, address: Address) -> int | None:
        value = super().compute_value(raw_value, address)
        if value is not None and value < 0:
            raise InvalidFieldException(
                f"The {cls.alias!r} field in target {address} must be seconds since the epoch, "
                f"0 or more, but was {value}."
            )
        return value


class PypiDistUploadedByField(StringField):
    alias = "uploaded_by"
    default = None
    help = "Who uploaded the file, shown in the web UI."


class PypiDistTarget(Target):
    alias = "pypi_dist"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        PypiDistSourceField,
        PypiDistYankedReasonField,
        PypiDistUploadTimeField,
        PypiDistUploadedByField,
    )
    help = "A prebuilt wheel or sdist, with facts about it for a `pypi_index` (yanked, upload time, uploader)."


def record_args(tgt: Target) -> tuple[str, ...]:
    """The `dumb-pypi record` flags a target's index facts call for."""
    if not isinstance(tgt, PypiDistTarget):
        return ()
    yanked_reason = tgt[PypiDistYankedReasonField].value
    upload_time = tgt[PypiDistUploadTimeField].value
    uploaded_by = tgt[PypiDistUploadedByField].value
    args: list[str] = []
    if yanked_reason is not None:
        args += ["--yanked-reason", yanked_reason]
    if upload_time is not None:
        args += ["--upload-time", str(upload_time)]
    if uploaded_by is not None:
        args += ["--uploaded-by", uploaded_by]
    return tuple(args)
