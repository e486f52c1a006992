"""`dumb-pypi nginx-config`, run by Debian's nginx on 127.0.0.1 over a generated tree."""

from __future__ import annotations

import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from support.cli import run_cli
from support.indexes import Index
from support.servers import Nginx, get
from support.tools import nginx_bin
from support.trees import manifest

pytestmark = pytest.mark.serve

JSON = "application/vnd.pypi.simple.v1+json"
V1HTML = "application/vnd.pypi.simple.v1+html"
HTML = "text/html"
PIP_ACCEPT = f"{JSON}, {V1HTML}; q=0.1, text/html; q=0.01"

# Accept header -> Content-Type the negotiated page must have.
NEGOTIATION = [
    (None, HTML),  # no header: a browser-like default
    ("*/*", HTML),
    ("text/*", HTML),
    ("text/html", HTML),
    (PIP_ACCEPT, JSON),  # pip and uv
    (f"{JSON}, */*;q=0.1", JSON),  # poetry
    (JSON, JSON),
    ("application/vnd.pypi.simple.latest+json", JSON),
    (V1HTML, V1HTML),
    (f"{JSON};q=0.2, {V1HTML};q=0.3, text/html;q=0.01", V1HTML),
    (f"{JSON};q=0.2, {V1HTML};q=0.1, text/html;q=0.5", HTML),
    (f"{JSON};q=0.5, {V1HTML};q=0.5", JSON),  # tie: JSON first
    (f"text/html;q=0.5, {V1HTML};q=0.500", V1HTML),  # tie: the versioned type
    (f"{JSON};q=0, text/html;q=0.001", HTML),  # q=0 is "not acceptable"
    (f"text/html;q=0, {JSON};q=0.001", JSON),
    (f"{JSON}; charset=utf-8; q=0.9, text/html", HTML),  # parameters before q
    (f"{JSON} ; q=1.0, text/html;q=0.999", JSON),
    ("application/json", HTML),  # nothing we serve: HTML by default (PEP 691 allows it)
]


@pytest.mark.parametrize("accept,expected", NEGOTIATION)
def test_negotiates_by_accept_with_q_values(nginx: Nginx, index: Index, accept: str | None, expected: str) -> None:
    for page in ("simple/", "simple/yanky/"):
        response = get(f"{nginx.url}/{page}", accept=accept)
        assert response.status == 200, (page, accept)
        assert response.headers["content-type"] == expected, (page, accept)
        assert response.headers["vary"] == "Accept"
        assert "max-age=60" in response.headers["cache-control"]
        served_file = "index.json" if expected == JSON else "index.html"
        assert response.body == (index.tree / page / served_file).read_bytes()


def test_json_page_is_the_pep691_document(nginx: Nginx) -> None:
    page = json.loads(get(f"{nginx.url}/simple/yanky/", accept=PIP_ACCEPT).body)
    assert page["name"] == "yanky"
    assert {f["filename"]: f["yanked"] for f in page["files"]} == {
        "yanky-1.0-py3-none-any.whl": False,
        "yanky-2.0-py3-none-any.whl": "broken on purpose",
    }


def test_html_only_mode_never_sends_json(nginx_html: Nginx, index: Index) -> None:
    for accept, expected in [(PIP_ACCEPT, V1HTML), (JSON, HTML), (None, HTML)]:
        response = get(f"{nginx_html.url}/simple/app/", accept=accept)
        assert response.status == 200
        assert response.headers["content-type"] == expected
        assert response.body == (index.tree / "simple/app/index.html").read_bytes()


