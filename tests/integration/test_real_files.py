"""The generator over real PyPI files (tests/data/realfiles.txt, fetched at
test time by tests/support/realfiles.py), built in each layout a user can
choose:

  pool      --package-dir DIR --pool: the files copied into the tree
  relative  --package-dir DIR --packages-url ../../pool/, the files then
            deployed to OUT/pool/ (the layout that once advertised PEP 658
            metadata it did not serve)
  absolute  --package-dir DIR --packages-url http://127.0.0.1:PORT/files/,
            the files served by another server

Every file is indexed under the project and version PyPI gives it, and every
file and PEP 658 metadata file a page advertises is served, byte for byte.
Real clients install from these layouts in test_real_installs.py.
"""

from __future__ import annotations

import email.message
import email.parser
import hashlib
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from support import realfiles, simplepages
from support.cli import run_cli
from support.servers import Server, http_server

LAYOUTS = ["pool", "relative", "absolute"]


def _headers(path: Path) -> email.message.Message:
    return email.parser.BytesHeaderParser().parsebytes(realfiles.core_metadata(path))


def filename_version(filename: str, project: str) -> str:
    """The version a filename gives, split off after the project name its metadata gives."""
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    stem = re.sub(r"\.(tar\.gz|tar\.bz2|zip)$", "", filename)
    assert canonicalize_name(stem[:len(project)]) == canonicalize_name(project), (filename, project)
    return stem[len(project) + 1:]


def same_version(a: str, b: str) -> bool:
    """Equal as PEP 440 versions, or as strings when either is not one."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@pytest.fixture(scope="module")
def corpus() -> dict[str, Path]:
    return realfiles.corpus()


@pytest.fixture(scope="module")
def metadata(corpus: dict[str, Path]) -> dict[str, tuple[str, str]]:
    """filename -> (Name, Version) of its core metadata."""
    return {filename: (_headers(path)["Name"], _headers(path)["Version"]) for filename, path in corpus.items()}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realfiles")


@pytest.fixture(scope="module")
def files_server(corpus: dict[str, Path], work: Path) -> Iterator[Server]:
    """The files alone, at <url>/files/ (where the absolute layout's links point)."""
    realfiles.link_tree(corpus, work / "files-root" / "files")
    with http_server(work / "files-root", work / "files.log") as server:
        yield server


@pytest.fixture(scope="module")
def built(corpus: dict[str, Path], work: Path,
          files_server: Server) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """layout -> (the web root, the build's result)."""
    dists = realfiles.link_tree(corpus, work / "dists")
    layouts = {"pool": ["--pool"], "relative": ["--packages-url", "../../pool/"],
               "absolute": ["--packages-url", f"{files_server.url}/files/"]}
    result = {}
    for layout, flags in layouts.items():
        out = work / layout
        result[layout] = (out, run_cli("--package-dir", dists, *flags, "--output-dir", out, check=False))
        if layout == "relative":  # deployed where the links point, beside whatever the build put there
            realfiles.link_tree(corpus, out / "pool", exist_ok=True)
    return result


@pytest.fixture(scope="module")
def servers(built: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], work: Path) -> Iterator[dict[str, Server]]:
    with ExitStack() as stack:
        yield {layout: stack.enter_context(http_server(out, work / f"{layout}.log"))
               for layout, (out, _) in built.items()}


def test_the_corpus_spans_metadata_archives_tags_and_legacy_versions(
        corpus: dict[str, Path], metadata: dict[str, tuple[str, str]]) -> None:
    versions = Counter(_headers(path)["Metadata-Version"] for path in corpus.values())
    assert set(versions) >= {"1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4"}, versions
    kinds = Counter(next(kind for kind in (".tar.gz", ".tar.bz2", ".zip", ".whl") if name.endswith(kind))
                    for name in corpus)
    assert all(kinds[kind] >= 3 for kind in (".tar.gz", ".tar.bz2", ".zip", ".whl")), kinds
    tags = {tag for name in corpus if name.endswith(".whl") for part in name[:-4].split("-")[-3:]
            for tag in part.split(".")}
    assert tags >= {"cp27mu", "manylinux1_x86_64", "py2", "py3", "win32", "macosx_10_6_intel",
                    "manylinux_2_17_x86_64", "musllinux_1_1_x86_64", "abi3", "cp313", "cp313t", "pypy310_pp73"}, tags
    assert len(corpus) >= 100
    assert sum(path.stat().st_size for path in corpus.values()) < 40 * 2**20
    legacy = [name for name, (project, _) in metadata.items() if not _is_pep440(filename_version(name, project))]
    assert len(legacy) >= 4, legacy


