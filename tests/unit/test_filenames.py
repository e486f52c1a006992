"""Filename parsing: hand-picked legacy formats, and the whole 71k real-PyPI list."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from dumb_pypi.errors import InvalidFilename
from dumb_pypi.records import record_from_filename
from dumb_pypi.records.filenames import canonical_name, parse_filename


@pytest.mark.parametrize(("filename", "name", "version", "packagetype"), [
    ("greet-1.2.0-py3-none-any.whl", "greet", "1.2.0", "bdist_wheel"),
    ("greet-1.2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "greet", "1.2.0", "bdist_wheel"),
    ("Foo.Bar_baz-1.0.tar.gz", "Foo.Bar_baz", "1.0", "sdist"),
    ("foo-2to3-1.0.tar.gz", "foo-2to3", "1.0", "sdist"),
    ("Django-1.0.ZIP", "Django", "1.0", "sdist"),
    ("pywin32-214.win32-py2.6.exe", "pywin32", "214", "bdist_wininst"),
    ("numpy-1.3.0.win-amd64-py2.6.msi", "numpy", "1.3.0", "bdist_msi"),
    ("foo-1.0.linux-x86_64.tar.gz", "foo", "1.0", "bdist_dumb"),
    ("simplejson-2.0.9-py2.6-linux-x86_64.egg", "simplejson", "2.0.9", "bdist_egg"),
    ("foo-1.0-1.noarch.rpm", "foo", "1.0", "bdist_rpm"),
    ("foo-1.0-py2.7-macosx-10.6-intel.dmg", "foo", "1.0", "bdist_dmg"),
    ("nodash.tar.gz", "nodash", None, "sdist"),
    # PEP 440 allows a leading "v"; 1.15 reads this one right.
    ("imagemounter-v1.4.0b-1.tar.gz", "imagemounter", "v1.4.0b-1", "sdist"),
])
def test_parse_filename(filename: str, name: str, version: str | None, packagetype: str) -> None:
    assert parse_filename(filename) == (name, version, packagetype)


@pytest.mark.parametrize("filename", ["-1.0.tar.gz", "readme.txt", "x.whl", "...-1.0.zip", "<b>-1.0.tar.gz",
                                      "é-1.0.tar.gz", "a" * 201 + "-1.0.tar.gz"])
def test_unusable_names_are_refused(filename: str) -> None:
    with pytest.raises(InvalidFilename):
        record_from_filename(filename)


@pytest.mark.parametrize("filename", ["../x-1.0.tar.gz", "/abs/x-1.0.tar.gz", "x\\y-1.0.tar.gz", "x-1.0\n.tar.gz",
                                      "x-1.0\x00.tar.gz", "..", "", "x" * 250 + "-1.0.tar.gz"])
def test_unsafe_filenames_are_refused(filename: str) -> None:
    with pytest.raises(InvalidFilename):
        record_from_filename(filename)


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("Foo.Bar_baz", "foo-bar-baz"), ("FOO__bar", "foo-bar"), ("a-_.b", "a-b"), ("nicolas nester", "nicolas-nester")])
def test_canonical_name(spelling: str, canonical: str) -> None:
    assert canonical_name(spelling) == canonical


def test_whole_list_every_file_with_a_name_is_indexed(huge_list: list[str]) -> None:
    refused = []
    for filename in huge_list:
        try:
            record = record_from_filename(filename)
        except InvalidFilename:
            refused.append(filename)
            continue
        # The name is read from the start of the filename, separators aside.
        spelled = re.sub(r"[-_.\s]+", "-", filename.lower())
        assert spelled.startswith(record.name), filename
        assert record.version is None or record.version in filename, filename
    # Only a filename with nothing before its version has no project to go in.
    assert refused == [f for f in huge_list if f.startswith("-")]
    assert len(refused) < 5


def test_whole_list_wheels_agree_with_packaging(huge_list: list[str]) -> None:
    checked = 0
    for filename in huge_list:
        if not filename.endswith(".whl"):
            continue
        try:
            name, version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue  # packaging refuses it; we index it by name anyway (checked above)
        record = record_from_filename(filename)
        assert (record.name, Version(record.version or "")) == (canonicalize_name(name), version), filename
        checked += 1
    assert checked > 1000


def test_whole_list_sdists_agree_with_packaging(huge_list: list[str]) -> None:
    checked = 0
    for filename in huge_list:
        if not filename.endswith((".tar.gz", ".zip")):
            continue
        try:
            name, version = parse_sdist_filename(filename)
        except InvalidSdistFilename:
            continue
        # packaging splits at the last dash; when the name it finds contains a
        # "-<digit>" part ("amp-player-0.1.17-3"), the split is ambiguous and
        # we keep the full version instead. Compare the unambiguous ones.
        if re.search(r"-\d", name) or not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name.endswith("-"):
            continue
        record = record_from_filename(filename)
        assert record.name == canonicalize_name(name), filename
        assert record.version is not None and Version(record.version) == version, filename
        checked += 1
    assert checked > 10000


@pytest.fixture(scope="module")
def reference_names(huge_list: list[str], tmp_path_factory: pytest.TempPathFactory,
                    reference_venv: Path) -> dict[str, str | None]:
    """dumb-pypi 1.15's project name for each filename (None: 1.15 drops it)."""
    reference_python = reference_venv / "bin" / "python"
    script = ("import json, sys\nfrom dumb_pypi.main import Package\nout = {}\n"
              "for line in sys.stdin.read().splitlines():\n"
              "    try:\n        out[line] = Package.create(filename=line).name\n"
              "    except (ValueError, AssertionError):\n        out[line] = None\n"
              "json.dump(out, sys.stdout)\n")
    result = subprocess.run([str(reference_python), "-c", script], input="\n".join(huge_list), capture_output=True,
                            text=True, check=True, cwd=tmp_path_factory.mktemp("ref"))
    names: dict[str, str | None] = json.loads(result.stdout)
    return names