@pytest.mark.parametrize(
    "spelling",
    ["Dep.Name_Pkg", "DEP-NAME-PKG", "dep_name_pkg", "dep.name.pkg", "Dep__Name..Pkg", "dep--name-_-pkg", "dEp-NaMe-PkG"],
)
def test_old_pip_spellings_reach_the_canonical_page(nginx: Nginx, index: Index, spelling: str) -> None:
    html = get(f"{nginx.url}/simple/{spelling}/")
    assert html.status == 200
    assert html.body == (index.tree / "simple/dep-name-pkg/index.html").read_bytes()
    as_json = get(f"{nginx.url}/simple/{spelling}/", accept=PIP_ACCEPT)
    assert as_json.headers["content-type"] == JSON
    assert json.loads(as_json.body)["name"] == "dep-name-pkg"
    # Without the slash: one redirect, to the canonical URL.
    redirect = get(f"{nginx.url}/simple/{spelling}")
    assert (redirect.status, redirect.headers["location"]) == (301, "/simple/dep-name-pkg/")


def test_long_uppercase_names_are_lowercased(nginx: Nginx) -> None:
    # Many repeats of one letter take several rewrite passes; still a clean 404.
    response = get(f"{nginx.url}/simple/{'A' * 40}/")
    assert response.status == 404


@pytest.mark.parametrize(
    "path",
    [
        "simple/no-such-project/",
        "simple/No.Such_Project/",
        "simple/no-such-project",
        "simple/no-such-project/index.json",
        "packages/",
        "packages/00/",
        "project/",
        "project/no-such-project/",
        "pypi/no-such-project/json",
        ".dumb-pypi/json/simple/app/index.json",  # the internal location is not public
        "no-such-file.html",
    ],
)
def test_unknown_paths_are_404_never_403_or_a_listing(nginx: Nginx, path: str) -> None:
    for accept in (None, PIP_ACCEPT):
        response = get(f"{nginx.url}/{path}", accept=accept)
        assert response.status == 404, path
        # A later deploy may add the file: a miss is never cached.
        assert "cache-control" not in response.headers, path


def test_pool_files_and_metadata(nginx: Nginx, index: Index) -> None:
    files = manifest(index.tree)
    pool = [p for p in files if p.startswith("packages/")]
    assert len(pool) == 2 * len(index.wheels)  # every wheel and its PEP 658 sidecar
    for path in pool:
        response = get(f"{nginx.url}/{path}")
        assert response.status == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.body == (index.tree / path).read_bytes()
        name = path.rsplit("/", 1)[1]
        if name.endswith(".metadata"):
            assert response.headers["content-type"].startswith("text/plain")
            wheel = index.wheels[name[: -len(".metadata")]]
            with zipfile.ZipFile(wheel) as zf:
                metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
                assert response.body == zf.read(metadata)  # byte for byte
        else:
            assert response.headers["content-type"] == "application/zip"
            assert response.body == index.wheels[name].read_bytes()


@pytest.mark.parametrize(
    "path,content_type",
    [
        ("simple/index.html", HTML),
        ("simple/index.json", JSON),
        ("simple/app/index.json", JSON),
        ("pypi/app/json", "application/json"),
        ("pypi/app/1.0/json", "application/json"),
        ("index.html", "text/html; charset=utf-8"),
        ("project/app/", "text/html; charset=utf-8"),
        ("feed.xml", "application/atom+xml"),
        ("manifest.json", "application/json"),
    ],
)
def test_other_pages_have_their_type_and_short_cache(nginx: Nginx, path: str, content_type: str) -> None:
    response = get(f"{nginx.url}/{path}")
    assert response.status == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=60, must-revalidate"


def test_directory_without_slash_redirects(nginx: Nginx) -> None:
    assert get(f"{nginx.url}/simple").headers["location"] == "/simple/"
    assert get(f"{nginx.url}/project/app").headers["location"] == "/project/app/"


def test_head_requests(nginx: Nginx) -> None:
    response = get(f"{nginx.url}/simple/app/", accept=PIP_ACCEPT, method="HEAD")
    assert (response.status, response.headers["content-type"], response.body) == (200, JSON, b"")


