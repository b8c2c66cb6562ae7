"""A Sphinx extension of the book build: each script tag once per page.

With Jupyter Book 1.0 (Sphinx 7.4), the inline configuration scripts of
sphinx-thebe and sphinx-togglebutton reach every page twice; the second
``const THEBE_JS_URL`` is a JavaScript error in the reader's console. This
extension drops exact duplicates from the page's script list.
"""

from __future__ import annotations


def _key(script) -> tuple:
    """Inline scripts have no file: some extensions register them with ``None``, some with ``""``."""
    filename = getattr(script, "filename", script) or ""
    return str(filename), tuple(sorted(getattr(script, "attributes", {}).items()))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        if _key(script) not in seen:
            seen.add(_key(script))
            unique.append(script)
    if "script_files" in context:
        context["script_files"][:] = unique


def setup(app):
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)  # after the others add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
