"""Small indexes of fixture wheels, built the way the Bazel and Pants rules
build theirs: one `dumb-pypi record` per wheel, then one index step with
--record-list and --pool. The serve, deploy and client-matrix tests serve them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from support.cli import run_cli
from support.distributions import make_wheel

__all__ = ["MATRIX_DISTS", "Dist", "Index", "build_index"]


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    yanked: str | None = None  # the yank reason ("" for none)
    code: str | None = None  # the module's source, to change a wheel's bytes


# The projects every client case needs (see tests/clients/test_matrix.py).
MATRIX_DISTS = (
    Dist("app", "1.0", requires_dist=("Dep.Name_Pkg>=1.0",)),
    Dist("Dep.Name_Pkg", "1.0"),
    Dist("yanky", "1.0"),
    Dist("yanky", "2.0", yanked="broken on purpose"),
    Dist("pyreq", "1.0", requires_python=">=3.8"),
    Dist("pyreq", "2.0", requires_python=">=3.99"),
    Dist("tampered", "1.0"),
)


@dataclass
class Index:
    tree: Path
    tarball: Path
    wheels: dict[str, Path] = field(default_factory=dict)  # filename -> source wheel


def build_index(
    workdir: Path,
    dists: Sequence[Dist] = MATRIX_DISTS,
    upload_time: int = 1700000000,
    extra_wheels: Sequence[Path] = (),
) -> Index:
    """Wheels -> one record each (`dumb-pypi record`) -> `dumb-pypi --record-list ... --pool`.

    `extra_wheels` are real files indexed as they are (e.g. pip for pex).
    """
    wheels_dir = workdir / "wheels"
    records_dir = workdir / "records"
    records_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    index = Index(tree=workdir / "tree", tarball=workdir / "tree.tar.gz")
    wheels_dir.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        # Lowercase file names; METADATA keeps the spelling as given ("Dep.Name_Pkg").
        file_name = re.sub(r"[-_.]+", "_", dist.name).lower()
        wheel = Path(
            make_wheel(
                str(wheels_dir),
                file_name,
                dist.version,
                requires_dist=dist.requires_dist,
                requires_python=dist.requires_python,
                summary=f"{dist.name} test fixture",
                metadata_name=dist.name,
                modules=None if dist.code is None else {f"{file_name}.py": dist.code},
            )
        )
        yanked = [] if dist.yanked is None else ["--yanked-reason", dist.yanked]
        entries.append(_record(wheel, records_dir, upload_time, yanked))
        index.wheels[wheel.name] = wheel
    for wheel in extra_wheels:
        entries.append(_record(wheel, records_dir, upload_time, []))
        index.wheels[wheel.name] = wheel
    listing = workdir / "records.json"
    listing.write_text(json.dumps(entries, indent=1))
    run_cli(
        "--record-list", str(listing), "--pool", "--output-dir", str(index.tree),
        "--tarball", str(index.tarball), "--strict",
    )
    return index


# `dumb-pypi record` is byte-reproducible, and so are the fixture wheels: one
# run per distinct (bytes, flags) is enough for the whole session.
_RECORDS: dict[tuple[str, str, int, tuple[str, ...]], bytes] = {}


def _record(wheel: Path, records_dir: Path, upload_time: int, extra: list[str]) -> dict[str, str]:
    record = records_dir / (wheel.name + ".json")
    key = (wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest(), upload_time, tuple(extra))
    if key not in _RECORDS:
        run_cli("record", str(wheel), "--output", str(record), "--upload-time", str(upload_time), *extra)
        _RECORDS[key] = record.read_bytes()
    else:
        record.write_bytes(_RECORDS[key])
    return {"record": str(record), "file": str(wheel), "origin": f"fixture {wheel.name}"}
