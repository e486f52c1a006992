"""Drop-in for dumb-pypi 1.15: its flags, a script written for it, its output
paths, and (with the real 1.15 that .ci/install.sh puts in a venv) everything it indexes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from support.cli import cli_env, run_cli

from dumb_pypi import cli

# Every option of dumb-pypi 1.15 (`dumb-pypi --help`).
REF_OPTIONS = ["--package-list", "--package-list-json", "--previous-package-list", "--previous-package-list-json",
               "--output-dir", "--packages-url", "--title", "--logo", "--logo-width", "--no-generate-timestamp",
               "--no-per-release-json", "--help"]


def _our_options() -> list[str]:
    parser = cli._build_parser()
    return [option for action in parser._actions for option in action.option_strings if option.startswith("--")]


def test_every_option_of_1_15_exists() -> None:
    assert set(REF_OPTIONS) <= set(_our_options())


def test_abbreviations_that_worked_in_1_15_still_work() -> None:
    # argparse accepts any unique prefix; a 1.15 script may rely on one.
    ours = _our_options()
    broken = []
    for option in REF_OPTIONS:
        for end in range(3, len(option)):
            prefix = option[:end]
            if [o for o in REF_OPTIONS if o.startswith(prefix)] == [option]:
                matches = [o for o in ours if o.startswith(prefix)]
                if prefix not in ours and matches != [option]:
                    broken.append(prefix)
    assert broken == []


SCRIPT = """\
set -eu
# a cron script written for dumb-pypi 1.15
"$DUMB_PYPI" \\
    --package-list-json packages.jsonl \\
    --output-dir "$OUT" \\
    --packages-url https://files.example.com/pkgs/ \\
    --title 'Our <PyPI>' \\
    --logo https://example.com/logo.png \\
    --logo-width 64 \\
    --no-generate-timestamp
"$DUMB_PYPI" \\
    --package-list-json packages-new.jsonl \\
    --previous-package-list-json packages.jsonl \\
    --output-dir "$OUT" \\
    --packages-url https://files.example.com/pkgs/
"$DUMB_PYPI" --package-list names.txt --previous-package-list names.txt --output-dir "$OUT-2" --packages-url ../../p \\
    --no-per-release-json
