"""Project name, version and kind from any distribution filename.

PyPI has accepted many formats over the years: wheels, sdists, eggs,
bdist_wininst/msi installers, bdist_dumb archives with a platform suffix, RPMs
and DMGs. Each has its own layout; this module reads the name and version out
of all of them, so no file is lost just because its format is old.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from packaging.version import VERSION_PATTERN

from dumb_pypi.errors import InvalidFilename

__all__ = ["DIST_SUFFIXES", "READABLE_SUFFIXES", "SDIST_SUFFIXES", "WHEEL_SUFFIX", "ParsedFilename", "canonical_name", "is_valid_version",
           "parse_filename", "split_at_name"]


class ParsedFilename(NamedTuple):
    name: str  # as spelled in the filename; see canonical_name()
    version: str | None
    packagetype: str  # the legacy JSON API's term: sdist, bdist_wheel, ...


# Every suffix of a distribution file, compared case-insensitively (the one
# list: rules/private/record.bzl mirrors it, and a test checks that they agree).
WHEEL_SUFFIX = ".whl"
# Source archives whose PKG-INFO can be read (inputs/files.py opens these).
SDIST_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip")
# What `dumb-pypi record` reads metadata from (and the Bazel rules accept).
READABLE_SUFFIXES = (WHEEL_SUFFIX, *SDIST_SUFFIXES)
# Archives PyPI has served that we index by name only.
_OTHER_ARCHIVES = (".tar.zst", ".tar.z", ".tbz")
# Legacy installers and eggs, by the legacy JSON API's package type.
_INSTALLER_TYPES = {".egg": "bdist_egg", ".exe": "bdist_wininst", ".msi": "bdist_msi", ".rpm": "bdist_rpm", ".dmg": "bdist_dmg"}
DIST_SUFFIXES = (WHEEL_SUFFIX, *SDIST_SUFFIXES, *_OTHER_ARCHIVES, *_INSTALLER_TYPES)
# Longest first, so ".tar.gz" wins over ".gz".
_ARCHIVE_SUFFIXES = sorted((*SDIST_SUFFIXES, *_OTHER_ARCHIVES), key=len, reverse=True)

# The platform part that distutils appended to bdist_* names ("foo-1.0.win32.exe",
# "foo-1.0.linux-x86_64.tar.gz", "foo-1.0.macosx-10.5-intel.tar.gz").
_PLATFORM = (
    r"(?:win32|win-amd64|win-arm64|win-ia64|linux-[a-z0-9_]+|linux\d*"
    r"|macosx-\d+(?:\.\d+)*-[a-z0-9_]+|macosx\d+(?:\.\d+)*|darwin-[\w.]+"
    r"|cygwin-[\w.]+|freebsd-[\w.]+-release(?:-p\d+)?-[a-z0-9_]+|openbsd-[\w.]+|solaris-[\w.]+|sunos-[\w.]+)"
)
_PY_TAG = r"py\d+(?:\.\d+)?"
# "name-version.PLATFORM[-pyX.Y]" (bdist_wininst, bdist_msi, bdist_dumb).
_PLATFORM_SUFFIX = rf"^(?P<stem>.+?)\.(?:{_PLATFORM})(?:-{_PY_TAG})?$"
# "name-version-pyX.Y[-PLATFORM]" (dmg, some installers).
_PY_SUFFIX = rf"^(?P<stem>.+?)-{_PY_TAG}(?:-{_PLATFORM})?$"
_RPM_ARCH_RE = re.compile(r"\.[a-z0-9_]+$", re.IGNORECASE)
_VALID_VERSION = rf"^\s*{VERSION_PATTERN}\s*$"
# The three large patterns above are compiled by re.match() at first use (and
# kept in re's cache): a partial rebuild parses a few names, and would spend
# more on compiling them at import than on everything else it parses.
_NORMALIZE_RE = re.compile(r"[-_.\s]+")
_CANONICAL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9+!~-]*[a-z0-9+])?$")


def is_valid_version(version: str) -> bool:
    """Whether `version` is a PEP 440 version."""
    return re.match(_VALID_VERSION, version, re.VERBOSE | re.IGNORECASE) is not None


_canonical_cache: dict[str, str] = {}


def canonical_name(name: str) -> str:
    """The PEP 503 normalised name; whitespace counts as a separator too.

    A few legacy files have spaces in their names ("nicolas nester-1.0.zip");
    they are still indexed, under the name a requirement would spell.
    """
    canonical = _canonical_cache.get(name)
    if canonical is None:
        canonical = _canonical_cache[name] = _canonicalize(name)
    return canonical


def _canonicalize(name: str) -> str:
    canonical = _NORMALIZE_RE.sub("-", name).lower().strip("-")
    if not _CANONICAL_RE.match(canonical):
        raise InvalidFilename(f"{name!r} is not a usable project name")
    if len(canonical) > 200:
        raise InvalidFilename(f"project name {name[:40]!r}... is longer than 200 characters")
    return canonical


def _starts_like_version(part: str) -> bool:
    """"1.0", "2to3" or "v1.4": a digit, or a "v" and a digit."""
    return part[:1].isdigit() or (part[:1] in "vV" and part[1:2].isdigit())


def _split_name_version(stem: str) -> tuple[str, str | None]:
    """Split "name-version" where both parts may contain dashes.

    Prefer the leftmost split whose remainder is a PEP 440 version ("foo-2to3-1.0"
    gives "foo-2to3", "1.0"); then the leftmost part that starts with a digit.
    """
    parts = stem.split("-")
    if len(parts) <= 2:  # the common case: one dash
        return (parts[0], parts[1]) if len(parts) == 2 else (stem, None)
    starts = [i for i in range(1, len(parts)) if _starts_like_version(parts[i])]
    for i in starts:
        if is_valid_version("-".join(parts[i:])):
            return "-".join(parts[:i]), "-".join(parts[i:])
    if starts:
        return "-".join(parts[:starts[0]]), "-".join(parts[starts[0]:])
    return stem, None


# Cheap test before the full regexes: most names carry no platform at all.
_PLATFORM_MARKER_RE = re.compile(r"-py|\.(?:win|linux|macosx|darwin|cygwin|freebsd|openbsd|solaris|sunos)", re.IGNORECASE)


def _strip_platform(stem: str) -> tuple[str, bool]:
    if not _PLATFORM_MARKER_RE.search(stem):
        return stem, False
    for pattern in (_PLATFORM_SUFFIX, _PY_SUFFIX):
        match = re.match(pattern, stem, re.IGNORECASE)
        if match:
            return match.group("stem"), True
    return stem, False


def _parse(filename: str) -> tuple[str, str | None, str]:
    lower = filename.lower()
    dot = lower.rfind(".")
    extension = lower[dot:] if dot >= 0 else ""
    if extension == WHEEL_SUFFIX:
        # name-version[-build]-python-abi-platform.whl; the name has no dashes.
        parts = filename[:-4].split("-")
        if len(parts) < 2:
            raise InvalidFilename("a wheel name needs at least name-version")
        return parts[0], parts[1], "bdist_wheel"
    packagetype = _INSTALLER_TYPES.get(extension)
    if packagetype is not None:
        stem = filename[:dot]
        if packagetype == "bdist_egg":
            # name-version[-pyX.Y[-platform]].egg; dashes in parts are escaped as "_".
            name, _, rest = stem.partition("-")
            if rest[:1].isdigit() or not rest:
                return name, rest.split("-")[0] or None, packagetype
            # A legacy egg whose name kept its dashes ("functional-Py-0.7.0-py2.4.egg").
            return (*_split_name_version(_strip_platform(stem)[0]), packagetype)
        if packagetype == "bdist_rpm":
            # name-version-release.arch.rpm
            stem = _RPM_ARCH_RE.sub("", stem)
            stem = stem.rsplit("-", 1)[0] if stem.count("-") >= 2 else stem
        else:
            stem, _ = _strip_platform(stem)
        return (*_split_name_version(stem), packagetype)
    for suffix in _ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            stem, has_platform = _strip_platform(filename[: -len(suffix)])
            return (*_split_name_version(stem), "bdist_dumb" if has_platform else "sdist")
    raise InvalidFilename("not a distribution file (unknown extension)")


def split_at_name(filename: str, name: str) -> ParsedFilename | None:
    """`filename` (an sdist's) read as project `name` and the rest as its
    version, when it starts with a spelling of that name and a dash: the
    metadata says where an old name with dashes ends ("ddlib-2013-11-12.tar.gz"
    is ddlib 2013-11-12, which the name alone cannot tell)."""
    lower = filename.lower()
    suffix = next((suffix for suffix in SDIST_SUFFIXES if lower.endswith(suffix)), None)
    if suffix is None:
        return None
    stem = filename[:-len(suffix)]
    wanted = canonical_name(name)
    for at, char in enumerate(stem):
        if char == "-" and stem[at + 1:].strip() and _NORMALIZE_RE.sub("-", stem[:at]).lower().strip("-") == wanted:
            return ParsedFilename(stem[:at], stem[at + 1:].strip(), "sdist")
    return None


def parse_filename(filename: str) -> ParsedFilename:
    """Read the project name, version and package type from a filename.

    Raises InvalidFilename when no project name can be read.
    """
    name, version, packagetype = _parse(filename)
    if version is not None:
        version = version.strip() or None
    if not name.strip():
        raise InvalidFilename("no project name before the version")
    return ParsedFilename(name, version, packagetype)