def test_the_cache_fetches_again_a_file_that_is_missing_or_not_the_pinned_one(corpus: dict[str, Path],
                                                                               tmp_path: Path) -> None:
    # One file fetched by pip, one directly; the cache holds a third, as pinned.
    pins = [pin for pin in realfiles.read_pins() if pin.filename in (
        "six-1.16.0-py2.py3-none-any.whl", "django-admin-skel-1.0.0p1.tar.bz2", "calver-2022.6.26-py3-none-any.whl")]
    assert sorted(pin.how for pin in pins) == ["https", "pip", "pip"]
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "six-1.16.0-py2.py3-none-any.whl").write_bytes(b"not six")
    kept = cache / "calver-2022.6.26-py3-none-any.whl"
    kept.write_bytes(corpus[kept.name].read_bytes())
    before = kept.stat().st_mtime_ns, kept.stat().st_ino
    found = realfiles.ensure(pins, cache, log=False)
    assert {name: realfiles.sha256_of(path) for name, path in found.items()} == \
        {pin.filename: pin.sha256 for pin in pins}
    assert (kept.stat().st_mtime_ns, kept.stat().st_ino) == before


def test_each_pip_run_asks_for_one_file_of_a_project() -> None:
    runs = realfiles._batches([pin for pin in realfiles.read_pins() if pin.how != "https"])
    asked = [pin.filename for _, batch in runs for pin in batch]
    assert sorted(asked) == sorted(pin.filename for pin in realfiles.read_pins() if pin.how != "https")
    for options, batch in runs:
        names = [canonicalize_name(pin.name) for pin in batch]
        assert len(set(names)) == len(names), (options, names)
    # A wheel that does not run here is asked for with its tags.
    options_of = {pin.filename: options for options, batch in runs for pin in batch}
    wheel = " ".join(options_of["MarkupSafe-1.1.1-cp27-cp27mu-manylinux1_x86_64.whl"])
    for option in ("--implementation cp", "--python-version 2.7", "--platform manylinux1_x86_64", "--abi cp27mu"):
        assert option in wheel, wheel


