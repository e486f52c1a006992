"""The web UI's pages rendered from their Jinja2 templates (templates/),
autoescaped: a value from input is text in every page unless this module
marks it as markup (the rows it has already rendered, a Markdown
description). `--templates DIR` overrides any of them by name;
docs/webui.md lists each template and its values."""

from __future__ import annotations

from collections.abc import Container

import jinja2
from markupsafe import Markup

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.pages.webui import STATIC_FILES, ProjectRows, Site
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, required_projects

from . import views

__all__ = ["WebUI"]

_ROWS = "\x00rows\x00"  # where a page's rows go, while its frame is rendered


class _Compiled(jinja2.BytecodeCache):
    """Templates compiled by an earlier build (Jinja2 checks each against its source)."""

    def __init__(self, known: dict[str, bytes]) -> None:
        self.known = dict(known)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.known:
            bucket.bytecode_from_string(self.known[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.known[bucket.key] = bucket.bytecode_to_string()


class WebUI:
    """Records in, markup out (see WebPages); the values each template gets
    are views.py's. Everything it is given and gives back is plain data, so
    that a renderer can also run in another process (remote.py)."""

    def __init__(self, site: Site, templates: str | None = None, compiled: dict[str, bytes] | None = None) -> None:
        """`templates`: a directory of templates that replace ours by name; `compiled`: what
        compiled_templates() gave in an earlier build (templates it can skip compiling)."""
        ours = jinja2.PackageLoader("dumb_pypi.pages.webui", "templates")
        loader = ours if templates is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates), ours])
        self._compiled = _Compiled(compiled or {})
        self._env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(("html", "xml")),
                                       bytecode_cache=self._compiled, undefined=jinja2.StrictUndefined,
                                       keep_trailing_newline=True, trim_blocks=True,
                                       auto_reload=False)  # no stat of each template at every render
        self._env.globals["site"] = self._site = site
        # Compiled now: worker processes share them.
        try:
            rows = self._env.get_template("rows.html").module
            self._home_row, self._changelog_row = rows.home_row, rows.changelog_row  # type: ignore[attr-defined]
            self._pages = {name: self._env.get_template(name) for name in ("home.html", "project.html",
                                                                           "changelog.html", "feed.xml")}
        except jinja2.TemplateSyntaxError as ex:
            raise DumbPypiError(f"template {ex.filename or ex.name}, line {ex.lineno}: {ex.message}") from None
        except (jinja2.TemplateError, AttributeError) as ex:
            raise DumbPypiError(f"the web UI's templates: {ex}") from None

    def compiled_templates(self) -> dict[str, bytes]:
        return self._compiled.known

    def _render(self, name: str, **values: object) -> str:
        try:
            return self._pages[name].render(**values)
        except jinja2.TemplateError as ex:
            raise DumbPypiError(f"template {name}: {ex}") from None

    def _frame(self, name: str, **values: object) -> tuple[str, str]:
        """Page `name` without its rows: (before, after) them."""
        page = self._render(name, rows=Markup(_ROWS), **values)
        before, *after = page.split(_ROWS)
        if len(after) != 1:
            raise DumbPypiError(f"template {name}: it must show {{{{ rows }}}} exactly once")
        return before, after[0]

    def project(self, project: Project, urls: list[str], names: Container[str]) -> str:
        return self._render("project.html", root="../../", project=views.project_view(project, urls, self._site, names))

    def project_rows(self, project: Project, changelog_urls: list[str]) -> ProjectRows:
        latest = views.latest_file(project)
        return ProjectRows(
            str(self._home_row(views.home_row(project, latest))),
            [str(self._changelog_row(views.changelog_row(record, url)))
             for record, url in zip(project.files, changelog_urls)],
            required_projects(latest.requires_dist or ()))

    def home_frame(self, count: int) -> tuple[str, str]:
        """The home page of `count` projects but for their home rows."""
        return self._frame("home.html", root="", count=count)

    def changelog_frame(self, number: int, count: int, timestamped: bool) -> tuple[str, str]:
        """Changelog page `number` (from 1) of `count` but for its rows."""
        def page(n: int) -> str | None:
            return f"page{n}.html" if n != number and 1 <= n <= count else None

        return self._frame("changelog.html", root="../", number=number, count=count, timestamped=timestamped,
                           first=page(1), previous=page(number - 1), next=page(number + 1), last=page(count))

    def feed(self, releases: list[Record]) -> str:
        feed = views.feed(releases, self._site)
        return self._render("feed.xml", entries=feed.entries, updated=feed.updated, id=feed.id)

    def static_files(self) -> list[tuple[str, bytes]]:
        """The stylesheet and the script, as the templates' directories have them."""
        assert self._env.loader is not None
        return [(path, self._env.loader.get_source(self._env, path)[0].encode()) for path in STATIC_FILES]
