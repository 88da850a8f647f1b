"""The page's stylesheet and scripts, read from the files in convrec/ui/static/ (shipped in
the wheel as package data)."""

from __future__ import annotations

from importlib.resources import files


def read_static(name: str) -> str:
    """The text of convrec/ui/static/`name`."""
    return files("convrec.ui").joinpath("static", name).read_text(encoding="utf-8")


CSS = read_static("app.css")
URL_JS = read_static("url.js")
"""After the thread changes, put it in the URL (?thread=...) so a reload resumes it."""