def test_whole_list_indexes_everything_reference_indexes(reference_names: dict[str, str | None]) -> None:
    missing = []
    for filename, name in reference_names.items():
        if name is None:
            continue
        try:
            record_from_filename(filename)
        except InvalidFilename:
            missing.append(filename)
    assert missing == []
    assert sum(name is None for name in reference_names.values()) > 1000  # 1.15 drops many; we must not


# The files of the real list that land under another simple/<name>/ than in
# dumb-pypi 1.15: intentional, and documented in README (migration). All of
# them are files where 1.15 took (part of) the version into the project name
# ("pypops-20141113-r1.tar.gz" was project pypops-20141113-r1; here it is
# pypops, version 20141113-r1; "ddlib-2013-11-12.tar.gz" is ddlib-2013 from
# the filename alone). Any other file moving is a regression.
MOVED_FROM_1_15 = {
    "cv2-wrapper--0.1.zip",
    *(f"ddlib-{date}.tar.gz" for date in (
        "2013-02-18", "2013-02-19", "2013-02-25", "2013-02-26", "2013-02-27", "2013-02-28", "2013-04-25",
        "2013-04-26", "2013-06-26", "2013-07-02", "2013-07-03", "2013-07-04", "2013-07-05", "2013-10-04",
        "2013-10-31", "2013-11-01", "2013-11-02", "2013-11-04", "2013-11-07", "2013-11-08", "2013-11-12",
        "2013-11-13", "2013-11-14", "2014-01-26", "2014-05-08")),
    *(f"libolecf-python-{date}.tar.gz" for date in (
        "20150823", "20151205", "20160109", "20160423", "20160814", "20161113", "20170129")),
    "py-pretty-1.zip",
    *(f"pypops-{version}.tar.gz" for version in (
        "201408-r2", "201408-r3", "201408-r4", "201408-r5", "201408-r6",
        "20141113-r1", "20141113-r2", "20141113-r3", "20141113-r4", "20141113-r5")),
}


def test_whole_list_same_simple_paths_as_reference(reference_names: dict[str, str | None]) -> None:
    moved = {filename for filename, name in reference_names.items()
             if name is not None and record_from_filename(filename).name != name}
    assert len(MOVED_FROM_1_15) == 44
    assert moved == MOVED_FROM_1_15
