"""Hostile and malformed input: a clear one-line error, never a traceback, never a
file outside the output directory, never unescaped markup in a page."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.distributions import make_wheel

from dumb_pypi import cli
from dumb_pypi.cli import main


def _files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _build(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--output-dir", str(tmp_path / "out"), *args])
    return code, capsys.readouterr().err


HOSTILE_NAMES = ["../x-1.0.tar.gz", "../../etc/passwd-1.0.tar.gz", "/tmp/abs-1.0.tar.gz", "a\\b-1.0.tar.gz",
                 "x" * 300 + "-1.0.tar.gz", "y" * 230 + "-1.0.tar.gz", "-1.0.tar.gz", "<script>-1.0.tar.gz",
                 "..", ".", "ok-1.0\x1b[31m.tar.gz"]


def test_hostile_package_list_is_refused_and_stays_inside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(["good-1.0.tar.gz", *HOSTILE_NAMES]) + "\n")
    before = _files_under(tmp_path)
    code, err = _build(tmp_path, capsys, "--package-list", str(listing), "--packages-url", "../../pkgs/")
    assert code == 0
    assert "Traceback" not in err
    # Each refusal names its line (1-based; line 1 is the good one).
    for number in range(2, len(HOSTILE_NAMES) + 2):
        assert f"list.txt:{number} " in err
    written = _files_under(tmp_path) - before
    assert written and all(path.startswith("out" + os.sep) for path in written)
    assert sorted(os.listdir(tmp_path / "out" / "simple")) == ["good", "index.html", "index.json"]


def test_strict_refuses_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("good-1.0.tar.gz\n../x-1.0.tar.gz\n")
    code, err = _build(tmp_path, capsys, "--package-list", str(listing), "--packages-url", "../../pkgs/", "--strict")
    assert code == 1
    assert "list.txt:2" in err and "--strict" in err
    assert not (tmp_path / "out").exists()
    # Without refusals, --strict changes nothing.
    listing.write_text("good-1.0.tar.gz\n")
    assert _build(tmp_path, capsys, "--package-list", str(listing), "--packages-url", "x/", "--strict")[0] == 0


def test_malformed_json_line_is_named_by_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps({"filename": "a-1.0.tar.gz"}), "", '{"filename": "b-1.0.tar.gz",', "[1, 2]",
             json.dumps({"filename": "c-1.0.tar.gz", "hash": "sha1=abc"}),
             json.dumps({"filename": "d-1.0.tar.gz", "size": "big"}),
             json.dumps({"filename": "e-1.0.tar.gz", "unknown": 1}),
             json.dumps({"filename": "f-1.0.tar.gz", "hash": "sha256=not-hex"})]
    listing = tmp_path / "list.jsonl"
    listing.write_text("\n".join(lines) + "\n")
    code, err = _build(tmp_path, capsys, "--package-list-json", str(listing), "--packages-url", "x/", "--strict")
    assert code == 1 and "Traceback" not in err
    refused = re.findall(r"refused \S*list\.jsonl:(\d+)", err)
    assert refused == ["3", "4", "5", "6", "7", "8"]
    assert "malformed JSON" in err.splitlines()[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--package-list", "{tmp}/missing.txt", "--packages-url", "x/"], "cannot read"),
    (["--package-list", "{tmp}/latin1.txt", "--packages-url", "x/"], "not UTF-8"),
    (["--record-list", "{tmp}/bad.json", "--pool"], "malformed JSON"),
    (["--record-list", "{tmp}/object.json", "--pool"], "expected a JSON array"),
    (["--package-dir", "{tmp}/nodir", "--pool"], "no such directory"),
    (["--package-list", "{tmp}/good.txt", "--packages-url", "x/", "--project-status", "good=sleeping"],
     "--project-status"),
])
def test_fatal_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                   message: str) -> None:
    (tmp_path / "latin1.txt").write_bytes("caf\xe9-1.0.tar.gz\n".encode("latin-1"))
    (tmp_path / "bad.json").write_text("[{")
    (tmp_path / "object.json").write_text("{}")
    (tmp_path / "good.txt").write_text("good-1.0.tar.gz\n")
    code, err = _build(tmp_path, capsys, *(a.format(tmp=tmp_path) for a in args))
    assert code == 1
    assert err.startswith("dumb-pypi: error: ") and message in err and err.count("\n") == 1


def test_source_date_epoch_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.txt").write_text("good-1.0.tar.gz\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, err = _build(tmp_path, capsys, "--package-list", str(tmp_path / "good.txt"), "--packages-url", "x/")
    assert code == 1 and "SOURCE_DATE_EPOCH" in err


def test_output_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.txt").write_text("good-1.0.tar.gz\n")
    (tmp_path / "out").write_text("not a directory")
    code, err = _build(tmp_path, capsys, "--package-list", str(tmp_path / "good.txt"), "--packages-url", "x/")
    assert code == 1 and "not a directory" in err
    assert (tmp_path / "out").read_text() == "not a directory"


def test_bad_distribution_files_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dists = tmp_path / "dists"
    dists.mkdir()
    make_wheel(str(dists), "good", "1.0")
    make_wheel(str(dists), "liar", "1.0", metadata_name="someone-else")
    make_wheel(str(dists), "older", "2.0", metadata_version="1.0")
    (dists / "broken-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    (dists / "empty-1.0.tar.gz").write_bytes(b"")
    (dists / "notes.txt").write_text("hello")
    code, err = _build(tmp_path, capsys, "--package-dir", str(dists), "--pool")
    assert code == 0 and "Traceback" not in err
    for name in ("liar-1.0", "older-2.0", "broken-1.0", "empty-1.0", "notes.txt"):
        assert re.search(rf"refused \S*{re.escape(name)}\S*: ", err), name
    assert sorted(os.listdir(tmp_path / "out" / "simple")) == ["good", "index.html", "index.json"]


def test_record_list_filename_cannot_escape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = Path(make_wheel(str(tmp_path), "good", "1.0"))
    assert main(["record", str(wheel)]) == 0
    record = json.loads(capsys.readouterr().out)
    entries = []
    for i, filename in enumerate(["../../evil-1.0-py3-none-any.whl", "/abs/evil-1.0-py3-none-any.whl",
                                  "other-1.0-py3-none-any.whl"]):
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps({**record, "filename": filename}))
        entries.append({"record": str(path), "file": str(wheel), "origin": f"//pkg:t{i}"})
    (tmp_path / "records.json").write_text(json.dumps(entries))
    before = _files_under(tmp_path)
    code, err = _build(tmp_path, capsys, "--record-list", str(tmp_path / "records.json"), "--pool")
    assert code == 0 and "Traceback" not in err
    assert all(f"//pkg:t{i}" in err for i in range(3))
    assert all(p.startswith("out" + os.sep) for p in _files_under(tmp_path) - before)


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names += [name for name, _ in attrs]


def _event_attributes(page: str) -> list[str]:
    """The on... attributes of a page's tags, as a browser parses them."""
    parser = _Attributes()
    parser.feed(page)
    return [name for name in parser.names if name.startswith("on")]


