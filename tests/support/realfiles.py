"""Real PyPI files for tests, fetched at test time and pinned by sha256.

The pin list (tests/data/realfiles.txt) names each file with its sha256 and
says how to fetch it: `pip download` by name and version (the default), by
URL, or, for the few that pip cannot download at all, straight from
files.pythonhosted.org. The files are kept in a cache outside the checkout
(`$DUMB_PYPI_REALFILES_CACHE`, default `$XDG_CACHE_HOME/dumb-pypi-tests/realfiles`)
and checked against their sha256 on every use; a missing or different file is
fetched again.

    files = realfiles.corpus()                       # filename -> path in the cache
    realfiles.link_tree(files, tmp_path / "dists")   # a directory of exactly those files

`python -m tests.support.realfiles` fetches what is missing and says what the corpus holds.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PINS", "YANKED", "Pin", "cache_dir", "core_metadata", "corpus", "ensure", "json_lines", "link_tree",
           "pip_env", "read_pins", "sha256_of"]

PINS = Path(__file__).resolve().parents[1] / "data" / "realfiles.txt"

# The build backend pip installs from PyPI to prepare an sdist's metadata
# while downloading it: the corpus's own setuptools, since newer releases no
# longer ship pkg_resources (html5lib-1.1's setup.py imports it).
BUILD_CONSTRAINTS = "setuptools==75.8.0\n"

# Two pip runs at a time, of at most eight files each: most of a run's time
# is preparing each sdist's metadata (a build environment, then the backend),
# which pip does one file after the other.
FETCH_JOBS = 2
RUN_SIZE = 8

# Only these settings of the machine reach pip: how to reach PyPI, never what
# to take from it (extra indexes, find-links, constraints).
_PIP_TRANSPORT = ("PIP_CERT", "PIP_CLIENT_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_PROXY", "PIP_RETRIES")


@dataclass(frozen=True)
class Pin:
    filename: str
    sha256: str
    how: str  # "pip" (by name and version), "pip-url" or "https"
    url: str | None
    line: int

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def name(self) -> str:
        """The project name as the filename spells it."""
        if self.is_wheel:
            return self.filename.split("-")[0]
        return re.split(r"-(?=\d)", self.filename, maxsplit=1)[0]

    @property
    def version(self) -> str:
        """The version as the filename spells it."""
        if self.is_wheel:
            return self.filename.split("-")[1]
        stem = re.sub(r"\.(tar\.gz|tar\.bz2|zip)$", "", self.filename)
        return stem[len(self.name) + 1:]


def read_pins(path: Path = PINS) -> list[Pin]:
    """The pins of a list (`FILENAME SHA256 [pip-url|https URL]  # comment`)."""
    pins = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) not in (2, 4) or not re.fullmatch(r"[0-9a-f]{64}", fields[1]) or (
                len(fields) == 4 and fields[2] not in ("pip-url", "https")):
            raise ValueError(f"{path}:{number}: not FILENAME SHA256 [pip-url|https URL]: {raw!r}")
        how, url = (fields[2], fields[3]) if len(fields) == 4 else ("pip", None)
        if url is not None and url.rsplit("/", 1)[-1] != fields[0]:
            raise ValueError(f"{path}:{number}: the URL does not end in {fields[0]}")
        pins.append(Pin(fields[0], fields[1], how, url, number))
    names = [pin.filename for pin in pins]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: a file is pinned twice")
    return pins


def cache_dir() -> Path:
    configured = os.environ.get("DUMB_PYPI_REALFILES_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dumb-pypi-tests" / "realfiles"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pip_env() -> dict[str, str]:
    """The environment for a pip that must see PyPI and nothing the machine configures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in _PIP_TRANSPORT}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def ensure(pins: Sequence[Pin], cache: Path, *, log: bool = True) -> dict[str, Path]:
    """filename -> its path in `cache`, every one checked against its sha256;
    what is missing or different is fetched first (under a lock, so that two
    test runs sharing the cache do not fetch the same files at once)."""
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        wrong = [pin for pin in pins if not _is_good(cache / pin.filename, pin)]
        if wrong:
            started = time.monotonic()
            _fetch(wrong, cache)
            if log:
                print(f"realfiles: fetched {len(wrong)} of {len(pins)} files into {cache} "
                      f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
        still = [f"{pin.filename} (line {pin.line})" for pin in wrong if not _is_good(cache / pin.filename, pin)]
        if still:
            raise RuntimeError(f"realfiles: not fetched or not matching their sha256: {', '.join(still)}")
    return {pin.filename: cache / pin.filename for pin in pins}


@functools.cache
def corpus() -> dict[str, Path]:
    """The pinned files of tests/data/realfiles.txt in the cache: fetched if
    needed and checked once per test process."""
    return ensure(read_pins(), cache_dir())


def core_metadata(path: Path) -> bytes:
    """The core metadata a distribution file carries: a wheel's
    `*.dist-info/METADATA`, an sdist's top-level `PKG-INFO`."""
    name = path.name
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            return archive.read(_metadata_member(name, members))
    with tarfile.open(path) as archive:
        member = archive.extractfile(_metadata_member(name, archive.getnames()))
        assert member is not None
        return member.read()


def _metadata_member(filename: str, members: Sequence[str]) -> str:
    if filename.endswith(".whl"):
        found = [m for m in members if re.fullmatch(r"[^/]+\.dist-info/METADATA", m)]
    else:
        found = [m for m in members if re.fullmatch(r"[^/]+/PKG-INFO", m)]
    if len(found) != 1:
        raise ValueError(f"{filename}: {len(found)} core metadata files: {found}")
    return found[0]


def link_tree(files: Mapping[str, Path], dest: Path, *, exist_ok: bool = False) -> Path:
    """`dest` holding `files` (hard links where possible, else copies); with
    `exist_ok`, `dest` may exist and a file already there is left as it is."""
    dest.mkdir(parents=True, exist_ok=exist_ok)
    for filename, source in files.items():
        if exist_ok and (dest / filename).exists():
            continue
        try:
            os.link(source, dest / filename)
        except OSError:
            (dest / filename).write_bytes(source.read_bytes())
    return dest


# What the corpus as JSON lines (json_lines()) says is yanked, and why.
YANKED = {"six-1.16.0-py2.py3-none-any.whl": "broken <b>six</b>", "six-1.16.0.tar.gz": "broken <b>six</b>",
          "idna-3.10-py3-none-any.whl": "idna, yanked", "idna-3.10.tar.gz": "idna, yanked"}


def json_lines(pins: Sequence[Pin] | None = None) -> str:
    """A --package-list-json list of the pinned files: their sha256, upload
    times a day apart in the pin list's order, and the YANKED files with their reasons."""
    lines = []
    for number, pin in enumerate(read_pins() if pins is None else pins):
        line: dict[str, object] = {"filename": pin.filename, "hash": f"sha256={pin.sha256}",
                                   "upload_timestamp": 1_600_000_000 + 86_400 * number}
        if pin.filename in YANKED:
            line["yanked_reason"] = YANKED[pin.filename]
        lines.append(json.dumps(line) + "\n")
    return "".join(lines)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_good(path: Path, pin: Pin) -> bool:
    return path.is_file() and sha256_of(path) == pin.sha256


def _fetch(pins: Sequence[Pin], cache: Path) -> None:
    """Fetch `pins` into `cache`, FETCH_JOBS pip runs (or direct downloads) at a time."""
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as scratch:
        work = Path(scratch)
        constraints = work / "build-constraints.txt"
        constraints.write_text(BUILD_CONSTRAINTS)
        jobs: list[Callable[[], None]] = [
            functools.partial(_pip_download, batch, options, work / f"run{number}", cache, constraints)
            for number, (options, batch) in enumerate(_batches([pin for pin in pins if pin.how != "https"]))]
        jobs += [functools.partial(_download, pin, cache) for pin in pins if pin.how == "https"]
        with concurrent.futures.ThreadPoolExecutor(FETCH_JOBS) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()


def _download(pin: Pin, cache: Path) -> None:
    assert pin.url is not None
    with urllib.request.urlopen(pin.url, timeout=120) as response:
        _keep(pin, response.read(), cache)


def _batches(pins: Sequence[Pin]) -> list[tuple[tuple[str, ...], list[Pin]]]:
    """The pins grouped into pip runs: sdists and the wheels that run here;
    the other wheels by interpreter (one run asks for every platform and ABI of
    its wheels: the hash picks the file). At most one file of a project in a
    run, as pip resolves one candidate per name."""
    groups: dict[tuple[str, ...], list[list[Pin]]] = {}
    for pin in pins:
        batches = groups.setdefault(_target(pin)[0], [])
        name = _canonical(pin.name)
        for batch in batches:
            if all(_canonical(other.name) != name for other in batch):
                batch.append(pin)
                break
        else:
            batches.append([pin])
    result = []
    for key, batches in groups.items():
        for whole in batches:
            for start in range(0, len(whole), RUN_SIZE):
                batch = whole[start:start + RUN_SIZE]
                pairs = dict.fromkeys(pair for pin in batch for pair in _target(pin)[1])
                result.append((key + tuple(word for pair in pairs for word in pair), batch))
    return result


def _target(pin: Pin) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """(the pip options of the run that fetches `pin`, the (option, value) pairs it adds to that run).

    The hash picks the file among those of its version, so an sdist needs no
    --no-binary (which would also build the backend pip installs to prepare
    the sdist's metadata from source)."""
    if not pin.is_wheel:
        return (), []
    python, abi, platform = pin.filename[:-len(".whl")].split("-")[-3:]
    if platform == "any" and "py3" in python.split("."):
        return (), []
    # The first interpreter tag: cp27, pp310, py2 -> implementation and version.
    tag = python.split(".")[0]
    digits = tag[2:]
    run = ("--only-binary", ":all:", "--implementation", tag[:2],
           # py2 alone: 2.7, which the files' Requires-Python (">=2.6, <3") accepts and "2" does not.
           "--python-version", f"{digits[0]}.{digits[1:] or 7}")
    extra = [("--platform", name) for name in platform.split(".") if platform != "any"]
    extra += [("--abi", name) for name in abi.split(".") if abi != "none"]
    return run, extra


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_download(batch: Sequence[Pin], options: Sequence[str], work: Path, cache: Path, constraints: Path) -> None:
    work.mkdir()
    requirements = work / "requirements.txt"
    requirements.write_text("".join(
        f"{pin.url if pin.how == 'pip-url' else f'{pin.name}=={pin.version}'} --hash=sha256:{pin.sha256}\n"
        for pin in batch))
    # inprocess-build-deps: pip installs each sdist's build backend itself,
    # not in a pip subprocess (10-13 s instead of 19-23 s for eight sdists
    # here); a feature of recent pips, and .ci/install.sh installs the newest.
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--progress-bar", "off",
               "--use-feature", "inprocess-build-deps",
               "--cache-dir", str(cache / ".pip-cache"), "--build-constraint", str(constraints),
               "--dest", str(work / "out"), *options, "-r", str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True, env=pip_env(), timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"realfiles: {' '.join(command)} exited {result.returncode}:\n{result.stdout[-3000:]}"
                           f"\n{result.stderr[-3000:]}")
    for pin in batch:
        _keep(pin, (work / "out" / pin.filename).read_bytes(), cache)


def _keep(pin: Pin, data: bytes, cache: Path) -> None:
    """Put a fetched file in the cache (atomically), if it is the pinned one."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != pin.sha256:
        raise RuntimeError(f"realfiles: {pin.filename} fetched with sha256 {actual}, pinned {pin.sha256}")
    temporary = cache / f".{pin.filename}.part"
    temporary.write_bytes(data)
    os.replace(temporary, cache / pin.filename)


def _summary(files: Mapping[str, Path]) -> str:
    """How many files of each Metadata-Version and kind, and their size."""
    import email.parser
    from collections import Counter

    versions = Counter(email.parser.BytesHeaderParser().parsebytes(core_metadata(path))["Metadata-Version"]
                       for path in files.values())
    kinds = Counter(next(k for k in (".whl", ".tar.gz", ".tar.bz2", ".zip") if name.endswith(k)) for name in files)
    size = sum(path.stat().st_size for path in files.values())
    return (f"{len(files)} files, {size / 2**20:.1f} MiB; Metadata-Version: "
            + ", ".join(f"{v} x{n}" for v, n in sorted(versions.items()))
            + "; " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    # python -m tests.support.realfiles: fetch what is missing, check everything, say what there is.
    print(_summary(corpus()))
