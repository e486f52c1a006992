"""`dumb-pypi nginx-config`: an nginx config that serves a generated tree right.

Without `--standalone` it prints the http-level maps plus one `server { }`
block, to drop into an existing nginx's `conf.d/` (http context). With
`--standalone` it prints a whole config that `nginx -p DIR -c FILE -e stderr`
runs as a normal user, everything written below DIR.

Only core modules of Debian's `nginx` package are used: map, rewrite,
headers, static, try_files. No Lua, no perl, no njs.
"""

from __future__ import annotations

import argparse
import os
import re
import string
import sys
from pathlib import Path

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.serve import policy
from dumb_pypi.serve.negotiation import FORMATS, negotiation_maps

__all__ = ["NginxConfigError", "NginxOptions", "add_arguments", "main", "render", "run"]

# nginx allows at most 10 URI changes per request; one is the final jump to
# the internal location, the rest go to lowercasing. Each pass rewrites the
# first occurrence of every letter (and separator run) this many times.
_REWRITES_PER_PASS = 5
_INTERNAL = "/.dumb-pypi"
# A canonical (PEP 503) project name, as it appears in a URL path.
_CANONICAL = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# Characters that would end or escape a quoted nginx string or start a variable.
_UNSAFE = re.compile(r'["\'\\;{}$\s#]')
_LISTEN = re.compile(r"^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?\d{1,5}$")


class NginxConfigError(DumbPypiError, ValueError):
    """An option that cannot go into an nginx config."""


class NginxOptions:
    """Validated inputs of one config."""

    def __init__(
        self,
        root: str,
        *,
        standalone: bool = False,
        listen: str | None = None,
        server_name: str = "_",
        simple_api: str = "negotiate",
        user: str | None = None,
        access_log: str | None = None,
    ) -> None:
        self.root = _safe("--root", os.path.abspath(root))
        self.standalone = standalone
        self.listen = _listen(listen or ("127.0.0.1:8080" if standalone else "80"))
        self.server_name = _safe("--server-name", server_name)
        if simple_api not in ("negotiate", "html"):
            raise NginxConfigError(f"--simple-api {simple_api!r}: must be 'negotiate' or 'html'")
        self.simple_api = simple_api
        if user is not None and not standalone:
            raise NginxConfigError("--user only applies with --standalone")
        self.user = None if user is None else _safe("--user", user)
        if access_log is not None and not standalone:
            raise NginxConfigError("--access-log only applies with --standalone")
        self.access_log = None if access_log is None else _safe("--access-log", access_log)


def _safe(option: str, value: str) -> str:
    if not value or _UNSAFE.search(value):
        raise NginxConfigError(
            f"{option} {value!r}: empty or contains a character nginx would misread"
            " (quote, backslash, ';', '{', '}', '$', '#' or whitespace)"
        )
    return value


def _listen(value: str) -> str:
    if not _LISTEN.match(value) or not 0 < int(value.rsplit(":", 1)[-1]) < 65536:
        raise NginxConfigError(f"--listen {value!r}: expected PORT or HOST:PORT (e.g. 127.0.0.1:8080)")
    return value


def _types_block(indent: str) -> str:
    entries: dict[str, list[str]] = {}
    for suffix, ctype in policy.EXTENSION_TYPES.items():
        # nginx matches the last dot-separated part only ("gz" for ".tar.gz").
        entries.setdefault(ctype, []).append(suffix.rsplit(".", 1)[-1])
    lines = [f"{indent}types {{"]
    for ctype in sorted(entries):
        exts = " ".join(sorted(set(entries[ctype])))
        lines.append(f'{indent}    "{ctype}" {exts};')
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def _lowercase_rewrites(indent: str) -> str:
    """Rewrites that lowercase the project segment and collapse separators."""
    one_pass = [
        f'{indent}rewrite "^(/simple/[^/{upper}]*){upper}(.*)$" "$1{upper.lower()}$2";'
        for upper in string.ascii_uppercase
    ]
    # The first run of separators that is not a single "-" becomes "-".
    one_pass.append(
        f'{indent}rewrite "^(/simple/(?>(?:[^/_.-]|-(?![-_.]))*))[-_.]+(.*)$" "$1-$2";'
    )
    return "\n".join(one_pass * _REWRITES_PER_PASS)


