"""--templates DIR: templates there replace ours by name, the rest stay ours;
a changed override makes the next build a full one; a template that does
not compile or lacks its rows is one line of error, and nothing is written."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from support.cli import run_cli
from support.trees import read_tree

COMMON = ["--packages-url", "https://files.example.com/"]
OLD = ["alpha-1.0.tar.gz", "alpha-1.1-py3-none-any.whl", "beta-0.1.tar.gz", "gamma-2.0.zip"]
NEW = [*OLD, "alpha-2.0.tar.gz"]


def _ours(name: str) -> str:
    return (resources.files("dumb_pypi.pages.webui") / "templates" / name).read_text()


def _override(directory: Path, name: str, marker: str) -> Path:
    """Our template `name`, with `marker` as the first thing in its content block."""
    directory.mkdir(exist_ok=True)
    text = _ours(name).replace("{% block content %}", "{% block content %}" + marker, 1)
    assert marker in text
    (directory / name).write_text(text)
    return directory


def _lists(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("\n".join(OLD) + "\n")
    new.write_text("\n".join(NEW) + "\n")
    return old, new


def test_an_override_replaces_one_template_and_only_it(tmp_path: Path) -> None:
    old, _ = _lists(tmp_path)
    templates = _override(tmp_path / "templates", "home.html", "<p id=custom>Our own home</p>")
    run_cli("--package-list", old, "--output-dir", tmp_path / "ours", *COMMON)
    run_cli("--package-list", old, "--output-dir", tmp_path / "custom", "--templates", templates, *COMMON)
    ours, custom = read_tree(tmp_path / "ours"), read_tree(tmp_path / "custom")
    assert b"<p id=custom>Our own home</p>" in custom["index.html"]
    assert b"custom" not in ours["index.html"]
    different = {path for path in ours if ours[path] != custom.get(path)}
    # The home page, and what records the tree (the manifest, its digest, the state's settings).
    assert different == {"index.html", "manifest.json", ".dumb-pypi-state"}


def test_partial_rebuild_with_overrides_is_the_full_build(tmp_path: Path) -> None:
    old, new = _lists(tmp_path)
    templates = _override(tmp_path / "templates", "project.html", "<p class=mine>mine</p>")
    _override(templates, "changelog.html", "<p class=mine>log</p>")
    flags: list[str | Path] = ["--templates", templates, *COMMON]
    run_cli("--package-list", old, "--output-dir", tmp_path / "partial", *flags)
    run_cli("--package-list", new, "--previous-package-list", old, "--output-dir", tmp_path / "partial", *flags)
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *flags)
    partial = read_tree(tmp_path / "partial")
    assert partial == read_tree(tmp_path / "full")
    assert b"<p class=mine>mine</p>" in partial["project/alpha/index.html"]


def test_a_changed_override_rebuilds_every_page(tmp_path: Path) -> None:
    old, new = _lists(tmp_path)
    templates = _override(tmp_path / "templates", "project.html", "<p>first</p>")
    flags: list[str | Path] = ["--templates", templates, *COMMON]
    run_cli("--package-list", old, "--output-dir", tmp_path / "out", *flags)
    _override(templates, "project.html", "<p>second</p>")
    run_cli("--package-list", new, "--previous-package-list", old, "--output-dir", tmp_path / "out", *flags)
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *flags)
    tree = read_tree(tmp_path / "out")
    assert tree == read_tree(tmp_path / "full")
    # beta and gamma did not change: only a full build gives them the new template.
    for project in ("alpha", "beta", "gamma"):
        page = tree[f"project/{project}/index.html"]
        assert b"<p>second</p>" in page and b"<p>first</p>" not in page


def test_a_template_that_does_not_compile_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    old, new = _lists(tmp_path)
    run_cli("--package-list", old, "--output-dir", tmp_path / "out", *COMMON)
    before = read_tree(tmp_path / "out")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "changelog.html").write_text('{% extends "base.html" %}\n{% block content %}\n{% for x in %}\n')
    previous_flags: list[list[str | Path]] = [[], ["--previous-package-list", old]]
    for previous in previous_flags:  # in this process, and in the early renderer
        result = run_cli("--package-list", new, *previous, "--output-dir", tmp_path / "out", "--templates", templates,
                         *COMMON, check=False)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            (f"dumb-pypi: error: template {templates / 'changelog.html'}, line 3: "
            "Expected an expression, got 'end of statement block'")]
        assert read_tree(tmp_path / "out") == before


def test_a_page_template_without_its_rows_is_an_error(tmp_path: Path) -> None:
    old, _ = _lists(tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "home.html").write_text(_ours("home.html").replace("{{ rows }}", ""))
    result = run_cli("--package-list", old, "--output-dir", tmp_path / "out", "--templates", templates, *COMMON,
                     check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["dumb-pypi: error: template home.html: it must show {{ rows }} exactly once"]
    assert not (tmp_path / "out").exists()
