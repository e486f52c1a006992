"""Run in a Bazel action by //tests/bazel:generator_imports: the generator's
pinned dependencies (jinja2, MarkupSafe, markdown-it-py, mdurl, packaging)
import from the action's declared inputs alone, with MarkupSafe's pure-Python
fallback (no compiled speedups anywhere)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys


def main(argv: list[str]) -> int:
    [out] = argv
    import jinja2
    import markdown_it
    import markupsafe
    import mdurl
    import packaging

    # -I -S: nothing from site-packages, so every module comes from a --path entry.
    roots = [os.path.abspath(entry) for entry in sys.path if not entry.startswith(sys.base_prefix)]
    for module in (jinja2, markdown_it, markupsafe, mdurl, packaging):
        where = os.path.abspath(module.__file__ or "")
        if not any(where.startswith(root + os.sep) for root in roots):
            print(f"check_imports: {module.__name__} came from {where}, not a declared input", file=sys.stderr)
            return 1
    if importlib.util.find_spec("markupsafe._speedups") is not None:
        print("check_imports: markupsafe._speedups is importable: not the pure-Python MarkupSafe", file=sys.stderr)
        return 1
    template = jinja2.Environment(autoescape=True).from_string("<p>{{ name }}</p>")
    report = {
        "jinja2": jinja2.__version__,
        "markdown": markdown_it.MarkdownIt().render("*hi* <b>"),
        "markupsafe_escape": markupsafe._escape_inner.__module__,
        "packaging": packaging.__version__,
        "rendered": template.render(name="<script>"),
        "sys_path_entries": len(roots),
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, sort_keys=True)
        f.write("\n")
    return 0