def test_config_is_reproducible_and_include_mode_passes_nginx_t(tmp_path: Path) -> None:
    args = ("nginx-config", "--root", str(tmp_path / "site"), "--listen", "127.0.0.1:8081")
    first = run_cli(*args).stdout
    assert first == run_cli(*args).stdout
    assert "\nserver {" in first and "\nhttp {" not in first
    # As an include inside an existing http { } block, the way conf.d/ is used.
    (tmp_path / "site.conf").write_text(first)
    (tmp_path / "nginx.conf").write_text(
        "pid nginx.pid;\nevents {}\nhttp {\n"
        "    client_body_temp_path cb; proxy_temp_path px; fastcgi_temp_path fc; uwsgi_temp_path uw; scgi_temp_path sc;\n"
        "    access_log off;\n"
        f"    include {tmp_path / 'site.conf'};\n}}\n"
    )
    result = subprocess.run(
        [nginx_bin(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["--root", "/srv/my pypi"], "--root '/srv/my pypi'"),
        (["--root", "/srv/x;y"], "--root '/srv/x;y'"),
        (["--root", "/srv/x", "--listen", "localhost:http"], "--listen 'localhost:http'"),
        (["--root", "/srv/x", "--listen", "99999"], "--listen '99999'"),
        (["--root", "/srv/x", "--user", "www-data"], "--user only applies with --standalone"),
    ],
)
def test_bad_options_are_named(args: list[str], message: str) -> None:
    result = run_cli("nginx-config", *args, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "query,accept,expected",
    [
        ("format=application/vnd.pypi.simple.v1%2Bjson", None, JSON),
        ("format=application/vnd.pypi.simple.latest+json", "text/html", JSON),
        ("format=application/vnd.pypi.simple.v1+html", PIP_ACCEPT, V1HTML),
        ("format=text/html", PIP_ACCEPT, HTML),
        ("format=bogus", PIP_ACCEPT, JSON),  # unknown: Accept decides
        ("other=1", PIP_ACCEPT, JSON),
    ],
)
def test_pep691_format_parameter(nginx: Nginx, query: str, accept: str | None, expected: str) -> None:
    response = get(f"{nginx.url}/simple/app/?{query}", accept=accept)
    assert (response.status, response.headers["content-type"]) == (200, expected)


def test_format_parameter_cannot_force_json_in_html_mode(nginx_html: Nginx) -> None:
    response = get(f"{nginx_html.url}/simple/app/?format=application/vnd.pypi.simple.v1%2Bjson")
    assert response.headers["content-type"] == HTML


def test_standalone_config_runs_as_a_normal_user(index: Index, tmp_path: Path) -> None:
    """No --user, no root: nginx started by an unprivileged account serves the tree."""
    import os
    import pwd
    import shutil as sh

    from support.servers import free_port, stop, wait_for_port

    if os.geteuid() != 0:
        runner: list[str] = []  # already a normal user
        home = tmp_path
    else:
        account = pwd.getpwnam("nobody")
        runner = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups", "--"]
        # A world-readable place the account can write its pid and logs to.
        home = Path(tempfile.mkdtemp(prefix="dumb-pypi-nginx-user-"))
        os.chmod(home, 0o755)
    try:
        site = home / "site"
        sh.copytree(index.tree, site)
        prefix = home / "prefix"
        prefix.mkdir()
        if runner:
            for path in (home, site, prefix, *site.rglob("*")):
                os.chown(path, account.pw_uid, account.pw_gid)
        port = free_port()
        config = prefix / "nginx.conf"
        run_cli("nginx-config", "--root", str(site), "--standalone", "--listen", f"127.0.0.1:{port}", "-o", str(config))
        proc = subprocess.Popen(
            [*runner, nginx_bin(), "-p", str(prefix), "-c", str(config), "-e", "stderr"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(port, proc, "nginx as a normal user")
            response = get(f"http://127.0.0.1:{port}/simple/app/", accept=PIP_ACCEPT)
            assert (response.status, response.headers["content-type"]) == (200, JSON)
            assert (prefix / "access.log").exists()
            # nginx wrote its own files as the unprivileged account.
            assert (prefix / "nginx.pid").stat().st_uid == (account.pw_uid if runner else os.geteuid())
        finally:
            stop(proc)
    finally:
        if runner:
            sh.rmtree(home)
