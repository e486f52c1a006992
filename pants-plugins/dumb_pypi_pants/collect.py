"""Turn a `pypi_index`'s dependencies into distribution files: build each
`python_distribution`, take prebuilt files as they are, refuse everything else
and refuse two different files under one name."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pants.backend.python.subsystems.setuptools import PythonDistributionFieldSet
from pants.core.goals.package import BuiltPackage, EnvironmentAwarePackageRequest
from pants.core.target_types import FileSourceField, ResourceSourceField
from pants.engine.addresses import Address
from pants.engine.collection import Collection
from pants.engine.fs import CreateDigest, Digest, DigestEntries, FileEntry
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import (
    DependenciesRequest,
    HydratedSources,
    HydrateSourcesRequest,
    SourcesField,
    Target,
    TargetFilesGenerator,
    Targets,
)
from pants.engine.unions import UnionRule
from pants.util.strutil import softwrap

from dumb_pypi_pants.errors import ConflictingFilesError, NotADistributionError
from dumb_pypi_pants.target_types import PypiDistSourceField, PypiIndexDependenciesField, record_args


@dataclass(frozen=True)
class DistFile:
    """One wheel or sdist, alone in `digest` at path `filename`."""

    filename: str
    sha256: str
    digest: Digest
    origin: str
    record_args: tuple[str, ...] = ()  # index facts of a `pypi_dist`


class DistFiles(Collection[DistFile]):
    """Distinct distribution files, sorted by filename."""


@dataclass(frozen=True)
class DistFilesRequest:
    address: Address
    dependencies: PypiIndexDependenciesField


_PREBUILT_SOURCES = (FileSourceField, ResourceSourceField, PypiDistSourceField)


def _is_prebuilt_file(tgt: Target) -> bool:
    return any(tgt.has_field(f) for f in _PREBUILT_SOURCES)


def _why_not(tgt: Target) -> str:
    # Pants keeps a generator that matched no files in place of its (missing) files.
    if isinstance(tgt, TargetFilesGenerator) and any(
        issubclass(f, _PREBUILT_SOURCES) for f in tgt.generated_target_cls.core_fields
    ):
        return f"a `{tgt.alias}` target whose sources match no files"
    return f"a `{tgt.alias}` target"


def _not_a_distribution_message(index: Address, rejected: list[Target]) -> str:
    lines = "\n".join(f"  * {tgt.address.spec}: {_why_not(tgt)}" for tgt in rejected)
    return (
        softwrap(
            f"""
        pypi_index {index.spec}: these dependencies are not distributions:
        only `python_distribution` targets and `file`/`resource` targets holding
        wheels or sdists can go into an index.
        """
        )
        + "\n"
        + lines
    )


def dedupe(index: Address, files: list[DistFile]) -> DistFiles:
    """One file per name; the same name with different content is an error."""
    by_name: dict[str, list[DistFile]] = defaultdict(list)
    for f in files:
        by_name[f.filename].append(f)
    conflicts = []
    kept = []
    for filename in sorted(by_name):
        group = sorted(by_name[filename], key=lambda f: (f.origin, f.sha256))
        if len({f.sha256 for f in group}) > 1:
            found = "\n".join(f"    {f.origin}: sha256={f.sha256}" for f in group)
            conflicts.append(f"  * {filename}:\n{found}")
        elif len({f.record_args for f in group}) > 1:
            found = "\n".join(f"    {f.origin}: {' '.join(f.record_args) or '(no facts)'}" for f in group)
            conflicts.append(f"  * {filename} (same content, different index facts):\n{found}")
        kept.append(group[0])
    if conflicts:
        raise ConflictingFilesError(
            f"pypi_index {index.spec}: two or more inputs have the same filename but "
            "different content or index facts; an index can serve only one file per name:\n" + "\n".join(conflicts)
        )
    return DistFiles(kept)


@rule(desc="Collect the distributions of a pypi_index")
async def collect_dist_files(request: DistFilesRequest) -> DistFiles:
    targets = await Get(Targets, DependenciesRequest(request.dependencies))
    distributions = [t for t in targets if PythonDistributionFieldSet.is_applicable(t)]
    prebuilt = [t for t in targets if not PythonDistributionFieldSet.is_applicable(t) and _is_prebuilt_file(t)]
    rejected = [t for t in targets if t not in distributions and t not in prebuilt]
    if rejected:
        raise NotADistributionError(_not_a_distribution_message(request.address, rejected))

    built = await MultiGet(
        Get(BuiltPackage, EnvironmentAwarePackageRequest(PythonDistributionFieldSet.create(t))) for t in distributions
    )
    hydrated = await MultiGet(
        Get(
            HydratedSources,
            HydrateSourcesRequest(t[SourcesField], for_sources_types=_PREBUILT_SOURCES),
        )
        for t in prebuilt
    )
    origins = [(t.address.spec, ()) for t in distributions] + [(t.address.spec, record_args(t)) for t in prebuilt]
    digests = [b.digest for b in built] + [h.snapshot.digest for h in hydrated]
    entries_per_target = await MultiGet(Get(DigestEntries, Digest, d) for d in digests)
    found = [
        (origin, entry)
        for origin, entries in zip(origins, entries_per_target)
        for entry in entries
        if isinstance(entry, FileEntry)
    ]
    # Each file gets a digest of its own so that its record caches per file.
    single_file_digests = await MultiGet(
        Get(Digest, CreateDigest([FileEntry(posixpath.basename(e.path), e.file_digest)])) for _, e in found
    )
    files = [
        DistFile(posixpath.basename(e.path), e.file_digest.fingerprint, digest, origin, facts)
        for ((origin, facts), e), digest in zip(found, single_file_digests)
    ]
    return dedupe(request.address, files)


def rules() -> Iterable[Rule | UnionRule]:
    return collect_rules()
