"""HTML the plugin adds to a build: Mermaid blocks, SOP sections and the default language's redirect."""

from __future__ import annotations

import html
import re
from pathlib import Path

from kb.core import sop

MERMAID = re.compile(r'<pre class="mermaid"><code>(.*?)</code></pre>', re.S)
H2 = re.compile(r"(<h2[^>]*>.*?</h2>)", re.S)
TAGS = re.compile(r"<[^>]+>")


def mermaid_html(page_html: str) -> str:
    """Turn Mermaid fences into <div class="kb-mermaid"> blocks that the theme renders offline."""
    return MERMAID.sub(r'<div class="kb-mermaid">\1</div>', page_html)


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
