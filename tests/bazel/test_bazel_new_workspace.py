"""A new monorepo set up from docs/rules.md alone: the three lines, nothing else.

The snippet is copied out of the docs into a WORKSPACE outside this
repository, next to a BUILD file with one wheel and one index, and built with
Debian's Bazel 4.2.3 offline. Bazel's own repositories (rules_cc, rules_java,
remote_coverage_tools) are tried the usual way first; here, where that fails,
they come from Debian's packages.
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
from support.bazel import Session
from support.cli import REPO

pytestmark = pytest.mark.bazel

BUILD = """\
load("@dumb_pypi//rules:defs.bzl", "py_wheel_dist", "pypi_index")

py_wheel_dist(
    name = "hello_whl",
    srcs = ["hello/__init__.py"],
    distribution = "hello",
    version = "0.1.0",
)

pypi_index(
    name = "index",
    dists = [":hello_whl"],
)
"""


def docs_setup_snippet() -> str:
    """The WORKSPACE code block of docs/rules.md that calls dumb_pypi_dependencies()."""
    blocks: list[str] = re.findall(r"```starlark\n(.*?)```", (REPO / "docs/rules.md").read_text(), re.DOTALL)
    [snippet] = [b for b in blocks if "dumb_pypi_dependencies()" in b and "local_repository" in b]
    return snippet


def new_monorepo(root: Path, dumb_pypi: Path, before: str = "") -> Path:
    snippet = docs_setup_snippet()
    assert len([line for line in snippet.splitlines() if line.strip()]) == 3, snippet
    workspace = root / "monorepo"
    (workspace / "hello").mkdir(parents=True)
    (workspace / "hello/__init__.py").write_text("GREETING = 'hello'\n")
    (workspace / "WORKSPACE").write_text(before + snippet.replace('path = "..."', f'path = "{dumb_pypi}"'))
    (workspace / "BUILD").write_text(BUILD)
    # Debian's /usr/bin/bazel wants to be told which Bazel the workspace uses.
    (workspace / ".bazelversion").write_text((REPO / ".bazelversion").read_text())
    return workspace


def test_three_lines_from_the_docs_build_an_index(bazel_session: Session, tmp_path: Path) -> None:
    dumb_pypi = bazel_session.checkout("new-monorepo-rules")
    workspace = new_monorepo(tmp_path, dumb_pypi)
    bz = bazel_session.bazel(workspace, "new-monorepo")
    result = bz.build("//:index", "//:index.tarball")
    with tarfile.open(bz.bin("index.tar.gz")) as tar:
        names = tar.getnames()
    assert "simple/hello/index.html" in names
    assert any(n.endswith("/hello-0.1.0-py3-none-any.whl") for n in names)
    # Offline here: the usual download was tried, then Debian's packages taken.
    for name, source in (
        ("rules_cc", "a stand-in for Debian's Bazel"),
        ("rules_java", "Debian's bazel-rules-java (/usr/share/bazel/rules/java)"),
    ):
        assert f"Download from https://github.com/bazelbuild/{name}/archive/" in result.stderr, name
        assert f"dumb_pypi: {name} is not downloadable here; using {source}" in result.stderr, name


def test_repositories_the_workspace_declared_are_kept(bazel_session: Session, tmp_path: Path) -> None:
    """A monorepo's own rules_java (declared before the three lines) is used as it is, never fetched."""
    dumb_pypi = bazel_session.checkout("new-monorepo-own-java-rules")
    own = 'local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")\n\n'
    workspace = new_monorepo(tmp_path, dumb_pypi, before=own)
    result = bazel_session.bazel(workspace, "new-monorepo-own-java").build("//:index")
    assert "rules_java" not in result.stderr
    assert "dumb_pypi: rules_cc is not downloadable here" in result.stderr


def test_without_debians_packages_bazels_own_download_fails_as_usual(bazel_session: Session, tmp_path: Path) -> None:
    """Where Debian's Bazel packages are absent nothing stands in: the usual download is the only way."""
    dumb_pypi = bazel_session.checkout("new-monorepo-no-debian")
    workspace = new_monorepo(tmp_path, dumb_pypi)
    bz = bazel_session.bazel(workspace, "new-monorepo-no-debian")
    result = bz.build("//:index", check=False, flags=[f"--repo_env=DUMB_PYPI_DEBIAN_BAZEL={tmp_path / 'no-debian'}"])
    assert result.returncode != 0
    assert "Download from https://github.com/bazelbuild/rules_" in result.stderr
    assert "Debian's Bazel packages are not installed" in result.stderr
    assert "is not downloadable here; using" not in result.stderr
