"""End to end: real bazel builds indexes, real pip and uv install from them.

The session builds the example workspace (tests/e2e/example) and this
repository's own //:pypi_index in two checkouts at different paths; the tests
below read those outputs, serve them on 127.0.0.1 and install from them.
"""

from __future__ import annotations

import base64
import email
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import installs
from support.bazel import EXAMPLE_TARGETS, Bazel, BuildResult, Checkout, Session, read_json_stream, sha256_file
from support.installs import clean_env, find_uv
from support.servers import free_port
from support.trees import extract

pytestmark = pytest.mark.bazel


def tree_listing(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def pip_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, env=clean_env())
    return path / "bin"


def pip_install(bindir: Path, index_url: str, *requirements: str) -> subprocess.CompletedProcess[str]:
    return installs.pip_install(bindir / "python", index_url, *requirements, env=clean_env())


def uv_install(path: Path, index_url: str, *requirements: str) -> Path:
    uv = find_uv()
    env = clean_env()
    subprocess.run(
        [uv, "venv", "--no-config", "--python", sys.executable, str(path)], check=True, env=env, capture_output=True
    )
    proc = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--no-config",
            "--no-cache",
            "--python",
            str(path / "bin" / "python"),
            "--index-url",
            index_url,
            *requirements,
        ],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return path / "bin"


# --- what one build produces ------------------------------------------------


def test_tarball_is_the_tree(checkout_a: Checkout, tmp_path: Path) -> None:
    bz = checkout_a.example
    extracted = extract(bz.bin("pypi_index.tar.gz"), tmp_path / "web")
    assert tree_listing(extracted) == tree_listing(bz.bin("pypi_index"))

    manifest = json.loads(bz.bin("pypi_index.manifest.json").read_text())
    assert bz.bin("pypi_index.root_digest").read_text() == manifest["root_digest"] + "\n"
    listing = tree_listing(extracted)
    assert sorted(manifest["files"]) == sorted(p for p in listing if p != "manifest.json")
    for path, entry in manifest["files"].items():
        assert listing[path] == entry["sha256"], path

    # The web root: simple index at simple/, files in the content-addressed pool.
    assert "simple/index.html" in listing
    for project in ("greet", "acme-tools", "six", "packaging"):
        assert f"simple/{project}/index.html" in listing, project
    pool = {p.rsplit("/", 1)[1]: p for p in listing if p.startswith("packages/") and not p.endswith(".metadata")}
    assert sorted(pool) == [
        "acme_tools-0.1.0-py3-none-any.whl",
        "greet-1.1.0-py3-none-any.whl",
        "greet-1.2.0-py3-none-any.whl",
        "packaging-25.0-py3-none-any.whl",
        "six-1.17.0-py2.py3-none-any.whl",
        "six-1.17.0.tar.gz",
    ]
    for filename, path in pool.items():
        digest = listing[path]
        assert path == f"packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{filename}"

    greet = (extracted / "simple/greet/index.html").read_text()
    assert 'data-yanked="broken greeting"' in greet
    assert 'data-requires-python="&gt;=3.9"' in greet


