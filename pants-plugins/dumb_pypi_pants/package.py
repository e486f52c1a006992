"""`pants package` for `pypi_index`: one `dumb-pypi record` process per
distribution file (cached per file), then one index process over the records."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pants.backend.python.util_rules.pex import VenvPexProcess
from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    DigestSubset,
    FileContent,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from dumb_pypi_pants.collect import DistFiles, DistFilesRequest
from dumb_pypi_pants.errors import DumbPypiFailed
from dumb_pypi_pants.target_types import (
    PypiIndexDependenciesField,
    PypiIndexExtraArgsField,
    PypiIndexOutputPathField,
    PypiIndexPackagesUrlField,
    PypiIndexTitleField,
)
from dumb_pypi_pants.tool import DumbPypiTool, DumbPypiToolRequest

# Flags the backend owns; setting them through `extra_args` would break the layout.
_RESERVED_FLAGS = (
    "--output-dir", "--record-list", "--pool", "--packages-url", "--tarball", "--manifest", "--root-digest",
)


@dataclass(frozen=True)
class PypiIndexFieldSet(PackageFieldSet):
    required_fields = (PypiIndexDependenciesField,)

    dependencies: PypiIndexDependenciesField
    title: PypiIndexTitleField
    packages_url: PypiIndexPackagesUrlField
    extra_args: PypiIndexExtraArgsField
    output_path: PypiIndexOutputPathField


@dataclass(frozen=True)
class RecordRequest:
    """Inspect one file; `digest` holds it alone at path `filename`. No origin
    here, so the same file reached from two targets is inspected once."""

    filename: str
    digest: Digest
    record_args: tuple[str, ...] = ()  # --yanked-reason etc. of a `pypi_dist`


@dataclass(frozen=True)
class DistRecord:
    filename: str
    exit_code: int
    stderr: str
    digest: Digest  # `<filename>.record.json` alone, when exit_code == 0


@rule(desc="Inspect a distribution file with dumb-pypi", level=LogLevel.DEBUG)
async def record_dist_file(request: RecordRequest) -> DistRecord:
    tool = await Get(DumbPypiTool, DumbPypiToolRequest())
    output = f"{request.filename}.record.json"
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            tool.pex,
            argv=("record", request.filename, "--output", output, *request.record_args),
            input_digest=request.digest,
            output_files=(output,),
            description=f"Inspect {request.filename}",
            level=LogLevel.DEBUG,
        ),
    )
    return DistRecord(
        request.filename,
        result.exit_code,
        result.stderr.decode("utf-8", "replace").strip(),
        result.output_digest,
    )


def check_extra_args(address_spec: str, extra_args: tuple[str, ...]) -> None:
    for arg in extra_args:
        flag = arg.split("=", 1)[0]
        if flag in _RESERVED_FLAGS:
            raise DumbPypiFailed(
                f"pypi_index {address_spec}: `extra_args` may not set {flag}: "
                f"the backend sets {', '.join(_RESERVED_FLAGS)} itself"
            )


def record_list_json(dist_files: DistFiles, pooled: bool) -> str:
    """The `--record-list` file; paths are the sandbox layout the index step sees."""
    entries = [
        {
            "record": f"records/{f.filename}.record.json",
            "file": f"files/{f.filename}" if pooled else None,
            "origin": f.origin,
        }
        for f in dist_files
    ]
    return json.dumps(entries, indent=1, sort_keys=True) + "\n"


def index_argv(out: str, title: str | None, packages_url: str | None, extra_args: tuple[str, ...]) -> list[str]:
    """The index step's flags: the same the Bazel rule passes, so both write the same tree."""
    return [
        "--record-list",
        "record-list.json",
        *(["--packages-url", packages_url] if packages_url else ["--pool"]),
        "--output-dir",
        out,
        "--tarball",
        f"{out}.tar.gz",
        "--manifest",
        f"{out}.manifest.json",
        "--root-digest",
        f"{out}.root_digest",
        # Refuse rather than skip a bad input; no wall clock in the output.
        "--strict",
        "--no-generate-timestamp",
        *(["--title", title] if title else []),
        *extra_args,
    ]


@rule(desc="Build a PyPI index with dumb-pypi")
async def package_pypi_index(field_set: PypiIndexFieldSet) -> BuiltPackage:
    spec = field_set.address.spec
    extra_args = tuple(field_set.extra_args.value or ())
    check_extra_args(spec, extra_args)
    dist_files = await Get(DistFiles, DistFilesRequest(field_set.address, field_set.dependencies))
    records = await MultiGet(Get(DistRecord, RecordRequest(f.filename, f.digest, f.record_args)) for f in dist_files)
    tool = await Get(DumbPypiTool, DumbPypiToolRequest())
    refused = [(f, r) for f, r in zip(dist_files, records) if r.exit_code != 0]
    if refused:
        raise DumbPypiFailed(
            f"pypi_index {spec}: dumb-pypi refused these inputs:\n"
            + "\n".join(f"  * {f.filename} from {f.origin}: {r.stderr}" for f, r in refused)
        )

    packages_url = field_set.packages_url.value
    pooled = not packages_url
    record_list_digest, records_digest = await MultiGet(
        Get(Digest, CreateDigest([FileContent("record-list.json", record_list_json(dist_files, pooled).encode())])),
        Get(Digest, MergeDigests(r.digest for r in records)),
    )
    inputs = [record_list_digest, await Get(Digest, AddPrefix(records_digest, "records"))]
    if pooled:
        # Linked files (packages_url) stay out of the sandbox, as in the Bazel rule.
        files_digest = await Get(Digest, MergeDigests(f.digest for f in dist_files))
        inputs.append(await Get(Digest, AddPrefix(files_digest, "files")))
    input_digest = await Get(Digest, MergeDigests(inputs))

    out = field_set.output_path.value_or_default(file_ending=None)
    argv = index_argv(f"out/{out}", field_set.title.value, packages_url, extra_args)
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            tool.pex,
            argv=argv,
            input_digest=input_digest,
            output_directories=(f"out/{out}",),
            output_files=(f"out/{out}.tar.gz", f"out/{out}.manifest.json", f"out/{out}.root_digest"),
            description=f"Build PyPI index {spec} from {len(dist_files)} files",
            level=LogLevel.DEBUG,
        ),
    )
    if result.exit_code != 0:
        raise DumbPypiFailed(
            f"pypi_index {spec}: dumb-pypi failed (exit {result.exit_code}):\n"
            + result.stderr.decode("utf-8", "replace").strip()
        )
    digest = await Get(Digest, RemovePrefix(result.output_digest, "out"))
    manifest = await Get(DigestContents, DigestSubset(digest, PathGlobs([f"{out}.manifest.json"])))
    summary = json.loads(manifest[0].content)
    return BuiltPackage(
        digest,
        (
            BuiltPackageArtifact(
                f"{out}/",
                (
                    f"{len(dist_files)} distribution files, {len(summary['files'])} paths, root {summary['root_digest']}",
                ),
            ),
            BuiltPackageArtifact(f"{out}.tar.gz"),
            BuiltPackageArtifact(f"{out}.manifest.json"),
            BuiltPackageArtifact(f"{out}.root_digest"),
        ),
    )


def rules() -> Iterable[Rule | UnionRule]:
    return [*collect_rules(), UnionRule(PackageFieldSet, PypiIndexFieldSet)]
