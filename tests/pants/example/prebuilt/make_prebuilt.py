"""Write a small, byte-reproducible wheel and sdist of `hello-prebuilt` 0.1.0
here: the "prebuilt files" input of the example index (no build tool needed)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path

NAME, VERSION = "hello_prebuilt", "0.1.0"
METADATA = f"""Metadata-Version: 2.1
Name: hello-prebuilt
Version: {VERSION}
Summary: A prebuilt distribution for the example index.
Requires-Python: >=3.9
"""
CODE = 'def hello() -> str:\n    return "hello from a prebuilt wheel"\n'
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def wheel_bytes() -> bytes:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    members = {
        f"{NAME}/__init__.py": CODE.encode(),
        f"{dist_info}/METADATA": METADATA.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: make_prebuilt\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(_record_line(p, d) for p, d in members.items()) + f"{dist_info}/RECORD,,\n"
    members[f"{dist_info}/RECORD"] = record.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for path, data in members.items():  # RECORD last, as installers expect
            info = zipfile.ZipInfo(path, ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED  # no zlib-version dependence
            zf.writestr(info, data)
    return buf.getvalue()


def sdist_bytes() -> bytes:
    root = f"{NAME}-{VERSION}"
    members = {
        f"{root}/PKG-INFO": METADATA.encode(),
        f"{root}/{NAME}/__init__.py": CODE.encode(),
        f"{root}/pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "hello-prebuilt"\nversion = "{VERSION}"\nrequires-python = ">=3.9"\n'
        ).encode(),
    }
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path in sorted(members):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(members[path]), 0o644, 0
            tf.addfile(info, io.BytesIO(members[path]))
    out = io.BytesIO()
    # No filename and mtime 0 in the gzip header, so the bytes never change.
    with gzip.GzipFile(fileobj=out, mode="wb", filename="", mtime=0) as gz:
        gz.write(tar_buf.getvalue())
    return out.getvalue()


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else Path(__file__).parent
    (out_dir / f"{NAME}-{VERSION}-py3-none-any.whl").write_bytes(wheel_bytes())
    (out_dir / f"{NAME}-{VERSION}.tar.gz").write_bytes(sdist_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
