"""Real pip and real uv install real projects from the corpus of PyPI files
(tests/data/realfiles.txt) indexed in two layouts, served by `python -m http.server`:

  pool      --package-dir DIR --pool
  relative  --package-dir DIR --packages-url ../../pool/, the files deployed to OUT/pool/

requests, html5lib and tomlkit with their dependencies, as wheels only
(--only-binary :all:) and as sdists only (--no-binary :all:, which also
builds the build backends, setuptools, flit_core and poetry-core, from the
sdists in the same index; no --no-build-isolation). And a JSON-lines index of
the corpus with yanked files: neither client picks them unless pinned.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from support import realfiles
from support.cli import run_cli
from support.installs import find_uv
from support.servers import Server, http_server

pytestmark = pytest.mark.slow

TARGETS = ["requests", "html5lib", "tomlkit"]
# What the index resolves them to: the newest of each in the corpus.
EXPECTED = {"requests": "2.32.3", "urllib3": "1.26.20", "idna": "3.10", "certifi": "2025.1.31",
            "charset-normalizer": "3.3.2", "html5lib": "1.1", "six": "1.16.0", "webencodings": "0.5.1",
            "tomlkit": "0.13.2"}
# What the projects' sdists are built with (setuptools 75.8 needs no wheel).
BACKENDS = {"setuptools": "75.8.0", "flit-core": "3.9.0", "poetry-core": "1.9.1"}


def install(client: str, index_url: str, work: Path, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                                                           dict[str, str]]:
    """Install into a new target with a new cache (an sdist build's backend is
    built once per install); (the run, canonical name -> installed version)."""
    env = {k: v for k, v in realfiles.pip_env().items() if not k.startswith("UV_")}
    env["UV_NO_CONFIG"] = "1"
    target, cache = work / "target", work / "cache"
    if client == "pip":
        command = [sys.executable, "-m", "pip", "install", "--cache-dir", str(cache)]
    else:
        command = [find_uv(), "pip", "install", "--cache-dir", str(cache), "--python", sys.executable]
    command += ["--index-url", index_url, "--target", str(target), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
    found = {}
    for metadata in target.glob("*.dist-info/METADATA"):
        headers = email.parser.HeaderParser().parsestr(metadata.read_text(encoding="utf-8"))
        found[re.sub(r"[-_.]+", "-", headers["Name"]).lower()] = headers["Version"]
    return result, found


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """layout -> a server of the corpus indexed that way ('json-yanked': the
    corpus as JSON lines with YANKED yanked, files at ../../pool/)."""
    corpus = realfiles.corpus()
    work = tmp_path_factory.mktemp("real-installs")
    dists = realfiles.link_tree(corpus, work / "dists")
    run_cli("--package-dir", dists, "--pool", "--output-dir", work / "pool", check=False)
    run_cli("--package-dir", dists, "--packages-url", "../../pool/", "--output-dir", work / "relative", check=False)
    (work / "packages.jsonl").write_text(realfiles.json_lines())
    run_cli("--package-list-json", work / "packages.jsonl", "--packages-url", "../../pool/",
            "--output-dir", work / "json-yanked")
    for deployed in ("relative", "json-yanked"):
        realfiles.link_tree(corpus, work / deployed / "pool", exist_ok=True)
    with ExitStack() as stack:
        yield {layout: stack.enter_context(http_server(work / layout, work / f"{layout}.log"))
               for layout in ("pool", "relative", "json-yanked")}


# How the projects are installed: the arguments, and what the index must serve for them.
MODES = {
    # Wheels only: the PEP 658 metadata, then the wheels.
    "wheels": ["--only-binary", ":all:"],
    # The projects from their sdists, built with the build backends' wheels
    # (which clients read the PEP 658 metadata of) from the same index.
    "sdists": [word for project in EXPECTED for word in ("--no-binary", project)],
    # Everything from sdists, the build backends too (pip takes 2-3 times as
    # long as uv for this: uv alone).
    "sdists-and-backends": ["--no-binary", ":all:"],
}
CASES = [(client, mode) for client in ("pip", "uv") for mode in ("wheels", "sdists")] + [("uv", "sdists-and-backends")]


@pytest.mark.parametrize("layout", ["pool", "relative"])
@pytest.mark.parametrize(("client", "mode"), CASES)
def test_projects_install_with_their_dependencies(client: str, mode: str, layout: str, servers: dict[str, Server],
                                                  tmp_path: Path) -> None:
    server = servers[layout]
    before = len(server.requests())
    result, installed = install(client, f"{server.url}/simple/", tmp_path, *MODES[mode], *TARGETS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert installed == EXPECTED
    fetched = [path.rsplit("/", 1)[-1] for path in server.requests()[before:] if not path.startswith("/simple/")]
    wheels = {_release(name) for name in fetched if name.endswith(".whl")}
    sdists = {_release(name) for name in fetched if name.endswith((".tar.gz", ".zip"))}
    projects = set(EXPECTED.items())
    if mode == "wheels":
        assert (wheels, sdists) == (projects, set()), fetched
    elif mode == "sdists":  # the build backends' wheels come from the index too
        assert (wheels, sdists) == (set(BACKENDS.items()), projects), fetched
    else:
        assert (wheels, sdists) == (set(), projects | set(BACKENDS.items())), fetched


def _release(filename: str) -> tuple[str, str]:
    """(canonical name, version) of a wheel's or an sdist's filename (a version without "-")."""
    name, version = filename.split("-")[:2] if filename.endswith(".whl") else filename.rsplit("-", 1)
    return re.sub(r"[-_.]+", "-", name).lower(), re.sub(r"\.(tar\.gz|zip)$", "", version)


@pytest.mark.parametrize("client", ["pip", "uv"])
def test_yanked_files_are_not_picked_unless_pinned(client: str, servers: dict[str, Server], tmp_path: Path) -> None:
    index = f"{servers['json-yanked'].url}/simple/"
    result, installed = install(client, index, tmp_path / "free", "--only-binary", ":all:", "requests", "html5lib")
    assert result.returncode == 0, result.stderr[-4000:]
    # six 1.16.0 and idna 3.10 are yanked: the newest that are not.
    assert installed == {**{p: v for p, v in EXPECTED.items() if p != "tomlkit"}, "six": "1.10.0", "idna": "2.10"}
    pinned, installed = install(client, index, tmp_path / "pinned", "--only-binary", ":all:", "six==1.16.0")
    assert pinned.returncode == 0, pinned.stderr[-4000:]
    assert installed == {"six": "1.16.0"}
    assert realfiles.YANKED["six-1.16.0-py2.py3-none-any.whl"] in pinned.stdout + pinned.stderr  # the reason, as given
