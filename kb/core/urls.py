"""Site paths: what an old URL of an article (an alias) may be, and when two paths are one page."""

from __future__ import annotations

import re

SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # https:, mailto:, ...
MAX_ALIAS = 300
RESERVED = ("_redirects", "sitemap.xml", "sitemap.xml.gz", "404.html", "robots.txt")
FORBIDDEN = (
    ("\\", "a backslash; separate folders with '/'"),
    ("?", "'?': a query string never reaches a static page"),
    ("#", "'#': a fragment never reaches the server"),
)


def normalise_alias(text: str) -> tuple[str, str | None]:
    """An old site path without surrounding space and one leading "/", and what is wrong with it.

    The problem is None for a usable path; else a message that quotes the path (bounded).
    """
    text = text.strip()
    shown = repr(text) if len(text) <= 60 else repr(text[:57] + "...")
    if not text:
        return text, "must not be empty"
    if len(text) > MAX_ALIAS:
        return text, f"is longer than {MAX_ALIAS} characters"
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        return text, "must not contain control characters"
    if text.startswith("//") or "://" in text or SCHEME_RE.match(text):
        return text, f"{shown}: give the path only, without the host"
    path = text.removeprefix("/")
    if not path:
        return path, "'/' is the site root: give the old article's path"
    for char, why in FORBIDDEN:
        if char in path:
            return path, f"{shown} must not contain {why}"
    if any(c.isspace() for c in path):
        return path, f"{shown} must not contain spaces"
    segments = path.split("/")
    if any(s in (".", "..") for s in segments):
        return path, f"{shown} must not contain '.' or '..' segments"
    if "" in segments[:-1]:
        return path, f"{shown} must not contain an empty folder ('//')"
    if segments[0] in RESERVED:
        return path, f"{shown} is a file the build writes itself"
    return path, None


def url_key(path: str) -> str:
    """A site path as URLs are compared: no leading or trailing "/", no trailing index.html."""
    path = path.strip("/")
    if path == "index.html" or path.endswith("/index.html"):
        path = path.removesuffix("index.html")
    return path.strip("/")