def _server(opts: NginxOptions) -> str:
    # Not "always": an error (a 404 for a file a later deploy adds) must not be cached.
    page_cache = f'add_header Cache-Control "{policy.PAGE_CACHE}";'
    immutable = f'add_header Cache-Control "{policy.IMMUTABLE_CACHE}";'
    internal = []
    for fmt, (_, ctype) in sorted(FORMATS.items()):
        internal.append(
            f"""    # Negotiated project pages, served from the real file by format.
    location ^~ {_INTERNAL}/{fmt}/ {{
        internal;
        alias {opts.root}/;
        types {{ }}
        default_type "{ctype}";
        add_header Vary Accept always;
        {page_cache}
    }}"""
        )
    lines = [
        "server {",
        f"    listen {opts.listen};",
        f"    server_name {opts.server_name};",
        f"    root {opts.root};",
        # Relative Location headers keep redirects right behind any proxy.
        "    absolute_redirect off;",
        "    autoindex off;",
        "    server_tokens off;",
        "    log_not_found off;",
        "    charset off;",
        _types_block("    "),
        f'    default_type "{policy.DEFAULT_TYPE}";',
        "",
        "    # The content-addressed pool: files never change under their path.",
        "    location ^~ /packages/ {",
        f"        {immutable}",
        "        try_files $uri =404;",
        "    }",
        "",
        "    # The Simple API (PEP 503 / 691).",
        "    location = /simple {",
        "        return 301 /simple/;",
        "    }",
        "    location = /simple/index.html {",
        '        types { } default_type "text/html";',
        f"        {page_cache}",
        "        try_files $uri =404;",
        "    }",
        "    location = /simple/index.json {",
        f'        types {{ }} default_type "{policy.JSON_TYPE}";',
        f"        {page_cache}",
        "        try_files $uri =404;",
        "    }",
        "    location /simple/ {",
        "        # Old clients ask for the name as typed: lowercase it and collapse",
        "        # separator runs to '-', then look the location up again.",
        '        location ~ "^/simple/[^/]*(?:[A-Z_.]|--)" {',
        _lowercase_rewrites("            "),
        "        }",
        f'        location ~ "^/simple/(?:{_CANONICAL}/)?$" {{',
        f'            rewrite ^ "{_INTERNAL}/$dumb_pypi_format$uri$dumb_pypi_file" last;',
        "        }",
        f'        location ~ "^/simple/{_CANONICAL}$" {{',
        "            if (-f $request_filename/index.html) {",
        "                return 301 $uri/;",
        "            }",
        "            return 404;",
        "        }",
        "        location ~ \"^/simple/.*\\.json$\" {",
        f'            types {{ }} default_type "{policy.JSON_TYPE}";',
        f"            {page_cache}",
        "            try_files $uri =404;",
        "        }",
        f"        {page_cache}",
        "        try_files $uri =404;",
        "    }",
        "",
        *internal,
        "",
        "    # Legacy JSON API: extensionless files named 'json'.",
        '    location ~ "^/pypi/[^/]+/(?:[^/]+/)?json$" {',
        f'        types {{ }} default_type "{policy.LEGACY_JSON_TYPE}";',
        f"        {page_cache}",
        "        try_files $uri =404;",
        "    }",
        "",
        "    # Everything else (web UI, feed, manifest): files, or a directory's",
        "    # index.html; never a listing, never a 403.",
        '    location ~ "/$" {',
        f"        {page_cache}",
        "        try_files ${uri}index.html =404;",
        "    }",
        "    location / {",
        f"        {page_cache}",
        "        try_files $uri @dumb_pypi_directory;",
        "    }",
        "    location @dumb_pypi_directory {",
        "        if (-f $request_filename/index.html) {",
        "            return 301 $uri/;",
        "        }",
        "        return 404;",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def render(opts: NginxOptions) -> str:
    """The config text; the same options always give the same bytes."""
    header = (
        "# Generated by `dumb-pypi nginx-config`; serves the tree at\n"
        f"# {opts.root}\n"
    )
    http = negotiation_maps(json_enabled=opts.simple_api == "negotiate") + "\n" + _server(opts)
    if not opts.standalone:
        return header + "# Include it in nginx's http { } context (e.g. conf.d/).\n\n" + http
    user = f"user {opts.user};\n" if opts.user else ""
    log = opts.access_log or "access.log"
    indented = "".join(f"    {line}\n" if line else "\n" for line in http.splitlines())
    return (
        header
        + "# Run: nginx -p PREFIX -c THIS_FILE -e stderr (files go below PREFIX).\n"
        + user
        + "worker_processes 1;\n"
        + "daemon off;\n"
        + "pid nginx.pid;\n"
        + "error_log stderr warn;\n"
        + "events {\n    worker_connections 256;\n}\n"
        + "http {\n"
        + "    client_body_temp_path temp_client_body;\n"
        + "    proxy_temp_path temp_proxy;\n"
        + "    fastcgi_temp_path temp_fastcgi;\n"
        + "    uwsgi_temp_path temp_uwsgi;\n"
        + "    scgi_temp_path temp_scgi;\n"
        + "    log_format dumb_pypi '$request_method $request_uri $status'\n"
        + "        ' \"$sent_http_content_type\" \"$http_accept\" \"$http_user_agent\"';\n"
        + f"    access_log {log} dumb_pypi;\n"
        + "    sendfile on;\n"
        + "\n"
        + indented
        + "}\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, help="the served tree (a directory deploy's DEST/current)")
    parser.add_argument(
        "--standalone",
        action="store_true",
        help="print a complete config for `nginx -p DIR -c FILE -e stderr` instead of a server block",
    )
    parser.add_argument("--listen", help="nginx listen value: PORT or HOST:PORT (default 80; 127.0.0.1:8080 standalone)")
    parser.add_argument("--server-name", default="_", help="server_name (default: _)")
    parser.add_argument(
        "--simple-api",
        choices=("negotiate", "html"),
        default="negotiate",
        help="negotiate: PEP 691 JSON or HTML by Accept (default); html: never send JSON",
    )
    parser.add_argument("--user", help="standalone only: worker user when nginx starts as root")
    parser.add_argument("--access-log", help="standalone only: access log path (default: PREFIX/access.log)")
    parser.add_argument("-o", "--output", help="write the config here instead of stdout")


def run(args: argparse.Namespace) -> int:
    try:
        opts = NginxOptions(
            args.root,
            standalone=args.standalone,
            listen=args.listen,
            server_name=args.server_name,
            simple_api=args.simple_api,
            user=args.user,
            access_log=args.access_log,
        )
        text = render(opts)
        if args.output:
            try:
                Path(args.output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise NginxConfigError(f"--output {args.output!r}: {error.strerror}") from None
        else:
            sys.stdout.write(text)
    except NginxConfigError as error:
        print(f"dumb-pypi nginx-config: error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dumb-pypi nginx-config", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
