"""Render the index's pages; no I/O here.

renderer.py puts every page together: a project's pages from its records,
the root pages from every project's rows in them. Each kind of page has its
module: simple_html.py (PEP 503), simple_json.py (PEP 691), legacy_json.py
(/pypi/<project>/json), webui/ (the pages people read, Jinja2 templates);
links.py says where each page links each file, markup.py is the escaping
HTML the simple pages are built from.
"""