def test_markup_in_inputs_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "<script>alert(1)</script>"
    lines = [
        {"filename": "good-1.0.tar.gz", "requires_python": f'">{evil}', "yanked_reason": evil,
         "uploaded_by": evil, "upload_timestamp": 1700000000, "requires_dist": [evil], "summary": evil},
        {"filename": 'good-2.0"<img src=x onerror=alert(1)>.tar.gz', "hash": "sha256=" + "ab" * 32},
        {"filename": "good-3.0'onmouseover='x.tar.gz"},
    ]
    listing = tmp_path / "list.jsonl"
    listing.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, err = _build(tmp_path, capsys, "--package-list-json", str(listing), "--packages-url", "../../pkgs/",
                       "--title", evil, "--logo", f'x"{evil}', "--project-status", f"good=deprecated:{evil}",
                       "--generate-timestamp")
    assert code == 0, err
    pages = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".html", ".xml")]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text, page
        assert not _event_attributes(text), page  # no attribute injected into a tag
    # Every file is listed (escaped), none was dropped to dodge escaping.
    simple = (tmp_path / "out" / "simple" / "good" / "index.html").read_text()
    assert simple.count("<a href=") == 3


def test_conflicting_duplicates_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [{"filename": "a-1.0.tar.gz", "hash": "sha256=" + "ab" * 32},
             {"filename": "a-1.0.tar.gz", "hash": "sha256=" + "ab" * 32},  # the same file again: fine
             {"filename": "a-1.0.tar.gz", "hash": "sha256=" + "cd" * 32}]
    listing = tmp_path / "list.jsonl"
    listing.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, err = _build(tmp_path, capsys, "--package-list-json", str(listing), "--packages-url", "x/", "--strict")
    assert code == 1 and "list.jsonl:3" in err and "list.jsonl:1" in err and "list.jsonl:2 " not in err
    code, err = _build(tmp_path, capsys, "--package-list-json", str(listing), "--packages-url", "x/")
    assert code == 0
    assert ("ab" * 32) in (tmp_path / "out" / "simple" / "a" / "index.html").read_text()


@pytest.mark.parametrize("columns", ["40", "120", "0", "wide", None])
def test_help_is_as_wide_as_argparse_makes_it(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    # cli's formatter finds the width itself (argparse's imports shutil for it).
    import argparse

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    for parser in (cli._build_parser(), cli._record_parser()):
        ours = parser.format_help()
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        assert ours == parser.format_help()