"""


def _write_script_inputs(work: Path, names: list[str]) -> None:
    lines = [{"filename": n, "hash": f"sha256={i:064x}", "upload_timestamp": 1500000000 + i, "uploaded_by": "cron",
              "requires_python": ">=3.6"} for i, n in enumerate(names)]
    (work / "packages.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines[:-5]))
    lines[3]["yanked_reason"] = "bad"
    (work / "packages-new.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (work / "names.txt").write_text("\n".join(names) + "\n")
    (work / "build.sh").write_text(SCRIPT)


def _run_script(work: Path, program: list[str], out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The script calls "$DUMB_PYPI" unchanged; a wrapper stands in for each program.
    wrapper = work / f"{out.name}.sh"
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(f"'{p}'" for p in program) + ' "$@"\n')
    wrapper.chmod(0o755)
    env = {**env, "DUMB_PYPI": str(wrapper), "OUT": str(out)}
    return subprocess.run(["sh", "build.sh"], cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)


def _ref_env() -> dict[str, str]:
    # 1.15's package is also called dumb_pypi: keep this checkout off its path.
    return {k: v for k, v in cli_env().items() if k != "PYTHONPATH"}


def _paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_a_1_15_script_runs_unchanged(tmp_path: Path, huge_list: list[str]) -> None:
    _write_script_inputs(tmp_path, huge_list[::700])
    result = _run_script(tmp_path, [sys.executable, "-m", "dumb_pypi"], tmp_path / "ours", cli_env())
    assert result.returncode == 0, result.stderr
    paths = _paths(tmp_path / "ours")
    assert {"index.html", "simple/index.html", "packages.json", "changelog/page1.html"} <= paths
    names = {p.split("/")[1] for p in paths if p.startswith("simple/") and p.endswith("/index.html")} - {"index.html"}
    assert names and all(f"pypi/{n}/json" in paths for n in names)
    assert len(paths & {p for p in paths if re.fullmatch(r"pypi/[^/]+/[^/]+/json", p)}) > 0  # from the first run
    assert 'data-yanked="bad"' in "".join(
        p.read_text() for p in (tmp_path / "ours" / "simple").glob("*/index.html"))
    packages = [json.loads(line) for line in (tmp_path / "ours" / "packages.json").read_text().splitlines()]
    assert len(packages) == len(huge_list[::700]) - sum(n.startswith("-") for n in huge_list[::700])
    # The same list as the "previous" one, into a directory without a state: as in 1.15, nothing changed,
    # so nothing is written.
    assert not (tmp_path / "ours-2").exists()


def test_a_1_15_script_gives_every_path_1_15_gives(tmp_path: Path, huge_list: list[str], reference_venv: Path) -> None:
    reference = reference_venv / "bin" / "dumb-pypi"
    _write_script_inputs(tmp_path, huge_list[::700])
    ref = _run_script(tmp_path, [str(reference)], tmp_path / "ref", _ref_env())
    assert ref.returncode == 0, ref.stderr
    ours = _run_script(tmp_path, [sys.executable, "-m", "dumb_pypi"], tmp_path / "ours", cli_env())
    assert ours.returncode == 0, ours.stderr
    for tree in ("", "-2"):
        ref_paths = {p for p in _paths(tmp_path / f"ref{tree}") if not p.startswith(".")}
        assert ref_paths - _paths(tmp_path / f"ours{tree}") == set()


def _simple_files(root: Path) -> dict[str, set[str]]:
    """simple/<project>/ -> the filenames its page links to."""
    files = {}
    for page in (root / "simple").glob("*/index.html"):
        hrefs = re.findall(r'<a\s[^>]*?href="([^"#]*)', page.read_text())
        files[page.parent.name] = {unquote(h.rsplit("/", 1)[-1]) for h in hrefs}
    return files


@pytest.fixture(scope="module")
def compared(huge_list: list[str], tmp_path_factory: pytest.TempPathFactory,
             reference_venv: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(1.15's simple/ projects and files, ours) for every 25th real filename."""
    reference = reference_venv / "bin" / "dumb-pypi"
    work = tmp_path_factory.mktemp("compare")
    (work / "sample.txt").write_text("\n".join(huge_list[::25]) + "\n")
    args = ["--package-list", "sample.txt", "--packages-url", "https://files.example.com/", "--output-dir"]
    subprocess.run([str(reference), *args, "ref"], cwd=work, check=True, capture_output=True, timeout=300, env=_ref_env())
    run_cli(*args, "ours", cwd=work)
    return _simple_files(work / "ref"), _simple_files(work / "ours")


def test_we_index_every_file_1_15_indexes(compared: tuple[dict[str, set[str]], dict[str, set[str]]]) -> None:
    ref, ours = compared
    ref_files = set().union(*ref.values())
    our_files = set().union(*ours.values())
    assert len(ref_files) > 2000
    assert ref_files - our_files == set()
    assert len(our_files) > len(ref_files)  # 1.15 drops files we index


# (1.15's project, filename) of the sample's files that land under another
# simple/<name>/ here: intentional, and documented in README (migration).
# 1.15 took the whole version into the project name of these two; here they
# are under ddlib-2013 (from the filename alone; with its metadata, ddlib) and
# pypops. Any other file moving is a regression.
MOVED_FROM_1_15 = {
    ("ddlib-2013-11-12", "ddlib-2013-11-12.tar.gz"),
    ("pypops-20141113-r1", "pypops-20141113-r1.tar.gz"),
}


def test_same_simple_paths_as_1_15(compared: tuple[dict[str, set[str]], dict[str, set[str]]]) -> None:
    ref, ours = compared
    moved = {(project, f) for project, files in ref.items() for f in files if f not in ours.get(project, set())}
    assert moved == MOVED_FROM_1_15
