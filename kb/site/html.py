"""HTML the plugin adds to a build: Mermaid blocks, SOP sections and redirect pages."""

from __future__ import annotations

import contextlib
import html
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from kb.core import fs, sop
from kb.core.article import Article

MERMAID = re.compile(r'<pre class="mermaid"><code>(.*?)</code></pre>', re.S)
H2 = re.compile(r"(<h2[^>]*>.*?</h2>)", re.S)
TAGS = re.compile(r"<[^>]+>")
REDIRECTS_FILE = "_redirects"  # Netlify / Cloudflare Pages: one `/old /new 301` line per alias
REDIRECT_MARK = "<!-- kb: the old URL of an article (aliases) -->"  # tells our pages from others


def mermaid_html(page_html: str) -> str:
    """Turn Mermaid fences into <div class="kb-mermaid"> blocks that the theme renders offline."""
    # kept out of Pagefind's index and excerpts: search never shows the diagram's source
    ignore = '<div data-pagefind-ignore="all"><div class="kb-mermaid">\\1</div></div>'
    return MERMAID.sub(ignore, page_html)


def sop_html(page_html: str) -> str:
    """Wrap each SOP section of rendered HTML in <section class="kb-sop kb-sop-KEY">."""
    parts = H2.split(page_html)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        heading, rest = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
        text = html.unescape(TAGS.sub("", heading)).replace("¶", "").strip()
        key = sop.section_key(text) or "other"
        out.append(f'<section class="kb-sop kb-sop-{key}">{heading}{rest}</section>')
    return "".join(out)


def write_redirects(default_lang: str, site_dir: Path) -> None:
    """Send /en/ (the default language's folder) to the site root, where its home lives."""
    target = site_dir / default_lang / "index.html"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=../">'
            '<link rel="canonical" href="../"><title>Redirecting</title>',
            encoding="utf-8",
        )


def alias_file(alias: str) -> str:
    """The file below the site an alias's redirect page goes to: the alias itself or its index.html."""
    if alias.lower().endswith((".html", ".htm")):
        return alias
    return alias.rstrip("/") + "/index.html"


def relative_url(url: str, from_file: str) -> str:
    """The site URL `url` relative to the folder of the site file `from_file`, percent-encoded."""
    folder = posixpath.dirname(from_file) or "."
    rel = posixpath.relpath(url.rstrip("/") or ".", folder)
    if url.endswith("/") or not url:
        rel = "./" if rel == "." else rel + "/"
    return quote(rel)


def redirect_page(article: Article, page: str) -> str:
    """The redirect page at `page` (below the site) that sends a reader to `article`, no script."""
    rel = html.escape(relative_url(article.url, page))
    title = html.escape(article.title)
    return (
        f"<!doctype html>\n{REDIRECT_MARK}\n"
        f'<html lang="{html.escape(article.lang)}"><head><meta charset="utf-8">'
        f'<title>{title}</title><meta name="robots" content="noindex">'
        f'<meta http-equiv="refresh" content="0; url={rel}"><link rel="canonical" href="{rel}">'
        f'</head><body><p><a href="{rel}">{title}</a></p></body></html>\n'
    )


def _ours(path: Path) -> bool:
    """True for a redirect page an earlier build wrote (a rebuild links the previous site in)."""
    try:
        with path.open("rb") as handle:
            return REDIRECT_MARK.encode() in handle.read(len(REDIRECT_MARK) + 64)
    except OSError:
        return False


def _inside(site: Path, rel: str) -> Path | None:
    """`site / rel` resolved, or None when it leaves the site (a symlink, say)."""
    dest = (site / rel).resolve()
    return dest if dest != site and dest.is_relative_to(site) else None


def previous_aliases(site_dir: Path) -> list[str]:
    """The aliases the build that `site_dir` was linked from redirected (its `_redirects`)."""
    try:
        text = (site_dir / REDIRECTS_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    rows = (line.split() for line in text.splitlines())
    return [row[0].removeprefix("/") for row in rows if len(row) == 3 and row[2] == "301"]


def write_alias_pages(
    articles: Iterable[Article], site_dir: Path, not_found: Iterable[str] = ()
) -> list[str]:
    """Write a redirect page for every alias of `articles` and `_redirects`; return warnings.

    A rebuild starts from links to the previous site: its redirect pages that this build no
    longer wants are removed; a file of this build (a real page) is never overwritten.
    `_redirects` ends with a `/<lang>/* /<lang>/404.html 404` line for each language of
    `not_found` (Netlify's way to a 404 page per folder; it applies only where no file is).
    """
    site = site_dir.resolve()
    wanted = {alias: a for a in articles for alias in a.aliases}
    pages = {alias_file(alias) for alias in wanted}
    for alias in previous_aliases(site_dir):
        page = alias_file(alias)
        dest = _inside(site, page)
        if page not in pages and dest is not None and _ours(dest):
            dest.unlink()
            _prune_empty(dest.parent, site)
    warnings: list[str] = []
    lines = []
    for alias, article in sorted(wanted.items()):
        page = alias_file(alias)
        dest = _inside(site, page)
        if dest is None:
            warnings.append(f"alias '{alias}' of {article.rel_path} leaves the site: not written")
            continue
        if dest.exists() and not (dest.is_file() and _ours(dest)):
            warnings.append(
                f"alias '{alias}' of {article.rel_path}: the build has a page at {page}; "
                "its redirect is not written"
            )
            continue
        try:
            fs.write_atomic(dest, redirect_page(article, page))  # never through a hard link
        except OSError as exc:
            warnings.append(f"alias '{alias}' of {article.rel_path}: not written: {exc.strerror}")
            continue
        lines.append(f"/{alias} /{quote(article.url)} 301\n")
    lines += [f"/{lang}/* /{lang}/404.html 404\n" for lang in not_found]
    redirects = site / REDIRECTS_FILE
    if lines:
        fs.write_atomic(redirects, "".join(lines))
    else:
        redirects.unlink(missing_ok=True)
    return warnings


def _prune_empty(folder: Path, site: Path) -> None:
    """Remove `folder` and its parents below `site` while they are empty."""
    while folder != site and folder.is_relative_to(site):
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        if folder.exists():
            return
        folder = folder.parent
