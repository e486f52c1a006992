"""Build small but real wheels and sdists for tests (valid RECORD, METADATA)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterable, Mapping

__all__ = ["core_metadata", "make_sdist", "make_wheel"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def core_metadata(name: str, version: str, *, requires_dist: Iterable[str] = (), requires_python: str | None = None,
                  summary: str | None = None, metadata_version: str = "2.1",
                  fields: Iterable[tuple[str, str]] = (), description: str = "") -> str:
    """`fields`: more headers, in order (("Classifier", "..."), ("Project-URL", "Docs, https://...")).
    `description`: the message body (the long description)."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires_dist)
    lines.extend(f"{field}: {value}" for field, value in fields)
    return "\n".join(lines) + "\n\n" + description


def _escape(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def make_wheel(directory: str, name: str, version: str, *, requires_dist: Iterable[str] = (),
               requires_python: str | None = None, summary: str | None = None,
               modules: Mapping[str, str] | None = None, metadata_name: str | None = None,
               metadata_version: str | None = None, tag: str = "py3-none-any",
               fields: Iterable[tuple[str, str]] = (), description: str = "") -> str:
    """Write `{name}-{version}-{tag}.whl` into `directory`; returns its path.

    `modules` maps module file names to source (default: one module named
    after the project that defines VERSION). `metadata_name`/`metadata_version`
    make a wheel whose METADATA disagrees with its filename. `fields` and
    `description`: more METADATA headers and its body (see core_metadata).
    """
    escaped = _escape(name)
    dist_info = f"{escaped}-{version}.dist-info"
    modules = dict(modules) if modules is not None else {f"{escaped}.py": f"VERSION = {version!r}\n"}
    files: dict[str, bytes] = {path: source.encode() for path, source in modules.items()}
    files[f"{dist_info}/METADATA"] = core_metadata(
        metadata_name or name, metadata_version or version, requires_dist=requires_dist,
        requires_python=requires_python, summary=summary, fields=fields, description=description).encode()
    files[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    record_lines = []
    for path in sorted(files):
        digest = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={digest},{len(files[path])}")
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    path = os.path.join(directory, f"{escaped}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(files):
            info = zipfile.ZipInfo(member, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[member])
    return path


def make_sdist(directory: str, name: str, version: str, *, requires_python: str | None = None,
               requires_dist: Iterable[str] = ()) -> str:
    """Write `{name}-{version}.tar.gz` (a setuptools-buildable sdist)."""
    escaped = _escape(name)
    top = f"{escaped}-{version}"
    files = {
        f"{top}/PKG-INFO": core_metadata(name, version, requires_python=requires_python,
                                         requires_dist=requires_dist),
        f"{top}/pyproject.toml": (
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        ),
        f"{top}/{escaped}.py": f"VERSION = {version!r}\n",
    }
    path = os.path.join(directory, f"{top}.tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for member in sorted(files):
            data = files[member].encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return path
