"""How each real client installs, resolves and locks against one index URL.

Every run is isolated: a fresh HOME and cache, no pip/uv config from the
machine, the index as the only source. Each returns what the client did
(exit code, output) and what it produced (installed versions, a lock file).
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from support.tools import SERVE_HOME, missing, tool

CLIENTS = ("pip", "uv", "pex", "pex-pip", "poetry", "pdm")
# The cases test_matrix.py checks for each client, in the table's column order.
CASES = {
    "api-form": "the client got the Simple API in this column's form",
    "non-normalized-dep": "app requires 'Dep.Name_Pkg': dep-name-pkg 1.0 is installed",
    "yanked": "yanky: 1.0 unpinned (2.0 is yanked), 2.0 when pinned ==2.0",
    "requires-python": "pyreq: 1.0 (2.0 needs Python >=3.99)",
    "pep658": "resolving app fetches .metadata files and no wheel",
    "hash-check": "a served wheel that differs from the index's sha256 is refused",
    "lock-hashes": "the lock file's sha256 values are those of the served files",
}


@dataclass
class Run:
    returncode: int
    output: str
    installed: dict[str, str] = field(default_factory=dict)  # canonical name -> version
    lock: Path | None = None


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,  # the machine's pip.conf adds other indexes
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_NO_CONFIG": "1",
        "NO_COLOR": "1",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
    }
    env.update(extra)
    return env


def _run(args: Sequence[str | Path], cwd: Path, env: dict[str, str], timeout: int = 300) -> Run:
    cwd.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(result.returncode, result.stdout + result.stderr)


def _dist_infos(site: Path) -> dict[str, str]:
    found = {}
    for metadata in site.glob("*.dist-info/METADATA"):
        headers = email.parser.HeaderParser().parsestr(metadata.read_text())
        found[_canonical(headers["Name"])] = headers["Version"]
    return found


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _python() -> Path:
    """The interpreter installs target: a base Python, never a client's venv."""
    return Path(sys.base_prefix) / "bin" / "python3"


# --- pip ---------------------------------------------------------------------


def pip_install(index: str, reqs: Sequence[str], work: Path, *extra: str) -> Run:
    target = work / "target"
    run = _run(
        [tool("pip", "pip"), "install", "--no-cache-dir", "--index-url", index, "--target", target, *extra, *reqs],
        work, _env(work / "home"),
    )
    run.installed = _dist_infos(target)
    return run


def pip_resolve(index: str, reqs: Sequence[str], work: Path) -> Run:
    return _run(
        [tool("pip", "pip"), "install", "--no-cache-dir", "--index-url", index, "--dry-run", "--ignore-installed",
         "--report", work / "report.json", *reqs],
        work, _env(work / "home"),
    )


def pip_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    lock = work / "pylock.toml"
    run = _run(
        [tool("pip", "pip"), "lock", "--no-cache-dir", "--index-url", index, "-o", lock, *reqs],
        work, _env(work / "home"),
    )
    run.lock = lock
    return run


# --- uv ----------------------------------------------------------------------


def uv_install(index: str, reqs: Sequence[str], work: Path, *extra: str) -> Run:
    target = work / "target"
    run = _run(
        [tool("uv", "uv"), "pip", "install", "--no-cache", "--index-url", index, "--python", _python(),
         "--target", target, *extra, *reqs],
        work, _env(work / "home"),
    )
    run.installed = _dist_infos(target)
    return run


def uv_resolve(index: str, reqs: Sequence[str], work: Path) -> Run:
    (work / "requirements.in").parent.mkdir(parents=True, exist_ok=True)
    (work / "requirements.in").write_text("".join(f"{r}\n" for r in reqs))
    return _run(
        [tool("uv", "uv"), "pip", "compile", "--no-cache", "--index-url", index, "--python", _python(),
         "requirements.in"],
        work, _env(work / "home"),
    )


def uv_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    _pyproject(work, reqs, f'[tool.uv]\npackage = false\n\n[[tool.uv.index]]\nname = "local"\nurl = "{index}"\ndefault = true\n')
    env = _env(work / "home")
    del env["UV_NO_CONFIG"]  # this run must read the scratch pyproject.toml
    run = _run([tool("uv", "uv"), "lock", "--no-cache", "--python", _python()], work, env)
    run.lock = work / "uv.lock"
    return run


# --- pex ---------------------------------------------------------------------


def _pex_env(work: Path) -> dict[str, str]:
    return _env(work / "home", PEX_ROOT=str(work / "pex_root"))


def pex_install(index: str, reqs: Sequence[str], work: Path, *extra: str) -> Run:
    out = work / "out.pex"
    run = _run(
        [tool("pex", "pex"), "--no-pypi", "--index-url", index, "--disable-cache", "--python", _python(),
         *extra, *reqs, "-o", out],
        work, _pex_env(work),
    )
    if run.returncode == 0:
        with zipfile.ZipFile(out) as zf:
            names = {n.split("/")[1] for n in zf.namelist() if n.startswith(".deps/") and n.count("/") > 1}
        for wheel in names:
            dist, version = wheel.split("-")[:2]
            run.installed[_canonical(dist)] = version
    return run


