"""Sort keys that order PEP 440 and legacy versions together.

A legacy version ("1.4.2_2", "0.9-SNAPSHOT", "2.0-alpha-1743-ce6254b") sorts
right after the longest PEP 440 version it starts with, so it lands among its
neighbours instead of at one end of the list.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

__all__ = ["VersionKey", "clear_cache", "natural_key", "version_key"]

# (release, 0 for an exact PEP 440 version / 1 for a legacy one, legacy rest)
VersionKey = tuple[Version, int, tuple[tuple[int, str], ...]]

_LEADING_VERSION_RE = re.compile(r"^v?\d+(?:\.\d+)*", re.IGNORECASE)
_DIGITS_RE = re.compile(r"(\d+)")
_NO_VERSION = Version("0")
_cache: dict[str | None, VersionKey] = {}


def natural_key(text: str) -> tuple[tuple[int, str], ...]:
    """"a10" after "a9": digit runs compare as numbers, the rest as text."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in _DIGITS_RE.split(text) if part)


def _compute(version: str | None) -> VersionKey:
    if version is None:
        return (_NO_VERSION, -1, ())
    try:
        return (Version(version), 0, ())
    except InvalidVersion:
        pass
    # Egg and wheel names escape "-" as "_": "1.4.2_2" means "1.4.2-2".
    try:
        return (Version(version.replace("_", "-")), 1, natural_key(version))
    except InvalidVersion:
        pass
    match = _LEADING_VERSION_RE.match(version)
    prefix = Version(match.group(0)) if match else _NO_VERSION
    return (prefix, 1, natural_key(version))


def clear_cache() -> None:
    """Free the cached keys (thousands of Version objects) once sorting is done."""
    _cache.clear()


def version_key(version: str | None) -> VersionKey:
    """The sort key of a version string (None sorts first); cached."""
    key = _cache.get(version)
    if key is None:
        key = _cache[version] = _compute(version)
    return key
