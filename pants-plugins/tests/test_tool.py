"""The tool the backend runs: the in-repo `dumb_pypi`, with the same pins as
the Bazel rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dumb_pypi_pants.errors import DumbPypiSourcesNotFound
from dumb_pypi_pants.package import index_argv
from dumb_pypi_pants.tool import (
    DEFAULT_REQUIREMENTS,
    MARKUPSAFE_SDIST_DIGEST,
    MARKUPSAFE_SDIST_URL,
    MARKUPSAFE_VERSION,
    DumbPypiTool,
    DumbPypiToolRequest,
    locate_dumb_pypi_sources,
    read_dumb_pypi_sources,
)
from helpers import REPO_ROOT
from pants.backend.python.util_rules.pex import VenvPexProcess
from pants.engine.process import Process, ProcessResult
from pants.testutil.rule_runner import RuleRunner


def test_requirement_pins_match_the_bazel_rules() -> None:
    # deps.bzl names each pinned wheel by its filename: <name>-<version>-<tags>.whl; the
    # generator's are in DUMB_PYPI_PINS (DEPLOY_PINS are the Bazel `.deploy` S3 client's).
    deps = (REPO_ROOT / "third_party/deps.bzl").read_text()
    generator_pins = re.search(r"^DUMB_PYPI_PINS = \{\n(.*?)^\}", deps, re.MULTILINE | re.DOTALL)
    assert generator_pins is not None, "no DUMB_PYPI_PINS dict in deps.bzl"
    bazel_pins = {
        (m.group(1).lower(), m.group(2))
        for m in re.finditer(r"/([A-Za-z0-9_]+)-([0-9][^-]*)-[^/\"]+\.whl", generator_pins[1])
    }
    # Wheel filenames spell markdown-it-py as markdown_it_py.
    pants_pins = {tuple(req.lower().replace("-", "_").split("==")) for req in DEFAULT_REQUIREMENTS}
    assert pants_pins == bazel_pins
    # MarkupSafe: the same sdist, by the same sha256.
    assert MARKUPSAFE_SDIST_URL.removeprefix("https://files.pythonhosted.org/packages/") in deps
    assert f'"{MARKUPSAFE_SDIST_DIGEST.fingerprint}"' in deps
    assert f'MARKUPSAFE_VERSION = "{MARKUPSAFE_VERSION}"' in deps


def test_tool_imports_jinja2_and_the_pure_markupsafe(rule_runner: RuleRunner) -> None:
    """The tool pex runs jinja2 on MarkupSafe's pure-Python fallback: nothing platform-specific."""
    tool = rule_runner.request(DumbPypiTool, [DumbPypiToolRequest()])
    code = (
        "import jinja2, markupsafe, importlib.util; print(jinja2.__version__, "
        "markupsafe._escape_inner.__module__, importlib.util.find_spec('markupsafe._speedups'))"
    )
    process = rule_runner.request(
        Process,
        [VenvPexProcess(tool.pex, argv=("-c", code), extra_env={"PEX_INTERPRETER": "1"}, description="import check")],
    )
    result = rule_runner.request(ProcessResult, [process])
    assert result.stdout.decode() == "3.1.6 markupsafe._native None\n"


def test_sources_are_the_in_repo_package_without_bytecode() -> None:
    package_dir = locate_dumb_pypi_sources()
    assert package_dir == REPO_ROOT / "dumb_pypi"
    files = read_dumb_pypi_sources(package_dir)
    paths = [f.path for f in files]
    assert "dumb_pypi/__main__.py" in paths and "dumb_pypi/cli.py" in paths
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc")]
    on_disk = sorted(
        p.relative_to(REPO_ROOT).as_posix()
        for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(paths) == on_disk


def test_index_flags_match_the_bazel_rule() -> None:
    # Same flags, so both build systems write the same tree; logo flags are
    # attributes in Bazel and `extra_args` here.
    index_bzl = (REPO_ROOT / "rules/private/index.bzl").read_text()
    bazel_flags = set(re.findall(r'args\.add\("(--[a-z-]+)"', index_bzl)) - {"--logo", "--logo-width"}
    pooled = index_argv("out/x", "T", None, ())
    linked = index_argv("out/x", "T", "https://bucket.example/", ())
    pants_flags = {a for a in pooled + linked if a.startswith("--")}
    assert pants_flags == bazel_flags
    assert "--pool" in pooled and "--packages-url" not in pooled
    assert "--packages-url" in linked and "--pool" not in linked


def test_a_directory_without_the_cli_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dumb_pypi").mkdir()
    (tmp_path / "dumb_pypi" / "__init__.py").write_text("")
    with pytest.raises(DumbPypiSourcesNotFound, match=r"dumb_pypi has no __main__\.py: not the dumb_pypi package"):
        read_dumb_pypi_sources(tmp_path / "dumb_pypi")
