"""The single-file dumb-pypi.pex: built reproducibly by scripts/build_pex.sh, and
it behaves as `python -m dumb_pypi` does, away from this checkout."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.cli import REPO, run_cli
from support.distributions import make_sdist, make_wheel

pytestmark = pytest.mark.slow


def _pex_bin() -> str:
    found = shutil.which("pex", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("pex is not installed (pip install pex==2.105.2)")
    return found


def _build(output: Path) -> str:
    env = {**os.environ, "PEX": _pex_bin()}
    result = subprocess.run(["bash", str(REPO / "scripts" / "build_pex.sh"), str(output)], env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr
    return hashlib.sha256(output.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def pex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pex")
    first = _build(work / "first" / "dumb-pypi.pex")
    assert _build(work / "dumb-pypi.pex") == first, "two builds of the pex differ"
    return work / "dumb-pypi.pex"


def _run(pex: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Away from the checkout: nothing of this repository on the path.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PEX"))}
    return subprocess.run([str(pex), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_pex_version(pex: Path, tmp_path: Path) -> None:
    result = _run(pex, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from dumb_pypi import __version__
    assert result.stdout.strip() == f"dumb-pypi {__version__}"


def test_pex_builds_the_same_index_as_the_module(pex: Path, tmp_path: Path) -> None:
    dists = tmp_path / "dists"
    dists.mkdir()
    make_wheel(str(dists), "greet", "1.0", requires_python=">=3.9")
    make_sdist(str(dists), "greet", "1.1")
    result = _run(pex, "--package-dir", dists, "--pool", "--output-dir", tmp_path / "from-pex", "--strict",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run_cli("--package-dir", dists, "--pool", "--output-dir", tmp_path / "from-module", "--strict")
    manifests = [json.loads((tmp_path / tree / "manifest.json").read_text()) for tree in ("from-pex", "from-module")]
    assert manifests[0] == manifests[1]
    assert "simple/greet/index.html" in manifests[0]["files"]
    assert (tmp_path / "from-pex" / "project" / "greet" / "index.html").stat().st_size > 0


def test_pex_record_subcommand(pex: Path, tmp_path: Path) -> None:
    wheel = make_wheel(str(tmp_path), "greet", "1.0")
    result = _run(pex, "record", wheel, "--yanked-reason", "old", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == run_cli("record", wheel, "--yanked-reason", "old").stdout


def test_pex_strict_refusal_exits_1_without_traceback(pex: Path, tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("greet-1.0.tar.gz\n../evil-1.0.tar.gz\n")
    result = _run(pex, "--package-list", "list.txt", "--packages-url", "x/", "--output-dir", "out", "--strict",
                  cwd=tmp_path)
    assert result.returncode == 1
    assert "list.txt:2" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


IMPORTS = (
    "import jinja2, markdown_it, markupsafe, sys; "
    "print(jinja2.__version__, markupsafe._escape_inner.__module__, markdown_it.__version__, sys.version_info[:2])"
)


def _interpreters() -> list[str]:
    """This Python and every other CPython >= 3.9 pyenv has here (3.9 to 3.13 on the CI machines)."""
    found = {sys.executable}
    for python in sorted(Path.home().glob(".pyenv/versions/3.*/bin/python3.*")):
        if re.fullmatch(r"python3\.(9|1[0-9])", python.name):
            found.add(str(python))
    return sorted(found)


def test_pex_carries_jinja2_and_the_pure_markupsafe(pex: Path, tmp_path: Path) -> None:
    """jinja2 and MarkupSafe's pure-Python fallback, no compiled module: the pex runs anywhere."""
    with zipfile.ZipFile(pex) as zf:
        names = zf.namelist()
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib")) or "_speedups" in n]
    assert "markupsafe/_native.py" in names
    assert any(n.endswith("jinja2-3.1.6-py3-none-any.whl/jinja2/__init__.py") for n in names)
    for python in _interpreters():
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PEX"))}
        result = subprocess.run([python, str(pex), "-c", IMPORTS], cwd=tmp_path, env={**env, "PEX_INTERPRETER": "1"},
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, (python, result.stderr)
        assert result.stdout.startswith("3.1.6 markupsafe._native 3.0.0 ("), (python, result.stdout)
        version = subprocess.run([python, str(pex), "--version"], cwd=tmp_path, env=env, capture_output=True,
                                 text=True, timeout=300, check=False)
        assert version.returncode == 0 and version.stdout.startswith("dumb-pypi "), (python, version.stderr)


def _assigned(name: str, script: str) -> str:
    """The value of the line `NAME=VALUE` of a shell script."""
    match = re.search(rf"^{name}=(.*)$", script, re.MULTILINE)
    assert match is not None, f"no {name}= line"
    return match[1]


def _generator_pins(deps: str) -> str:
    """The DUMB_PYPI_PINS dict of deps.bzl (its DEPLOY_PINS are the `.deploy` S3 client's, not the generator's)."""
    match = re.search(r"^DUMB_PYPI_PINS = \{\n(.*?)^\}", deps, re.MULTILINE | re.DOTALL)
    assert match is not None, "no DUMB_PYPI_PINS dict in deps.bzl"
    return match[1]


def test_pex_pins_are_the_bazel_pins() -> None:
    script = (REPO / "scripts/build_pex.sh").read_text()
    deps = (REPO / "third_party/deps.bzl").read_text()
    requirements = _assigned("REQUIREMENTS", script).removeprefix("(").removesuffix(")").split()
    wheels = re.findall(r"/([a-z0-9_]+)-([0-9][^-]*)-py3-none-any\.whl", _generator_pins(deps))
    # Wheel filenames spell markdown-it-py as markdown_it_py.
    pins = sorted(f"{name}=={version}" for name, version in wheels)
    assert sorted(r.replace("-", "_") for r in requirements) == pins
    sdist_url = _assigned("MARKUPSAFE_SDIST_URL", script)
    sdist_sha = _assigned("MARKUPSAFE_SDIST_SHA256", script)
    assert sdist_url.removeprefix("https://files.pythonhosted.org/packages/") in deps
    assert f'"{sdist_sha}"' in deps
