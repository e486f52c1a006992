"""Reading inputs into Records: package lists and JSON lines (lists.py), real
files (files.py), and the record lists of the build systems (record_lists.py).

An input that cannot be indexed is passed to `refuse(origin, reason)` and the
rest go on; the caller decides whether a refusal is fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dumb_pypi.inputs.refusals import Refuse, Warn
    from dumb_pypi.records import Record

__all__ = ["Sources", "read_records"]


class Sources(NamedTuple):
    """What the command line names as the index's inputs."""

    package_list: str | None = None  # one filename per line ("-": standard input)
    package_list_json: str | None = None  # one JSON object per line
    package_dirs: Sequence[str] = ()  # every distribution file in these
    paths: Sequence[str] = ()  # distribution files
    record_lists: Sequence[str] = ()  # JSON lists of records (Bazel, Pants)

    def lists(self) -> list[tuple[str, bool]]:
        """(path, whether JSON lines) of the package lists."""
        found = [(self.package_list, False), (self.package_list_json, True)]
        return [(path, json_lines) for path, json_lines in found if path is not None]

    def only_list(self) -> tuple[str, bool] | None:
        """The package list, when it is the only input."""
        lists = self.lists()
        if len(lists) == 1 and not (self.package_dirs or self.paths or self.record_lists):
            return lists[0]
        return None

    def empty(self) -> bool:
        return not (self.lists() or self.package_dirs or self.paths or self.record_lists)


def read_records(sources: Sources, refuse: Refuse, warn: Warn, texts: Mapping[str, bytes] | None = None) -> list[Record]:
    """Every input's records, in the order given; `texts`: lists already read, by path."""
    from dumb_pypi.inputs.lists import list_lines, parse_lines, read_list
    from dumb_pypi.inputs.record_lists import record_list

    records: list[Record] = []
    for path, json_lines in sources.lists():
        text = (texts or {}).get(path)
        lines = list_lines(read_list(path) if text is None else text)
        records.extend(record for _, record in parse_lines(path, enumerate(lines, 1), refuse, json_lines=json_lines))
    for path in sources.record_lists:
        records.extend(record_list(path, refuse))
    if sources.paths or sources.package_dirs:
        from dumb_pypi.inputs.files import package_files  # zipfile, tarfile, email: not for lists

        records.extend(package_files(list(sources.paths), list(sources.package_dirs), refuse, warn))
    return records
