"""Text as the files are written: compact JSON and UTF-8 parts with their sizes."""

from __future__ import annotations

import json
import re
from array import array

__all__ = ["dumps", "json_string", "utf8_parts"]

# One encoder for every JSON file we write (json.dumps with options builds a
# new one per call, which shows with 400k calls). Compact and stable.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Printable ASCII but '"' and '\\': what JSON writes as is.
_JSON_SAFE_RE = re.compile(r"^[ !#-\[\]-~]*$")


def utf8_parts(parts: list[str]) -> tuple[bytes, array[int]]:
    """`parts` as one UTF-8 text, and the length of each part in bytes."""
    text = "".join(parts)
    data = text.encode()
    if len(data) == len(text):  # all ASCII: a character is a byte
        return data, array("L", map(len, parts))
    return data, array("L", [len(part.encode()) for part in parts])


def json_string(text: str) -> str:
    """`text` as a JSON string; the common plain-ASCII case without the encoder."""
    return f'"{text}"' if _JSON_SAFE_RE.match(text) else dumps(text)
