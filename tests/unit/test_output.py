"""The manifest format and the tree writer's all-or-nothing new directory."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dumb_pypi.output.manifest import MANIFEST_NAME, chunked_lines, entry_sha256, read_manifest
from dumb_pypi.output.tree import TreeWriter


def test_manifest_round_trip_and_root_digest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {"index.html": b"<html>", 'simple/we"ird é/index.html': b"x", "packages.json": b""}
    writer = TreeWriter(str(out))
    for path, data in files.items():
        writer.write(path, data)
    digest = writer.finish(chunked_lines(writer.files))
    document = json.loads((out / MANIFEST_NAME).read_text())
    assert document["format"] == 1 and document["root_digest"] == digest
    assert document["files"] == {p: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in files.items()}
    lines = "".join(f"{hashlib.sha256(files[p]).hexdigest()} {len(files[p])} {p}\n" for p in sorted(files))
    assert digest == "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
    manifest = read_manifest(str(out))
    assert manifest is not None and {p: entry_sha256(e) for p, e in manifest.items()} == {
        p: hashlib.sha256(d).hexdigest() for p, d in files.items()}


def test_new_directory_appears_only_when_finished(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = TreeWriter(str(out))
    writer.write("simple/index.html", b"x")
    assert not out.exists()
    writer.abandon()
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_update_removes_stale_files_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = TreeWriter(str(out))
    first.write("simple/a/index.html", b"a")
    first.write("simple/b/index.html", b"b")
    first.finish(chunked_lines(first.files))
    (out / "simple" / "b" / "notes.txt").write_text("the user's own file")
    second = TreeWriter(str(out))
    second.write("simple/a/index.html", b"a")
    second.finish(chunked_lines(second.files))
    assert not (out / "simple" / "b" / "index.html").exists()
    assert (out / "simple" / "b" / "notes.txt").read_text() == "the user's own file"
    assert not (out / ".dumb-pypi-tmp").exists()


@pytest.mark.parametrize("content", ["", "{", '{"files": 3}', "[]"])
def test_unreadable_manifest_means_none(tmp_path: Path, content: str) -> None:
    (tmp_path / MANIFEST_NAME).write_text(content)
    assert read_manifest(str(tmp_path)) in (None, {})


def test_manifest_round_trip_with_awkward_paths_and_refusals(tmp_path: Path) -> None:
    """parse_manifest reads write_manifest's lines one at a time; any other
    JSON document of the same format still parses, and a line that is not
    one of ours is refused by number."""
    from dumb_pypi.output.manifest import ManifestError, chunked_lines, make_entry, parse_manifest, write_manifest

    paths = ["a.html", 'q"uote/x', "new\nline/y", "ünï/cödé.json", "tab\there", "z" * 300]
    files = {p: make_entry(hashlib.sha256(p.encode()).digest(), n * 1000) for n, p in enumerate(paths)}
    target = tmp_path / "manifest.json"
    digest = write_manifest(chunked_lines(files), str(target))
    data = target.read_bytes()
    assert parse_manifest(data) == (files, digest)
    # The same document pretty-printed (not our layout): the JSON path, same result.
    assert parse_manifest(json.dumps(json.loads(data), indent=2).encode()) == (files, digest)
    # Empty.
    write_manifest(chunked_lines({}), str(target))
    assert parse_manifest(target.read_bytes())[0] == {}
    # A line with a stray space (still valid JSON) is not ours: refused, naming the line.
    broken = data.replace(b'"a.html":{"sha256"', b'"a.html": {"sha256"')
    with pytest.raises(ManifestError, match="line 2 is not a file's line"):
        parse_manifest(broken)
    # Bytes that disagree with the root digest.
    with pytest.raises(ManifestError, match="does not match its files"):
        parse_manifest(data.replace(b'"size":0}', b'"size":1}'))
