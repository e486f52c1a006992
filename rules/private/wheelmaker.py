"""Writes one pure-Python wheel, byte-identical on every run.

`build(config)` is called by run_generator.py (`--wheel CONFIG`) in the
`py_wheel_dist` action, with the JSON config the rule computed at analysis
time (keys below); the same action then writes the wheel's record. Standard
library only.

Reproducibility: entries are sorted (the .dist-info directory last, RECORD
last of all), every entry gets the same timestamp, permissions and "Unix"
creator, and nothing from the file system but file contents is read.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

# The earliest time a zip entry can hold; also what most reproducible-build
# tools pick.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644


class WheelError(Exception):
    """A config the wheel cannot be built from; the message names the input."""


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata_text(config: Mapping[str, Any], description: str | None) -> str:
    """Core metadata 2.1 (PEP 566): one header per line, body = description."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {config['distribution']}",
        f"Version: {config['version']}",
    ]
    single = [
        ("Summary", "summary"),
        ("Home-page", "homepage"),
        ("Author", "author"),
        ("Author-email", "author_email"),
        ("License", "license"),
        ("Keywords", "keywords"),
        ("Requires-Python", "python_requires"),
        ("Description-Content-Type", "description_content_type"),
    ]
    for header, key in single:
        value = config.get(key) or ""
        if "\n" in value or "\r" in value:
            raise WheelError(f"{key} must be a single line, got {value!r}")
        if value:
            lines.append(f"{header}: {value}")
    lines += [f"Classifier: {c}" for c in config.get("classifiers", [])]
    lines += [f"Project-URL: {label}, {url}" for label, url in sorted(config.get("project_urls", {}).items())]
    lines += [f"Requires-Dist: {r}" for r in config.get("requires", [])]
    for extra, reqs in sorted(config.get("extras_require", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {_with_extra_marker(r, extra)}" for r in reqs]
    text = "\n".join(lines) + "\n"
    if description:
        text += "\n" + description
        if not text.endswith("\n"):
            text += "\n"
    return text


def _with_extra_marker(requirement: str, extra: str) -> str:
    marker = f'extra == "{extra}"'
    if ";" in requirement:
        spec, existing = requirement.split(";", 1)
        return f"{spec.strip()} ; ({existing.strip()}) and {marker}"
    return f"{requirement.strip()} ; {marker}"


def wheel_text(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: dumb-pypi py_wheel_dist\nRoot-Is-Purelib: true\nTag: {tag}\n"


def entry_points_text(groups: Mapping[str, Iterable[str]]) -> str:
    parts = []
    for group in sorted(groups):
        entries = []
        for entry in groups[group]:
            name, sep, target = entry.partition("=")
            if not sep or not name.strip() or ":" not in target:
                raise WheelError(f"entry point {entry!r} in group {group!r} is not 'name = module:function'")
            entries.append(f"{name.strip()} = {target.strip()}")
        parts.append(f"[{group}]\n" + "".join(e + "\n" for e in sorted(entries)))
    return "\n".join(parts)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def wheel_entries(config: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """Every entry of the wheel except RECORD, in archive order."""
    dist_info = config["dist_info"]
    data_dir = config["data_dir"]
    payload: dict[str, tuple[bytes, str]] = {}
    for item in config["files"]:
        dest = item["dest"]
        if dest.startswith("/") or ".." in dest.split("/") or not dest:
            raise WheelError(f"{item['src']}: destination {dest!r} is not a relative path inside the wheel")
        top = dest.split("/", 1)[0]
        if top in (dist_info, data_dir) and not item.get("data"):
            raise WheelError(f"{item['src']}: destination {dest!r} collides with the wheel's own {top}/")
        if dest in payload:
            raise WheelError(f"{item['src']} and {payload[dest][1]} both go to {dest!r} in the wheel")
        payload[dest] = (read_bytes(item["src"]), item["src"])
    description = None
    if config.get("description_file"):
        description = read_bytes(config["description_file"]).decode("utf-8")
    meta = {
        f"{dist_info}/METADATA": metadata_text(config, description).encode("utf-8"),
        f"{dist_info}/WHEEL": wheel_text(config["tag"]).encode("utf-8"),
    }
    if config.get("entry_points"):
        meta[f"{dist_info}/entry_points.txt"] = entry_points_text(config["entry_points"]).encode("utf-8")
    # Package files first, then .data, then .dist-info: installers expect
    # metadata at the end, and sorted order makes the archive reproducible.
    ordered = sorted(payload.items(), key=lambda kv: (kv[0].startswith(data_dir + "/"), kv[0]))
    return [(dest, data) for dest, (data, _src) in ordered] + sorted(meta.items())


def write_wheel(config: Mapping[str, Any]) -> None:
    entries = wheel_entries(config)
    record_path = f"{config['dist_info']}/RECORD"
    record_lines = [f"{name},{record_hash(data)},{len(data)}" for name, data in entries]
    record_lines.append(f"{record_path},,")
    entries.append((record_path, ("\n".join(record_lines) + "\n").encode("utf-8")))
    with zipfile.ZipFile(config["out"], "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)


def build(config: Mapping[str, Any]) -> bool:
    """Writes the wheel `config` describes; on bad input, names it on stderr and returns False."""
    try:
        write_wheel(config)
    except (WheelError, OSError, UnicodeDecodeError) as e:
        print(f"{config.get('label', '?')}: cannot build {config.get('filename', 'wheel')}: {e}", file=sys.stderr)
        return False
    return True