def test_tarball_is_deterministic_gzip(checkout_a: Checkout) -> None:
    data = checkout_a.example.bin("pypi_index.tar.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    assert not data[3] & 0x08, "gzip header must carry no file name"
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = tar.getmembers()
    # Sorted path by path: a directory's entries follow it, children in order.
    assert [m.name for m in members] == sorted((m.name for m in members), key=lambda n: n.split("/"))
    # One fixed mtime for all (not the build clock), no owner.
    assert len({m.mtime for m in members}) == 1
    for m in members:
        assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", ""), m.name


def test_wheel_is_valid_and_fixed(checkout_a: Checkout) -> None:
    wheel = checkout_a.example.bin("greet/greet-1.2.0-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert names == [
            "greet/__init__.py",
            "greet-1.2.0.data/data/etc/greet/greet.conf",
            "greet-1.2.0.dist-info/METADATA",
            "greet-1.2.0.dist-info/WHEEL",
            "greet-1.2.0.dist-info/entry_points.txt",
            "greet-1.2.0.dist-info/RECORD",
        ]
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
            assert info.external_attr >> 16 == 0o100644, info.filename
        rows = [line.split(",") for line in zf.read("greet-1.2.0.dist-info/RECORD").decode().splitlines()]
        assert [r[0] for r in rows] == names
        for name, digest, size in rows[:-1]:
            data = zf.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (f"sha256={expected}", len(data)), name
        metadata = zf.read("greet-1.2.0.dist-info/METADATA").decode()
    assert "Name: greet\nVersion: 1.2.0\n" in metadata
    assert "Requires-Dist: packaging>=21\n" in metadata
    assert "Requires-Python: >=3.9\n" in metadata
    assert metadata.endswith("Says hello. Built by `py_wheel_dist` in the dumb-pypi Bazel example.\n")


def test_own_wheel_mirrors_pyproject(checkout_a: Checkout) -> None:
    """//:dumb_pypi_whl and pyproject.toml describe the same distribution."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((checkout_a.root / "pyproject.toml").read_text())["project"]
    found = re.search(r'__version__ = "([^"]+)"', (checkout_a.root / "dumb_pypi/__init__.py").read_text())
    assert found is not None, "no __version__ in dumb_pypi/__init__.py"
    version = found[1]
    wheel = checkout_a.main.bin(f"dumb_pypi-{version}-py3-none-any.whl")
    assert wheel.exists(), f"the BUILD version of //:dumb_pypi_whl is not dumb_pypi.__version__ ({version})"
    dist_info = f"dumb_pypi-{version}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        metadata = email.message_from_bytes(zf.read(f"{dist_info}/METADATA"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        packaged = sorted(n for n in zf.namelist() if n.startswith("dumb_pypi/"))
    assert metadata["Name"] == project["name"]
    assert metadata["Summary"] == project["description"]
    assert metadata["Requires-Python"] == project["requires-python"]
    requires = metadata.get_all("Requires-Dist") or []
    assert [r for r in requires if "extra ==" not in r] == project["dependencies"]
    extras = project.get("optional-dependencies", {})
    assert sorted(metadata.get_all("Provides-Extra") or []) == sorted(extras)
    for extra, reqs in extras.items():
        assert [f'{r} ; extra == "{extra}"' for r in reqs] == [r for r in requires if f'extra == "{extra}"' in r]
    scripts = "".join(f"{name} = {target}\n" for name, target in sorted(project["scripts"].items()))
    assert entry_points == f"[console_scripts]\n{scripts}"
    sources = sorted(
        p.relative_to(checkout_a.root).as_posix()
        for p in (checkout_a.root / "dumb_pypi").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    assert packaged == sources


def test_packages_url_index_links_elsewhere(checkout_a: Checkout, tmp_path: Path) -> None:
    extracted = extract(checkout_a.example.bin("bucket_index.tar.gz"), tmp_path / "web")
    assert not (extracted / "packages").exists()
    assert (
        "https://bucket.example/pkgs/greet-1.2.0-py3-none-any.whl"
        in (extracted / "simple/greet/index.html").read_text()
    )


# --- real installs --------------------------------------------------------------


def test_pip_and_uv_install_from_example(checkout_a: Checkout, tmp_path: Path, serve: Callable[[Path], str]) -> None:
    url = serve(extract(checkout_a.example.bin("pypi_index.tar.gz"), tmp_path / "web")) + "/simple/"

    pip_bin = pip_venv(tmp_path / "pip")
    proc = pip_install(pip_bin, url, "greet")
    assert proc.returncode == 0, proc.stderr
    assert "greet-1.2.0" in proc.stdout and "packaging-25.0" in proc.stdout
    out = subprocess.run([str(pip_bin / "greet")], capture_output=True, text=True, check=True).stdout
    assert out == "hello from greet 1.2.0; greeting=hi\n"

    # The yanked release is only taken when pinned exactly (PEP 592).
    proc = pip_install(pip_bin, url, "greet<1.2")
    assert proc.returncode != 0 and "greet" in proc.stderr

    uv_bin = uv_install(tmp_path / "uv", url, "acme-tools[greet]")
    out = subprocess.run(
        [str(uv_bin / "python"), "-c", "import acme.tools, greet; print(acme.tools.answer(), greet.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "42 1.2.0\n"


def test_pip_and_uv_install_dumb_pypi_from_root_index(checkout_a: Checkout, tmp_path: Path,
                                                       serve: Callable[[Path], str]) -> None:
    """`bazel build //:pypi_index` gives an index that installs a working CLI, alone."""
    web = extract(checkout_a.main.bin("pypi_index.tar.gz"), tmp_path / "web")
    url = serve(web) + "/simple/"
    pip_bin = pip_venv(tmp_path / "pip")
    proc = pip_install(pip_bin, url, "dumb-pypi")
    assert proc.returncode == 0, proc.stderr
    # Every file of the index is a pure wheel: it installs on any platform and CPython >= 3.9.
    files = sorted(p.name for p in web.glob("packages/*/*/*/*") if not p.name.endswith(".metadata"))
    assert files == [
        "dumb_pypi-2.0.0-py3-none-any.whl",
        "jinja2-3.1.6-py3-none-any.whl",
        "markdown_it_py-3.0.0-py3-none-any.whl",
        "markupsafe-3.0.2+pure-py3-none-any.whl",
        "mdurl-0.1.2-py3-none-any.whl",
        "packaging-25.0-py3-none-any.whl",
    ]
    # The installed CLI really works (with its dependencies): it indexes a
    # wheel of the index it came from; jinja2 renders with the pure MarkupSafe.
    [wheel] = web.glob("packages/*/*/*/packaging-25.0-py3-none-any.whl")
    render = (
        "import jinja2, markupsafe; print(markupsafe._escape_inner.__module__, "
        "jinja2.Environment(autoescape=True).from_string('{{ x }}').render(x='<b>'))"
    )
    for name, bindir in (("pip", pip_bin), ("uv", uv_install(tmp_path / "uv", url, "dumb-pypi"))):
        proc = subprocess.run([str(bindir / "python"), "-c", render], check=False, capture_output=True, text=True)
        assert proc.stdout == "markupsafe._native &lt;b&gt;\n", (name, proc.stderr)
        out = tmp_path / f"out-{name}"
        proc = subprocess.run(
            [str(bindir / "dumb-pypi"), "--output-dir", str(out), "--pool", str(wheel)],
            check=False, capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert "packaging-25.0-py3-none-any.whl" in (out / "simple/packaging/index.html").read_text()


# --- reproducible and cacheable ------------------------------------------------


@pytest.mark.parametrize("which", ["example", "main"])
def test_two_checkouts_same_bytes(checkout_a: Checkout, checkout_b: Checkout, which: str) -> None:
    a, b = getattr(checkout_a, which), getattr(checkout_b, which)
    for output in ("pypi_index.tar.gz", "pypi_index.manifest.json", "pypi_index.root_digest"):
        assert sha256_file(a.bin(output)) == sha256_file(b.bin(output)), output
    # No path of either checkout or output base leaks into the outputs.
    content = gzip.decompress(a.bin("pypi_index.tar.gz").read_bytes())
    for leak in (checkout_a.root, checkout_b.root, a.output_base, b.output_base, Path("/tmp")):
        assert str(leak).encode() not in content, leak


def _fresh_output_base_build(
    session: Session,
    checkout: Checkout,
    name: str,
    flags: list[str],
    tmp_path: Path,
    workspaces: tuple[str, ...] = ("example", "main"),
) -> dict[str, tuple[Bazel, BuildResult, list[dict[str, Any]]]]:
    results = {}
    for which, workspace, targets in (
        ("example", checkout.root / "tests/e2e/example", EXAMPLE_TARGETS),
        ("main", checkout.root, ("//:pypi_index",)),
    ):
        if which not in workspaces:
            continue
        bz = session.bazel(workspace, f"{name}-{which}", flags)
        log = tmp_path / f"{name}-{which}.exec.json"
        result = bz.build(*targets, flags=[f"--execution_log_json_file={log}"])
        results[which] = (bz, result, read_json_stream(log))
    return results


def test_disk_cache_second_output_base_executes_nothing(
    bazel_session: Session, checkout_a: Checkout, checkout_b: Checkout, tmp_path: Path
) -> None:
    results = _fresh_output_base_build(
        bazel_session, checkout_b, "c", [f"--disk_cache={bazel_session.disk_cache}"], tmp_path
    )
    for which, (bz, result, spawns) in results.items():
        assert result.executed == 0, (which, result.processes)
        assert result.processes.get("remote cache hit", 0) > 0, (which, result.processes)
        assert spawns and all(s.get("remoteCacheHit") for s in spawns), which
        assert sha256_file(bz.bin("pypi_index.tar.gz")) == sha256_file(
            getattr(checkout_a, which).bin("pypi_index.tar.gz")
        )


def test_nginx_http_remote_cache(
    bazel_session: Session, checkout_a: Checkout, checkout_b: Checkout, tmp_path: Path
) -> None:
    """A cold output base fills nginx; a fresh one in the other checkout executes nothing."""
    prefix = tmp_path / "nginx"
    (prefix / "cache").mkdir(parents=True)
    (prefix / "logs").mkdir()
    os.chmod(prefix / "cache", 0o777)
    port = free_port()
    conf = prefix / "nginx.conf"
    # Workers must write the cache below pytest's tmp dir, which is 0700.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}worker_processes 1;\n"
        "error_log logs/error.log;\n"
        "pid logs/nginx.pid;\n"
        "events {}\n"
        "http {\n"
        "  access_log off;\n"
        f"  client_body_temp_path {prefix}/body;\n"
        f"  server {{ listen 127.0.0.1:{port};\n"
        f"    location /cache/ {{ root {prefix}; dav_methods PUT; create_full_put_path on;\n"
        "      client_max_body_size 1G; }\n"
        "  }\n"
        "}\n"
    )
    nginx = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])
    try:
        remote = [f"--remote_cache=http://127.0.0.1:{port}/cache"]
        # The example workspace alone: the disk cache test covers both.
        first = _fresh_output_base_build(bazel_session, checkout_a, "d", remote, tmp_path, ("example",))
        assert all(result.executed > 0 for _bz, result, _s in first.values()), "cold build must execute"
        second = _fresh_output_base_build(bazel_session, checkout_b, "e", remote, tmp_path, ("example",))
        for which, (bz, result, spawns) in second.items():
            assert result.executed == 0, (which, result.processes)
            assert spawns and all(s.get("remoteCacheHit") for s in spawns), which
            assert sha256_file(bz.bin("pypi_index.tar.gz")) == sha256_file(
                getattr(checkout_a, which).bin("pypi_index.tar.gz")
            )
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)


def test_one_changed_wheel_reruns_two_actions(bazel_session: Session, checkout_a: Checkout) -> None:
    root = bazel_session.checkout("inc")
    bz = bazel_session.bazel(root / "tests/e2e/example", "inc", [f"--disk_cache={bazel_session.disk_cache}"])
    bz.build("//:pypi_index")
    assert bz.build("//:pypi_index").executed == 0, "no-op rebuild executes nothing"
    tools = root / "tests/e2e/example/acme/tools.py"
    tools.write_text(tools.read_text() + "\n\ndef question() -> str:\n    return 'six times nine'\n")
    result = bz.build("//:pypi_index")
    # The acme wheel (with its record, in the same action), the index: nothing else.
    assert result.executed == 2, result.processes


def test_starlark_tests_pass(checkout_a: Checkout) -> None:
    """The analysis tests (13) and Starlark unit tests (2) under tests/bazel/."""
    result = checkout_a.main.run("test", "//tests/bazel:analysis_tests", "//tests/bazel:unit_tests")
    assert re.search(r"Executed \d+ out of 15 tests: 15 tests pass\.", result.stderr + result.stdout)


def test_docs_are_generated_from_the_rules(checkout_a: Checkout) -> None:
    checkout_a.main.build("//rules:docs")
    generated = checkout_a.main.bin("rules/rules.md").read_text()
    assert generated == (checkout_a.root / "docs/rules.md").read_text(), (
        "docs/rules.md is stale: bazel build //rules:docs && cp bazel-bin/rules/rules.md docs/rules.md"
    )


def test_deploy_subtarget_deploys_the_tarball(checkout_a: Checkout) -> None:
    """`bazel run //:pypi_index.deploy -- DEST`, DEST relative to where bazel runs."""
    bz = checkout_a.example
    bz.run("run", "//:pypi_index.deploy", "--", "deployed/site")
    current = bz.workspace / "deployed/site/current"
    assert current.is_symlink()
    assert tree_listing(current) == tree_listing(bz.bin("pypi_index"))


def test_an_action_imports_the_pinned_dependencies(checkout_a: Checkout) -> None:
    """jinja2, markupsafe (its pure fallback) and markdown-it-py import in an action from the pinned inputs alone."""
    checkout_a.main.build("//tests/bazel:generator_imports")
    report = json.loads(checkout_a.main.bin("tests/bazel/generator_imports.json").read_text())
    assert report == {
        "jinja2": "3.1.6",
        "markdown": "<p><em>hi</em> <b></p>\n",
        "markupsafe_escape": "markupsafe._native",
        "packaging": "25.0",
        "rendered": "<p>&lt;script&gt;</p>",
        "sys_path_entries": 7,
    }


def test_index_kinds_and_tarball_target(checkout_a: Checkout) -> None:
    """`kind(pypi_index, //...)` finds the indexes alone; `<name>.tarball` is the tarball, as a label."""
    bz = checkout_a.example
    found = bz.run("query", "--noshow_progress", "kind(pypi_index, //...)").stdout.split()
    assert sorted(found) == ["//:bucket_index", "//:pypi_index"]
    lines = bz.run("query", "--noshow_progress", "--output=label_kind", "//:all").stdout.splitlines()
    kinds = {label: kind for kind, _rule, label in (line.split(" ") for line in lines)}
    assert {label: kind for label, kind in kinds.items() if label.startswith("//:pypi_index")} == {
        "//:pypi_index": "pypi_index",
        "//:pypi_index.deploy": "dumb_pypi_deploy",
        "//:pypi_index.tarball": "dumb_pypi_tarball",
    }
    result = bz.build("//:pypi_index.tarball")
    assert "bazel-bin/pypi_index.tar.gz" in result.stderr
