"""A tar.gz of a tree whose bytes depend only on the files in it.

Entries are sorted, owners are 0/0 with no names, modes are 0644/0755, every
mtime is the same fixed time, and the gzip header carries no name and mtime 0.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dumb_pypi.output.files import replacing

if TYPE_CHECKING:
    import tarfile

__all__ = ["DEFAULT_MTIME", "write_tarball"]

DEFAULT_MTIME = 946684800  # 2000-01-01T00:00:00Z; some tools warn on 1970


def _info(name: str, *, directory: bool, size: int = 0, mtime: int) -> tarfile.TarInfo:
    import tarfile

    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_tarball(root: str, paths: Iterable[str], destination: str, *, mtime: int = DEFAULT_MTIME) -> None:
    """Write `paths` (files relative to `root`, '/'-separated) and their
    directories to `destination` as a deterministic tar.gz."""
    # Imported here: every build imports this module, few write a tarball.
    import gzip
    import tarfile

    entries: dict[tuple[str, ...], bool] = {}
    for path in paths:
        parts = tuple(path.split("/"))
        entries[parts] = False
        for end in range(1, len(parts)):
            entries.setdefault(parts[:end], True)
    with (
        replacing(destination) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as archive,
    ):
        for parts in sorted(entries):
            name = "/".join(parts)
            if entries[parts]:
                archive.addfile(_info(name + "/", directory=True, mtime=mtime))
                continue
            with open(os.path.join(root, *parts), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                archive.addfile(_info(name, directory=False, size=size, mtime=mtime), f)
