"""End to end: real `pants package` builds the example index; the tarball is
served on 127.0.0.1 and real pip installs from it; Bazel builds the same
index from the same files."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.installs import pip_install
from support.pants import Built

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


def test_package_writes_tree_tarball_and_manifest(example_built: Built, extract: Callable[[Path, Path], Path],
                                                  tmp_path: Path) -> None:
    dist = example_built.dist
    tree = listing(dist / "index")
    assert listing(extract(dist / "index.tar.gz", tmp_path / "web")) == tree

    manifest = json.loads((dist / "index.manifest.json").read_text())
    assert manifest == json.loads((dist / "index" / "manifest.json").read_text())
    assert (dist / "index.root_digest").read_text() == manifest["root_digest"] + "\n"
    assert {p: e["sha256"] for p, e in manifest["files"].items()} == {
        p: h for p, h in tree.items() if p != "manifest.json"
    }
    lines = "".join(f"{e['sha256']} {e['size']} {p}\n" for p, e in sorted(manifest["files"].items()))
    assert manifest["root_digest"] == "sha256:" + sha256(lines.encode())

    # Each input, byte for byte, in the content-addressed pool.
    inputs = example_built.inputs()
    assert sorted(inputs) == sorted(INPUTS)
    for name, path in inputs.items():
        h = sha256(path.read_bytes())
        assert tree[f"packages/{h[:2]}/{h[2:4]}/{h[4:]}/{name}"] == h
    for project in ("greet", "shout", "hello-prebuilt"):
        assert f"simple/{project}/index.html" in tree
    assert "Example index" in (dist / "index" / "index.html").read_text()


def test_pip_installs_both_distributions_from_the_served_tarball(
    example_built: Built, extract: Callable[[Path, Path], Path], serve: Callable[[Path], str],
    pip_env: dict[str, str], tmp_path: Path,
) -> None:
    url = serve(extract(example_built.dist / "index.tar.gz", tmp_path / "web"))
    site = tmp_path / "site"
    pip = pip_install(sys.executable, f"{url}/simple/", "--target", str(site), "shout", "hello-prebuilt", env=pip_env)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    # shout requires greet==1.0.0: pip found it in the same index.
    assert "Successfully installed greet-1.0.0 hello-prebuilt-0.1.0 shout-2.1.0" in pip.stdout
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from shout import shout; from hello_prebuilt import hello; print(shout('pants')); print(hello())",
        ],
        env={**pip_env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout == "HELLO, PANTS!\nhello from a prebuilt wheel\n"


def test_clear_errors_from_the_cli(example_built: Built) -> None:
    pants = example_built.pants
    other = pants.buildroot / "errors" / "other"
    other.mkdir(parents=True)
    (other / "hello_prebuilt-0.1.0-py3-none-any.whl").write_bytes(b"not the prebuilt wheel")
    (other / "BUILD").write_text('files(name="files", sources=["*.whl"])\n')
    (other.parent / "BUILD").write_text(
        'pypi_index(name="conflict", dependencies=["prebuilt:files", "errors/other:files"])\n'
        'pypi_index(name="not_a_dist", dependencies=["greet:lib"])\n'
    )
    # Pants stops at the first failing target: one run each (pantsd keeps them cheap).
    conflict = pants.run("package", "errors:conflict", check=False)
    assert conflict.returncode != 0
    for expected in (
        "ConflictingFilesError: pypi_index errors:conflict: two or more inputs have the same filename",
        "* hello_prebuilt-0.1.0-py3-none-any.whl:",
        "errors/other/hello_prebuilt-0.1.0-py3-none-any.whl:files: sha256=" + sha256(b"not the prebuilt wheel"),
        "prebuilt/hello_prebuilt-0.1.0-py3-none-any.whl:files: sha256=69142176",
    ):
        assert expected in conflict.stderr, conflict.stderr[-4000:]
    not_a_dist = pants.run("package", "errors:not_a_dist", check=False)
    assert not_a_dist.returncode != 0
    for expected in (
        "NotADistributionError: pypi_index errors:not_a_dist: these dependencies are not distributions",
        "greet/greet/__init__.py:../lib: a `python_source` target",
    ):
        assert expected in not_a_dist.stderr, not_a_dist.stderr[-4000:]


def _wheel(name: str, version: str) -> bytes:
    """A minimal valid wheel whose bytes are new to every cache (Pants's cache outlives the test)."""
    import io
    import uuid
    import zipfile

    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"# {uuid.uuid4()}\n".encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/RECORD": b"",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _spawned(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Descriptions of this backend's processes that really ran (cache hits spawn nothing)."""
    found = re.findall(r'spawned local process as .*? description: "([^"]*)"', proc.stderr)
    return sorted(d for d in found if d.startswith(("Inspect ", "Build PyPI index")))


def test_records_are_cached_per_file(example_built: Built) -> None:
    """A new index over the example's six files plus one new file runs one
    record process (for the new file) and the index process: the six records
    come from the cache. Without pantsd, so hits come from the persistent cache."""
    pants = example_built.pants
    extra = pants.buildroot / "cache_check"
    extra.mkdir()
    (extra / "extra_dist-0.1-py3-none-any.whl").write_bytes(_wheel("extra_dist", "0.1"))
    (extra / "BUILD").write_text(
        'files(name="extra", sources=["*.whl"])\n'
        'pypi_index(name="more", dependencies=["greet:dist", "shout:dist", "prebuilt:files", ":extra"])\n'
    )
    more = pants.run("-ldebug", "package", "cache_check:more", pantsd=False)
    assert more.stderr.count("Completed: Inspect a distribution file with dumb-pypi") == 7
    assert _spawned(more) == [
        "Build PyPI index cache_check:more from 7 files",
        "Inspect extra_dist-0.1-py3-none-any.whl",
    ]