def _is_pep440(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_file_is_indexed_under_its_project_and_version(
        layout: str, built: dict[str, tuple[Path, subprocess.CompletedProcess[str]]],
        metadata: dict[str, tuple[str, str]]) -> None:
    out, result = built[layout]
    assert result.returncode == 0, result.stderr
    missing = [line for line in result.stderr.splitlines() if "refused" in line]
    for filename, (name, _) in sorted(metadata.items()):
        project = canonicalize_name(name)
        page = out / "simple" / project / "index.html"
        legacy_json = out / "pypi" / project / "json"
        if not page.is_file() or f">{filename}</a>" not in page.read_text():
            missing.append(f"{filename}: not on simple/{project}/")
            continue
        releases = json.loads(legacy_json.read_text())["releases"]
        under = [version for version, files in releases.items() if filename in [f["filename"] for f in files]]
        expected = filename_version(filename, name)
        if len(under) != 1 or not same_version(under[0], expected):
            missing.append(f"{filename}: under releases {under} of pypi/{project}/json, not {expected!r}")
    assert not missing, "\n".join(missing)


def test_a_strict_build_refuses_nothing(corpus: dict[str, Path], tmp_path: Path) -> None:
    dists = realfiles.link_tree(corpus, tmp_path / "dists")
    result = run_cli("--package-dir", dists, "--pool", "--output-dir", tmp_path / "out", "--strict", check=False)
    assert result.returncode == 0, result.stderr


def test_legacy_sdists_are_indexed_under_the_filename_version_with_a_warning(
        built: dict[str, tuple[Path, subprocess.CompletedProcess[str]]],
        metadata: dict[str, tuple[str, str]]) -> None:
    # PyPI took these sdists although PKG-INFO says another version than the
    # filename; installers go by the filename (hug-1.1.0-1: 1.1.0.post1).
    disagree = {filename: (name, version, filename_version(filename, name))
                for filename, (name, version) in metadata.items()
                if not filename.endswith(".whl") and not same_version(version, filename_version(filename, name))}
    assert sorted(disagree) == ["hug-1.1.0-1.tar.gz", "jinja2-django-tags-0.4-1.tar.gz"]
    stderr = built["pool"][1].stderr.splitlines()
    for filename, (name, in_metadata, in_filename) in disagree.items():
        assert not [line for line in stderr if filename in line and "refused" in line], stderr
        # A line names the file (or its project) and both versions: the
        # metadata's also outside the filename's spelling of it.
        assert [line for line in stderr if (filename in line or name in line) and in_filename in line
                and in_metadata in line.replace(filename, "").replace(in_filename, "")], (filename, stderr)
        releases = json.loads((built["pool"][0] / "pypi" / canonicalize_name(name) / "json").read_text())["releases"]
        under = [version for version, files in releases.items() if filename in [f["filename"] for f in files]]
        assert len(under) == 1 and same_version(under[0], in_filename), (filename, under)


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_records_give_the_tree_the_files_give(corpus: dict[str, Path], metadata: dict[str, tuple[str, str]],
                                             tmp_path: Path) -> None:
    # What the Bazel and Pants rules do (one `dumb-pypi record` per file, then
    # --record-list) against --package-dir, for the files whose filename
    # spells their version in a way of its own (one process per record: not
    # all 106), and three plain ones.
    def unusual(filename: str) -> bool:
        version = filename_version(filename, metadata[filename][0])
        return not _is_pep440(version) or str(Version(version)) != version
    chosen = sorted(name for name in corpus if unusual(name)) + [
        "six-1.16.0-py2.py3-none-any.whl", "six-1.16.0.tar.gz", "MarkupSafe-1.1.1-cp27-cp27m-win32.whl"]
    assert len(chosen) >= 15 and "hug-1.1.0-1.tar.gz" in chosen and "ddlib-2013-11-12.tar.gz" in chosen
    dists = realfiles.link_tree({name: corpus[name] for name in chosen}, tmp_path / "dists")
    entries, refused = [], []
    for name in chosen:
        record = tmp_path / f"{name}.record.json"
        result = run_cli("record", dists / name, "--output", record, check=False)
        if result.returncode != 0:
            refused.append(result.stderr.strip())
        entries.append({"record": str(record), "file": str(dists / name), "origin": name})
    assert not refused, "\n".join(refused)
    (tmp_path / "records.json").write_text(json.dumps(entries))
    run_cli("--record-list", tmp_path / "records.json", "--pool", "--output-dir", tmp_path / "from-records")
    run_cli("--package-dir", dists, "--pool", "--output-dir", tmp_path / "from-files")
    assert _tree(tmp_path / "from-records") == _tree(tmp_path / "from-files")


def _get(url: str) -> bytes | str:
    """The body, or why there is none."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_advertised_file_and_metadata_file_is_served(
        layout: str, built: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], servers: dict[str, Server],
        corpus: dict[str, Path]) -> None:
    out, _ = built[layout]
    pins = {pin.filename: pin.sha256 for pin in realfiles.read_pins()}
    links = simplepages.links(out, servers[layout].url)
    assert len({link.filename for link in links}) >= 100  # which files are indexed: the test above
    fetched: dict[str, bytes | str] = {}

    def fetch(url: str) -> bytes | str:
        if url not in fetched:
            fetched[url] = _get(url)
        return fetched[url]

    problems = []
    for link in links:
        where = f"{link.page}: {link.filename}"
        if link.sha256 != pins[link.filename]:
            problems.append(f"{where}: the link gives sha256 {link.sha256}, the file has {pins[link.filename]}")
        body = fetch(link.url)
        if isinstance(body, str) or hashlib.sha256(body).hexdigest() != pins[link.filename]:
            problems.append(f"{where}: {link.url} gives {body if isinstance(body, str) else 'other bytes'}")
        if link.dist_info_metadata is not None and link.dist_info_metadata != link.core_metadata:
            problems.append(f"{where}: dist-info-metadata {link.dist_info_metadata} but core-metadata "
                            f"{link.core_metadata}")
        if link.core_metadata is None:
            continue
        sidecar = fetch(link.url + ".metadata")
        if isinstance(sidecar, str):
            problems.append(f"{where}: advertises {link.core_metadata}, {link.url}.metadata gives {sidecar}")
        elif link.core_metadata not in ("true", f"sha256={hashlib.sha256(sidecar).hexdigest()}"):
            problems.append(f"{where}: advertises {link.core_metadata}, {link.url}.metadata has another sha256")
        elif sidecar != realfiles.core_metadata(corpus[link.filename]):
            problems.append(f"{where}: {link.url}.metadata is not the file's own core metadata")
    assert not problems, f"{len(problems)} problems, the first ones:\n" + "\n".join(problems[:12])
    if layout == "pool":  # today's pool layout advertises every wheel's metadata
        assert all(link.core_metadata for link in links if link.filename.endswith(".whl"))


def test_json_lines_mark_yanked_files_and_give_upload_times(corpus: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "packages.jsonl").write_text(realfiles.json_lines())
    run_cli("--package-list-json", tmp_path / "packages.jsonl", "--packages-url", "../../pool/",
            "--output-dir", tmp_path / "out")
    stamps = {json.loads(line)["filename"]: json.loads(line)["upload_timestamp"]
              for line in (tmp_path / "packages.jsonl").read_text().splitlines()}
    links = simplepages.links(tmp_path / "out", "http://index.example/")
    assert {link.filename for link in links} == set(corpus)
    for link in links:
        assert link.yanked == realfiles.YANKED.get(link.filename), link
        if link.page.endswith(".json"):
            assert link.upload_time is not None, link
            when = datetime.fromisoformat(link.upload_time.replace("Z", "+00:00"))
            assert when == datetime.fromtimestamp(stamps[link.filename], timezone.utc), link
