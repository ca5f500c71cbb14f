"""Helpers shared by the site and browser tests: build the fixture KB once per process, scan files."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "site_kb"
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def copy_fixture(dest: Path) -> Path:
    """Copy the fixture KB to `dest` with the theme path made absolute; return its mkdocs.yml."""
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("site", "site-internal", ".kb"))
    config = dest / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace("../../../theme", str(REPO / "theme"))
    config.write_text(text, encoding="utf-8")
    return config


@functools.cache
def built_fixture() -> tuple[Path, Path, Path]:
    """Build the fixture's public and internal sites once; return (mkdocs.yml, site, site-internal)."""
    from kb.site.build import build_site

    root = Path(tempfile.mkdtemp(prefix="kb-site-test-")) / "kb"
    config = copy_fixture(root)
    settings = Settings.load(config)
    public = build_site(settings, internal=False, full=True)
    internal = build_site(settings, internal=True, full=True)
    return config, public, internal


@functools.cache
def built_sample() -> Path:
    """The repository's sample KB (articles/, search/, mkdocs.yml), both sites built once; its root."""
    from kb.site.build import build_site

    root = Path(tempfile.mkdtemp(prefix="kb-sample-")) / "kb"
    root.mkdir()
    for name in ("articles", "search"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    settings = Settings.load(root / "mkdocs.yml")
    build_site(settings, internal=False, full=True)
    build_site(settings, internal=True, full=True)
    return root


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that logs nothing."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_folder(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    """Serve `folder` over HTTP on a free port in a thread; return its URL and the server."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def edit(config: Path, rel: str, old: str, new: str) -> Path:
    """Replace `old` by `new` in the article `rel` of the KB of `config`, a moment after its build."""
    source = config.parent / "articles" / rel
    time.sleep(0.05)  # a new modification time
    source.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return source


def read(site: Path, rel: str) -> str:
    """Return the text of a built file."""
    return (site / rel).read_text(encoding="utf-8")


def file_text(path: Path) -> str:
    """Return a built file as text, gunzipped when compressed (Pagefind fragments, sitemap.xml.gz)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError):
            data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def distinctive_sentence(body: str) -> str:
    """Return the longest sentence of an article's prose (a string no other article is likely to hold)."""
    from kb.core.text import plain_text

    sentences = re.split(r"(?<=[.!?])\s+|\n", plain_text(body))
    return max((s.strip() for s in sentences), key=len)


THEME_ASSETS = (
    "assets/javascripts/",
    "assets/stylesheets/",
    "assets/images/",
    "assets/vendor/",
    "assets/kb.css",
    "assets/kb.js",
)


def leaks(site: Path, kb: KnowledgeBase) -> list[str]:
    """Every place in `site` that names a non-public article by id, title or a sentence of its own."""
    hidden = [a for a in kb.articles if not a.is_public]
    needles: list[tuple[str, re.Pattern[str]]] = []
    for a in hidden:
        needles.append((f"id {a.id}", re.compile(rf"(?<![\w-]){re.escape(a.id)}(?![\w-])")))
        needles.append((f"title {a.title!r}", re.compile(re.escape(a.title))))
        sentence = distinctive_sentence(a.body)
        needles.append((f"sentence of {a.id}", re.compile(re.escape(sentence))))
    stems = {Path(a.rel_path).stem: a.id for a in hidden}
    found = []
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.name in stems or (path.stem in stems and not path.is_dir()):
            found.append(f"{rel}: file name of {stems.get(path.name) or stems[path.stem]}")
        if not path.is_file() or path.suffix in (".ico", ".woff", ".woff2", ".wasm"):
            continue
        if rel.startswith(THEME_ASSETS):
            continue  # the theme's own files: Material, Mermaid, kb's CSS and JS
        text = file_text(path)
        for what, pattern in needles:
            if pattern.search(text):
                found.append(f"{path.relative_to(site)}: {what}")
    return found
