"""nginx `map` blocks that pick the Simple API format from the Accept header.

Plain Debian nginx has no scripting, so the choice is made by maps alone:

1. for each media range we care about, a map extracts its parameters from
   `$http_accept` ("" when the range is absent);
2. a second map turns the parameters into a fixed-width q-value
   ("1000" for q=1, "0100" for q=0.1, "0000" for q=0 or absent);
3. comparison maps pick the highest: with equal-width digit strings,
   "a > b" is a regex over "a b" (a common prefix, then a larger digit).

Ties prefer JSON, then `application/vnd.pypi.simple.v1+html`, then
`text/html`. Wildcards (`text/*`, `*/*`) and a missing Accept header count
for `text/html` only, so browsers and old clients get HTML. When nothing we
serve is acceptable we still answer with `text/html` (PEP 691 allows a default).
A `?format=<content type>` URL parameter (PEP 691, optional) overrides Accept.
"""

from __future__ import annotations

__all__ = ["FORMATS", "negotiation_maps"]

# Format name -> (file in the project directory, Content-Type).
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("index.json", "application/vnd.pypi.simple.v1+json"),
    "vhtml": ("index.html", "application/vnd.pypi.simple.v1+html"),
    "thtml": ("index.html", "text/html"),
}

# One media range in a comma-separated Accept list; captures its parameters.
_RANGE = r"(?:^|,)\s*{media}\s*(?<{cap}>;[^,]*)?(?:,|$)"

_MEDIA = {
    "json": r"application/vnd\.pypi\.simple\.(?:v1|latest)\+json",
    "vhtml": r"application/vnd\.pypi\.simple\.(?:v1|latest)\+html",
    "texthtml": r"text/html",
    "textany": r"text/\*",
    "any": r"\*/\*",
}


def _q(first: str, second: str) -> str:
    """Regex over "<first> <second>" (4 digits each) that matches first > second."""
    del first, second  # the names only document the order of the key
    alternatives = "|".join(f"{digit}\\d* \\1[0-{digit - 1}]" for digit in range(1, 10))
    return f"^(\\d*)(?:{alternatives})"


def _block(*lines: str) -> str:
    return "\n".join(lines)


def _params_map(kind: str, enabled: bool) -> str:
    """Map $http_accept -> "" (range absent) or "x<parameters>" (present)."""
    cap = f"dumb_pypi_p_{kind}"
    lines = [f"map $http_accept $dumb_pypi_acc_{kind} {{"]
    if kind == "any":
        # No Accept header at all means "anything": it counts as */*.
        lines.append('    "" x;')
    if enabled:
        pattern = _RANGE.format(media=_MEDIA[kind], cap=cap)
        lines.append(f'    "~*{pattern}" "x${cap}";')
    lines.append('    default "";')
    lines.append("}")
    return "\n".join(lines)


def _qvalue_map(kind: str, source: str) -> str:
    """Map present/absent parameters -> a 4-digit q-value."""
    p = f"dumb_pypi_q{kind}_"
    q = r";\s*q\s*=\s*"
    return "\n".join(
        [
            f"map {source} $dumb_pypi_q_{kind} {{",
            '    "" 0000;',
            f'    "~{q}1(?:\\.0{{0,3}})?\\s*(?:;|$)" 1000;',
            f'    "~{q}0\\.(?<{p}3>\\d\\d\\d)" "0${p}3";',
            f'    "~{q}0\\.(?<{p}2>\\d\\d)" "0${{{p}2}}0";',
            f'    "~{q}0\\.(?<{p}1>\\d)" "0${{{p}1}}00";',
            f'    "~{q}" 0000;',
            "    default 1000;",
            "}",
        ]
    )


def negotiation_maps(json_enabled: bool) -> str:
    """The http-level maps that set $dumb_pypi_format (json|vhtml|thtml).

    With `json_enabled` false the JSON range is ignored, so every client gets
    HTML (for hosts that must never send JSON to anyone).
    """
    parts = [
        _params_map("json", json_enabled),
        _params_map("vhtml", True),
        _params_map("texthtml", True),
        _params_map("textany", True),
        _params_map("any", True),
        # text/html's parameters: the most specific range present wins.
        _block(
            "map $dumb_pypi_acc_texthtml|$dumb_pypi_acc_textany|$dumb_pypi_acc_any $dumb_pypi_acc_thtml {",
            '    "~^(?<dumb_pypi_h1>x[^|]*)\\|" $dumb_pypi_h1;',
            '    "~^\\|(?<dumb_pypi_h2>x[^|]*)\\|" $dumb_pypi_h2;',
            '    "~^\\|\\|(?<dumb_pypi_h3>x.*)$" $dumb_pypi_h3;',
            '    default "";',
            "}",
        ),
        _qvalue_map("json", "$dumb_pypi_acc_json"),
        _qvalue_map("vhtml", "$dumb_pypi_acc_vhtml"),
        _qvalue_map("thtml", "$dumb_pypi_acc_thtml"),
        # JSON vs the versioned HTML type; a tie goes to JSON.
        _block(
            'map "$dumb_pypi_q_vhtml $dumb_pypi_q_json" $dumb_pypi_best {',
            f'    "~{_q("vhtml", "json")}" vhtml;',
            "    default json;",
            "}",
        ),
        _block(
            'map "$dumb_pypi_best $dumb_pypi_q_json $dumb_pypi_q_vhtml" $dumb_pypi_best_q {',
            '    "~^json (?<dumb_pypi_bq1>\\d+)" $dumb_pypi_bq1;',
            '    "~^vhtml \\d+ (?<dumb_pypi_bq2>\\d+)" $dumb_pypi_bq2;',
            "    default 0000;",
            "}",
        ),
        # The winner above vs text/html; a tie goes to the versioned type,
        # unless neither is acceptable at all.
        _block(
            'map "$dumb_pypi_q_thtml $dumb_pypi_best_q $dumb_pypi_best" $dumb_pypi_format_accept {',
            '    "~^\\d+ 0000 " thtml;',
            f'    "~{_q("thtml", "best")}" thtml;',
            '    "~ (?<dumb_pypi_fmt>json|vhtml)$" $dumb_pypi_fmt;',
            "    default thtml;",
            "}",
        ),
        # PEP 691's optional ?format= URL parameter overrides Accept.
        _block(
            'map "$arg_format|$dumb_pypi_format_accept" $dumb_pypi_format {',
            *(
                ['    "~*^application/vnd\\.pypi\\.simple\\.(?:v1|latest)(?:\\+|%2B)json\\|" json;']
                if json_enabled
                else []
            ),
            '    "~*^application/vnd\\.pypi\\.simple\\.(?:v1|latest)(?:\\+|%2B)html\\|" vhtml;',
            '    "~*^text/html\\|" thtml;',
            '    "~\\|(?<dumb_pypi_fa>\\w+)$" $dumb_pypi_fa;',
            "    default thtml;",
            "}",
        ),
        "\n".join(
            ["map $dumb_pypi_format $dumb_pypi_file {"]
            + [f"    {name} {file};" for name, (file, _) in sorted(FORMATS.items())]
            + ["    default index.html;", "}"]
        ),
    ]
    return "\n".join(parts) + "\n"
