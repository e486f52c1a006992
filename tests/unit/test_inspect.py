"""Reading a real wheel or sdist: hash, size, and byte-exact core metadata."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from support.distributions import make_sdist, make_wheel

from dumb_pypi.errors import InvalidDistribution
from dumb_pypi.inputs.files import inspect_file


def test_wheel(tmp_path: Path) -> None:
    path = make_wheel(str(tmp_path), "Greet.Me", "1.0", requires_python=">=3.9", requires_dist=["a>=1", "b; extra == 'x'"],
                      summary="Say hi")
    record = inspect_file(path, yanked_reason="old", upload_timestamp=5)
    data = Path(path).read_bytes()
    with zipfile.ZipFile(path) as archive:
        metadata = archive.read("Greet_Me-1.0.dist-info/METADATA")
    assert record.hash == f"sha256={hashlib.sha256(data).hexdigest()}" and record.size == len(data)
    # pip >= 26.2 compares the .metadata file with the wheel's own: byte for byte.
    assert record.metadata is not None and record.metadata.encode() == metadata
    assert record.core_metadata == f"sha256={hashlib.sha256(metadata).hexdigest()}"
    assert (record.name, record.version, record.requires_python, record.summary) == ("greet-me", "1.0", ">=3.9", "Say hi")
    assert record.requires_dist == ("a>=1", "b; extra == 'x'")
    assert (record.yanked_reason, record.upload_timestamp) == ("old", 5)


def test_sdist_metadata_is_not_published_as_pep658(tmp_path: Path) -> None:
    record = inspect_file(make_sdist(str(tmp_path), "greet", "1.0", requires_python=">=3.8"))
    assert (record.packagetype, record.requires_python) == ("sdist", ">=3.8")
    assert record.core_metadata is None and record.metadata is None  # an sdist's fields may be Dynamic


def test_equal_versions_agree(tmp_path: Path) -> None:
    assert inspect_file(make_wheel(str(tmp_path), "greet", "1.0", metadata_version="1.0.0")).version == "1.0"


@pytest.mark.parametrize(("metadata_name", "metadata_version"), [("other", None), (None, "2.0")])
def test_metadata_must_agree_with_filename(tmp_path: Path, metadata_name: str | None,
                                           metadata_version: str | None) -> None:
    wheel = make_wheel(str(tmp_path), "greet", "1.0", metadata_name=metadata_name, metadata_version=metadata_version)
    with pytest.raises(InvalidDistribution, match="filename says"):
        inspect_file(wheel)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"\x1f\x8b\x08garbage"])
def test_unreadable_archives(tmp_path: Path, content: bytes) -> None:
    for name in ("greet-1.0-py3-none-any.whl", "greet-1.0.tar.gz", "greet-1.0.zip"):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InvalidDistribution):
            inspect_file(str(tmp_path / name))


def test_wheel_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "greet-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("greet.py", "")
    with pytest.raises(InvalidDistribution, match="METADATA"):
        inspect_file(str(path))
