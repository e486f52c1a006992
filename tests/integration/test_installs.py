"""Real pip and real uv install from a generated index served by `python -m http.server`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import run_cli
from support.distributions import make_wheel
from support.installs import clean_env, find_uv
from support.servers import Server, http_server

pytestmark = pytest.mark.slow

CLIENTS = ["pip", "uv"]


def install(client: str, server: Server, target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    index = f"{server.url}/simple/"
    if client == "pip":
        command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir",
                   "--no-input", "--index-url", index, "--target", str(target), *args]
    else:
        command = [find_uv(), "pip", "install", "--no-config", "--no-cache", "--index-url", index,
                   "--python", sys.executable, "--target", str(target), *args]
    return subprocess.run(command, capture_output=True, text=True, env=clean_env(), timeout=300, check=False)


def installed(target: Path) -> set[str]:
    """'name==version' of each distribution installed into `target`."""
    found = set()
    for dist_info in target.glob("*.dist-info"):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        found.add(f"{name}=={version}")
    return found


@pytest.fixture(scope="module")
def index_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built the way the Bazel and Pants rules do it: one `dumb-pypi record` per
    file (yanks are given there), then one index step over the record list."""
    work = tmp_path_factory.mktemp("installs")
    dists = work / "dists"
    dists.mkdir()
    wheels: list[tuple[str, list[str]]] = [
        (make_wheel(str(dists), "Foo.Bar_baz", "1.0"), []),
        (make_wheel(str(dists), "yanky", "1.0"), []),
        (make_wheel(str(dists), "yanky", "2.0"), ["--yanked-reason", "broken <b>release</b>"]),
        (make_wheel(str(dists), "pyreq", "1.0", requires_python=">=3"), []),
        (make_wheel(str(dists), "pyreq", "2.0", requires_python=">=4"), []),
        (make_wheel(str(dists), "meta-dep", "1.0", requires_dist=["dep-leaf>=1"]), []),
        (make_wheel(str(dists), "dep-leaf", "1.0"), []),
        (make_wheel(str(dists), "tampered", "1.0"), []),
    ]
    entries = []
    for i, (wheel, flags) in enumerate(wheels):
        record = work / f"{i}.record.json"
        run_cli("record", wheel, "--output", record, *flags)
        entries.append({"record": str(record), "file": wheel, "origin": f"//dists:{i}"})
    (work / "records.json").write_text(json.dumps(entries))
    tree = work / "tree"
    run_cli("--record-list", work / "records.json", "--pool", "--output-dir", tree, "--strict")
    # Serve other bytes under the tampered wheel's name: the index's hash no longer matches.
    served = next(tree.glob("packages/*/*/*/tampered-1.0-py3-none-any.whl"))
    (work / "impostor").mkdir()
    shutil.copyfile(make_wheel(str(work / "impostor"), "tampered", "1.0", modules={"evil.py": "X = 1\n"}), served)
    return tree


