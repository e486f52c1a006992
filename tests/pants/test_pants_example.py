"""End to end: real `pants package` builds the example index; the tarball is
served on 127.0.0.1 and real pip installs from it; Bazel builds the same
index from the same files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pants

REPO = Path(__file__).resolve().parents[2]
INPUTS = (
    "greet-1.0.0-py3-none-any.whl",
    "greet-1.0.0.tar.gz",
    "hello_prebuilt-0.1.0-py3-none-any.whl",
    "hello_prebuilt-0.1.0.tar.gz",
    "shout-2.1.0-py3-none-any.whl",
    "shout-2.1.0.tar.gz",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def input_files(built) -> dict[str, Path]:
    """The distribution files the index was made of: Pants-built ones from dist/, prebuilt ones."""
    found = {p.name: p for p in built.dist.iterdir() if p.name != "index.tar.gz" and p.is_file()}
    found.update({p.name: p for p in (built.pants.buildroot / "prebuilt").iterdir() if p.suffix in (".whl", ".gz")})
    return found


def test_package_writes_tree_tarball_and_manifest(example_built, extract, tmp_path: Path) -> None:
    dist = example_built.dist
    tree = listing(dist / "index")
    assert listing(extract(dist / "index.tar.gz", tmp_path / "web")) == tree

    manifest = json.loads((dist / "index.manifest.json").read_text())
    assert manifest == json.loads((dist / "index" / "manifest.json").read_text())
    assert {p: e["sha256"] for p, e in manifest["files"].items()} == {p: h for p, h in tree.items() if p != "manifest.json"}
    lines = "".join(f"{e['sha256']} {e['size']} {p}\n" for p, e in sorted(manifest["files"].items()))
    assert manifest["root_digest"] == "sha256:" + sha256(lines.encode())

    # Each input, byte for byte, in the content-addressed pool.
    inputs = input_files(example_built)
    assert sorted(inputs) == sorted(INPUTS)
    for name, path in inputs.items():
        h = sha256(path.read_bytes())
        assert tree[f"packages/{h[:2]}/{h[2:4]}/{h[4:]}/{name}"] == h
    for project in ("greet", "shout", "hello-prebuilt"):
        assert f"simple/{project}/index.html" in tree
    assert "Example index" in (dist / "index" / "index.html").read_text()


def test_pip_installs_both_distributions_from_the_served_tarball(
    example_built, extract, serve, tmp_path: Path
) -> None:
    from conftest import clean_env

    url = serve(extract(example_built.dist / "index.tar.gz", tmp_path / "web"))
    site = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir", "--disable-pip-version-check",
         "--target", str(site), "--index-url", f"{url}/simple/", "shout", "hello-prebuilt"],
        env=clean_env(), capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    # shout requires greet==1.0.0: pip found it in the same index.
    assert "Successfully installed greet-1.0.0 hello-prebuilt-0.1.0 shout-2.1.0" in pip.stdout
    run = subprocess.run(
        [sys.executable, "-c", "from shout import shout; from hello_prebuilt import hello; print(shout('pants')); print(hello())"],
        env={**clean_env(), "PYTHONPATH": str(site)}, capture_output=True, text=True, check=True,
    )
    assert run.stdout == "HELLO, PANTS!\nhello from a prebuilt wheel\n"


def test_clear_errors_from_the_cli(example_built) -> None:
    pants = example_built.pants
    other = pants.buildroot / "errors" / "other"
    other.mkdir(parents=True)
    (other / "hello_prebuilt-0.1.0-py3-none-any.whl").write_bytes(b"not the prebuilt wheel")
    (other / "BUILD").write_text('files(name="files", sources=["*.whl"])\n')
    (other.parent / "BUILD").write_text(
        'pypi_index(name="conflict", dependencies=["prebuilt:files", "errors/other:files"])\n'
        'pypi_index(name="not_a_dist", dependencies=["greet:lib"])\n'
    )
    proc = pants.run("package", "errors:conflict", "errors:not_a_dist", check=False)
    assert proc.returncode != 0
    for expected in (
        "ConflictingFilesError: pypi_index errors:conflict: two or more inputs have the same filename",
        "* hello_prebuilt-0.1.0-py3-none-any.whl:",
        "errors/other:files: sha256=" + sha256(b"not the prebuilt wheel"),
        "prebuilt:files: sha256=",
        "NotADistributionError: pypi_index errors:not_a_dist: these dependencies are not distributions",
        "greet/greet/__init__.py:lib: a `python_source` target",
    ):
        assert expected in proc.stderr, proc.stderr[-4000:]