def pex_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    lock = work / "lock.json"
    run = _run(
        [tool("pex", "pex3"), "lock", "create", "--no-pypi", "--index-url", index, "--disable-cache",
         "--python", _python(), *reqs, "-o", lock],
        work, _pex_env(work),
    )
    run.lock = lock
    return run


def pex_pip_version() -> str:
    """The pip that .ci/install-serve.sh put into the test index for pex."""
    version = SERVE_HOME / "pex-pip" / "VERSION"
    if not version.is_file():
        missing(f"pip wheels for pex ({version.parent})")
    return version.read_text().strip()


def pex_pip_install(index: str, reqs: Sequence[str], work: Path, *extra: str) -> Run:
    return pex_install(index, reqs, work, "--pip-version", pex_pip_version(), *extra)


def pex_pip_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    lock = work / "lock.json"
    run = _run(
        [tool("pex", "pex3"), "lock", "create", "--pip-version", pex_pip_version(), "--no-pypi", "--index-url",
         index, "--disable-cache", "--python", _python(), *reqs, "-o", lock],
        work, _pex_env(work),
    )
    run.lock = lock
    return run


# --- poetry and pdm: a scratch project, the index as its only source ----------


def _pyproject(work: Path, reqs: Sequence[str], tool_section: str) -> None:
    work.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{r}"' for r in reqs)
    (work / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "scratch"
            version = "0"
            requires-python = ">=3.9"
            dependencies = [{deps}]

            """
        )
        + tool_section
    )


def _poetry_env(work: Path) -> dict[str, str]:
    return _env(
        work / "home",
        POETRY_CACHE_DIR=str(work / "cache"),
        POETRY_CONFIG_DIR=str(work / "config"),
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_NO_INTERACTION="1",
    )


def _poetry_project(index: str, reqs: Sequence[str], work: Path) -> None:
    _pyproject(
        work, reqs,
        f'[tool.poetry]\npackage-mode = false\n\n[[tool.poetry.source]]\nname = "local"\nurl = "{index}"\n'
        'priority = "primary"\n',
    )


def poetry_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    _poetry_project(index, reqs, work)
    run = _run([tool("poetry", "poetry"), "lock"], work, _poetry_env(work))
    run.lock = work / "poetry.lock"
    return run


def poetry_install(index: str, reqs: Sequence[str], work: Path) -> Run:
    run = poetry_lock(index, reqs, work)
    if run.returncode != 0:
        return run
    install = _run([tool("poetry", "poetry"), "install"], work, _poetry_env(work))
    install.output = run.output + install.output
    install.installed = _site_packages(work / ".venv")
    install.lock = run.lock
    return install


def _pdm_env(work: Path) -> dict[str, str]:
    return _env(
        work / "home",
        PDM_CACHE_DIR=str(work / "cache"),
        PDM_CONFIG_FILE=str(work / "pdm-config.toml"),
        PDM_CHECK_UPDATE="false",
        PDM_NON_INTERACTIVE="1",
        PDM_PYTHON=str(_python()),
    )


def pdm_lock(index: str, reqs: Sequence[str], work: Path) -> Run:
    # A source named "pypi" replaces PyPI itself.
    _pyproject(
        work, reqs,
        f'[tool.pdm]\ndistribution = false\n\n[[tool.pdm.source]]\nname = "pypi"\nurl = "{index}"\n',
    )
    run = _run([tool("pdm", "pdm"), "lock", "-p", work], work, _pdm_env(work))
    run.lock = work / "pdm.lock"
    return run


def pdm_install(index: str, reqs: Sequence[str], work: Path) -> Run:
    run = pdm_lock(index, reqs, work)
    if run.returncode != 0:
        return run
    install = _run([tool("pdm", "pdm"), "sync", "-p", work], work, _pdm_env(work))
    install.output = run.output + install.output
    install.installed = _site_packages(work / ".venv")
    # pdm may also install PEP 582 style, next to the project.
    for lib in work.glob("__pypackages__/*/lib"):
        install.installed.update(_dist_infos(lib))
    install.lock = run.lock
    return install


def _site_packages(venv: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for site in venv.glob("lib/python*/site-packages"):
        found.update(_dist_infos(site))
    return found


# client -> (install, resolve only, lock)
# "pex" is pex as it comes (its vendored pip 20.3.4); "pex-pip" is pex with
# `--pip-version` set to a current pip, fetched from the index under test.
INSTALL = {"pip": pip_install, "uv": uv_install, "pex": pex_install, "pex-pip": pex_pip_install,
           "poetry": poetry_install, "pdm": pdm_install}
RESOLVE = {"pip": pip_resolve, "uv": uv_resolve, "pex": pex_lock, "pex-pip": pex_pip_lock,
           "poetry": poetry_lock, "pdm": pdm_lock}
LOCK = {"pip": pip_lock, "uv": uv_lock, "pex": pex_lock, "pex-pip": pex_pip_lock,
        "poetry": poetry_lock, "pdm": pdm_lock}

__all__ = ["CLIENTS", "INSTALL", "LOCK", "RESOLVE", "SERVE_HOME", "Run"]
