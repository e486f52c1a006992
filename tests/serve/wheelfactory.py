"""Tiny real wheels for the serve, deploy and client tests.

Each wheel is a valid zip with METADATA, WHEEL, RECORD and one module, byte
for byte the same on every run (fixed timestamps, sorted members).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["make_wheel", "wheel_filename"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _dist(name: str) -> str:
    """The distribution part of a wheel filename (PEP 427 / binary distribution format)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_filename(name: str, version: str) -> str:
    return f"{_dist(name)}-{version}-py3-none-any.whl"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    summary: str = "",
    code: str | None = None,
) -> Path:
    """Write `<name>-<version>` as a wheel into `directory`; returns its path."""
    dist = _dist(name)
    info = f"{dist}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {req}" for req in requires_dist]
    members = {
        f"{dist}/__init__.py": (code if code is not None else f'VERSION = "{version}"\n').encode(),
        f"{info}/METADATA": ("\n".join(lines) + "\n\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: wheelfactory\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in sorted(members.items()))
    members[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    path = directory / wheel_filename(name, version)
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():  # RECORD last, as installers expect
            entry = zipfile.ZipInfo(member, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return path
