"""Real distribution files: hash each one and read its core metadata into a Record.

inspect_file() is the per-file step that build systems cache (`dumb-pypi
record`): it reads only the file, and its output depends only on the file's
bytes and name. package_files() does it for the paths and directories given
on the command line.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dumb_pypi.errors import DumbPypiError, InvalidDistribution
from dumb_pypi.inputs.refusals import Refuse, Warn
from dumb_pypi.progress import Progress
from dumb_pypi.records import Record, check_filename, record_from_filename
from dumb_pypi.records.filenames import DIST_SUFFIXES, READABLE_SUFFIXES, SDIST_SUFFIXES, WHEEL_SUFFIX, split_at_name

__all__ = ["inspect_file", "package_files", "read_core_metadata", "sha256_and_size"]

_MAX_METADATA_BYTES = 16 * 1024 * 1024


def sha256_and_size(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_size(member: str, size: int, filename: str) -> None:
    if size > _MAX_METADATA_BYTES:
        raise InvalidDistribution(f"{filename}: {member} is larger than 16 MiB")


def _wheel_metadata(path: str, filename: str) -> bytes:
    # The .dist-info directory is named after the distribution and version in
    # the filename (escaped); pick it by that, not by the first METADATA found.
    stem_parts = filename[:-4].split("-")
    with zipfile.ZipFile(path) as archive:
        candidates = sorted(
            name for name in archive.namelist()
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
        )
        expected = f"{stem_parts[0]}-{stem_parts[1]}.dist-info/METADATA"
        if expected in candidates:
            member = expected
        elif len(candidates) == 1:
            member = candidates[0]
        elif not candidates:
            raise InvalidDistribution(f"{filename}: no .dist-info/METADATA in the wheel")
        else:
            raise InvalidDistribution(f"{filename}: several .dist-info directories and none named {expected.split('/')[0]}")
        _check_size(member, archive.getinfo(member).file_size, filename)
        return archive.read(member)


def _sdist_metadata(path: str, filename: str) -> bytes:
    lower = filename.lower()
    if lower.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO"))
            if not names:
                raise InvalidDistribution(f"{filename}: no top-level PKG-INFO in the sdist")
            _check_size(names[0], archive.getinfo(names[0]).file_size, filename)
            return archive.read(names[0])
    with tarfile.open(path) as archive:
        for member in archive:
            parts = member.name.lstrip("./").split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                _check_size(member.name, member.size, filename)
                extracted = archive.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise InvalidDistribution(f"{filename}: no top-level PKG-INFO in the sdist")


def read_core_metadata(path: str, filename: str | None = None) -> bytes:
    """The raw core metadata of a wheel (METADATA) or sdist (PKG-INFO)."""
    filename = filename or os.path.basename(path)
    lower = filename.lower()
    try:
        if lower.endswith(WHEEL_SUFFIX):
            return _wheel_metadata(path, filename)
        if lower.endswith(SDIST_SUFFIXES):
            return _sdist_metadata(path, filename)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as ex:
        raise InvalidDistribution(f"{filename}: cannot read the archive: {ex}") from None
    raise InvalidDistribution(f"{filename}: not a wheel or sdist (expected one of {', '.join(READABLE_SUFFIXES)})")


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _agreeing(record: Record, message: Message, filename: str, warn: Warn) -> Record:
    """`record` (read from the filename) checked against the metadata; where
    an old sdist's name has dashes that also start its version
    ("ddlib-2013-11-12.tar.gz"), the metadata says where the name ends."""
    meta_name = message.get("Name")
    meta_version = message.get("Version")
    if not meta_name or not meta_version:
        raise InvalidDistribution(f"{filename}: core metadata has no Name or Version")
    if canonicalize_name(meta_name) != record.name and not record.is_wheel:
        split = split_at_name(filename, meta_name)
        if split is not None:
            record = record._replace(name=canonicalize_name(meta_name), version=split.version)
    if canonicalize_name(meta_name) != record.name:
        raise InvalidDistribution(
            f"{filename}: metadata names project {meta_name!r} but the filename says {record.name!r}")
    if record.version is not None and _same_version(meta_version, record.version):
        return record
    if record.is_wheel or record.version is None:
        raise InvalidDistribution(
            f"{filename}: metadata says version {meta_version!r} but the filename says {record.version!r}")
    # A legacy sdist PyPI accepted ("hug-1.1.0-1.tar.gz" with PKG-INFO 1.1.0):
    # installers go by the filename, so the index does too.
    warn(f"{filename}: PKG-INFO says version {meta_version!r}, the filename {record.version!r}: "
         f"indexed as {record.version!r}, the version installers see")
    return record


def _ignore(message: str) -> None:
    pass


def inspect_file(path: str, *, filename: str | None = None, origin: str | None = None, warn: Warn = _ignore,
                 **fields: Any) -> Record:
    """Hash a distribution file and read its core metadata into a Record.

    `fields` sets what the file cannot say (yanked_reason, upload_timestamp,
    uploaded_by). Raises InvalidDistribution when the file is unreadable or
    its metadata disagrees with its filename; `warn` hears of what is
    indexed all the same (an sdist whose PKG-INFO has another version).
    """
    filename = filename or os.path.basename(path)
    try:
        base = record_from_filename(filename, origin=origin, path=path, **fields)
        sha256, size = sha256_and_size(path)
    except OSError as ex:
        raise InvalidDistribution(f"{filename}: {ex.strerror or ex}") from None
    except DumbPypiError as ex:
        raise InvalidDistribution(f"{filename}: {ex}") from None
    raw = read_core_metadata(path, filename)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDistribution(f"{filename}: core metadata is not UTF-8") from None
    message = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    base = _agreeing(base, message, filename, warn)
    # Only a wheel's METADATA is final; an sdist's may list fields as Dynamic,
    # so it is not published as PEP 658 metadata.
    wheel = base.is_wheel
    return base._replace(
        hash=f"sha256={sha256}",
        size=size,
        requires_python=message.get("Requires-Python") or None,
        requires_dist=tuple(message.get_all("Requires-Dist") or ()) or None,
        summary=message.get("Summary") or None,
        core_metadata=f"sha256={hashlib.sha256(raw).hexdigest()}" if wheel else None,
        metadata=text if wheel else None,
    )


def _file_record(path: str, refuse: Refuse, warn: Warn) -> Record | None:
    try:
        filename = os.path.basename(path)
        if filename.lower().endswith(READABLE_SUFFIXES):
            return inspect_file(path, origin=path, warn=warn)
        # Legacy formats (eggs, installers) carry no metadata we can trust, but
        # they are still distribution files: index them by name, hash and size.
        check_filename(filename)
        sha256, size = sha256_and_size(path)
        return record_from_filename(filename, hash=f"sha256={sha256}", size=size, path=path, origin=path)
    except OSError as ex:
        refuse(path, ex.strerror or str(ex))
    except DumbPypiError as ex:
        refuse(path, str(ex))
    return None


def package_files(paths: list[str], directories: list[str], refuse: Refuse, warn: Warn) -> list[Record]:
    """Real files: the given paths, and every distribution file in the directories."""
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
        else:
            refuse(path, "no such file")
    for directory in directories:
        if not os.path.isdir(directory):
            raise DumbPypiError(f"--package-dir {directory}: no such directory")
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for name in sorted(files):
                if name.startswith(".") or name.endswith(".metadata"):
                    continue
                path = os.path.join(root, name)
                if name.lower().endswith(DIST_SUFFIXES):
                    found.append(path)
                else:
                    refuse(path, "not a distribution file (unknown extension)")
    progress = Progress("reading files", len(found))
    try:
        records = []
        for path in found:
            record = _file_record(path, refuse, warn)
            if record is not None:
                records.append(record)
            progress.count()
        return records
    finally:
        progress.close()