@pytest.fixture(scope="module")
def server(index_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with http_server(index_tree, tmp_path_factory.mktemp("log") / "http.log") as running:
        yield running


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("spelling", ["Foo.Bar_baz", "FOO__bar-BAZ"])
def test_name_normalization(client: str, spelling: str, server: Server, tmp_path: Path) -> None:
    before = len(server.requests())
    result = install(client, server, tmp_path, spelling)
    assert result.returncode == 0, result.stderr
    assert installed(tmp_path) == {"Foo_Bar_baz==1.0"}
    # Both clients ask for the PEP 503 normalised name, which is the directory we wrote.
    assert "/simple/foo-bar-baz/" in server.requests()[before:]


@pytest.mark.parametrize("client", CLIENTS)
def test_yanked_file_is_skipped_unless_pinned(client: str, server: Server, tmp_path: Path) -> None:
    result = install(client, server, tmp_path / "free", "yanky")
    assert result.returncode == 0, result.stderr
    assert installed(tmp_path / "free") == {"yanky==1.0"}
    pinned = install(client, server, tmp_path / "pinned", "yanky==2.0")
    assert pinned.returncode == 0, pinned.stderr
    assert installed(tmp_path / "pinned") == {"yanky==2.0"}
    assert "broken <b>release</b>" in pinned.stderr + pinned.stdout  # the reason reaches the user, unescaped


@pytest.mark.parametrize("client", CLIENTS)
def test_requires_python_is_honoured(client: str, server: Server, tmp_path: Path) -> None:
    result = install(client, server, tmp_path, "pyreq")
    assert result.returncode == 0, result.stderr
    assert installed(tmp_path) == {"pyreq==1.0"}
    refused = install(client, server, tmp_path / "new", "pyreq==2.0")
    assert refused.returncode != 0
    assert not (tmp_path / "new").exists() or installed(tmp_path / "new") == set()


@pytest.mark.parametrize("client", CLIENTS)
def test_resolution_reads_pep658_metadata_not_wheels(client: str, server: Server, tmp_path: Path) -> None:
    before = len(server.requests())
    result = install(client, server, tmp_path, "--dry-run", "meta-dep")
    assert result.returncode == 0, result.stderr
    assert "dep-leaf" in result.stdout + result.stderr
    requests = server.requests()[before:]
    metadata = [r for r in requests if r.endswith(".whl.metadata")]
    assert {r.rsplit("/", 1)[1] for r in metadata} == {"meta_dep-1.0-py3-none-any.whl.metadata",
                                                       "dep_leaf-1.0-py3-none-any.whl.metadata"}
    assert not [r for r in requests if r.endswith(".whl")], requests


@pytest.mark.parametrize("client", CLIENTS)
def test_full_install_with_a_dependency(client: str, server: Server, tmp_path: Path) -> None:
    result = install(client, server, tmp_path, "meta-dep")
    assert result.returncode == 0, result.stderr
    assert installed(tmp_path) == {"meta_dep==1.0", "dep_leaf==1.0"}


@pytest.mark.parametrize("client", CLIENTS)
def test_tampered_file_fails_the_index_hash(client: str, server: Server, index_tree: Path, tmp_path: Path) -> None:
    # The index's hash is what a --require-hashes requirement is checked against.
    page = json.loads((index_tree / "simple" / "tampered" / "index.json").read_text())
    digest = page["files"][0]["hashes"]["sha256"]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"tampered==1.0 --hash=sha256:{digest}\n")
    args = ["--require-hashes", "-r", str(requirements)]
    result = install(client, server, tmp_path / "t", *args)
    assert result.returncode != 0
    assert "hash" in (result.stdout + result.stderr).lower()
    assert not (tmp_path / "t").exists() or installed(tmp_path / "t") == set()


@pytest.mark.parametrize("client", CLIENTS)
def test_index_hashes_match_the_served_files(client: str, server: Server, index_tree: Path, tmp_path: Path) -> None:
    lines = []
    for name in ("dep-leaf", "meta-dep"):
        page = json.loads((index_tree / "simple" / name / "index.json").read_text())
        lines.append(f"{name}==1.0 --hash=sha256:{page['files'][0]['hashes']['sha256']}")
    (tmp_path / "requirements.txt").write_text("\n".join(lines) + "\n")
    result = install(client, server, tmp_path / "t", "--require-hashes", "-r", str(tmp_path / "requirements.txt"))
    assert result.returncode == 0, result.stderr
    assert installed(tmp_path / "t") == {"meta_dep==1.0", "dep_leaf==1.0"}


@pytest.mark.parametrize(("client", "message"), [("pip", "THESE PACKAGES DO NOT MATCH THE HASHES"),
                                                 ("uv", "Hash mismatch")])
def test_clients_check_the_index_hash_without_being_asked(client: str, message: str, server: Server,
                                                          tmp_path: Path) -> None:
    # Both verify the hash the index gives (#sha256= fragment) on every download.
    result = install(client, server, tmp_path, "tampered")
    assert result.returncode != 0
    assert message in result.stderr
