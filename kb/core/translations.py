"""Translation state: whether a translation matches its source, recording that it does, what changed."""

from __future__ import annotations

import re
from collections.abc import Callable

from kb.core.article import Article
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError
from kb.core.frontmatter import parse
from kb.core.text import sections

HASH_LINE = re.compile(r"^source_hash:[^\n]*?(\r?\n)", re.M)


def state(kb: KnowledgeBase, article: Article) -> str:
    """unverified (no source_hash), current (matches the source's text) or outdated."""
    if not article.source_hash:
        return "unverified"
    source = kb.get(article.translation_of or "")
    return "current" if source and article.source_hash == source.text_hash else "outdated"


def set_source_hash(text: str, new_hash: str) -> str:
    """Rewrite (or add after translation_of) the `source_hash` line of an article's front matter."""
    if not text.startswith("---"):
        raise ValueError("no front matter")
    end = re.search(r"^(---|\.\.\.)[ \t]*\r?$", text[3:], re.M)
    if end is None:
        raise ValueError("front matter is not closed")
    head_end = 3 + end.start()
    head, rest = text[:head_end], text[head_end:]
    m = HASH_LINE.search(head)
    if m:
        return head[: m.start()] + f"source_hash: {new_hash}{m.group(1)}" + head[m.end() :] + rest
    anchor = re.search(r"^translation_of:[^\n]*(\r?\n)", head, re.M)
    if anchor is None:
        raise ValueError("no translation_of line")
    cut = anchor.end()
    return head[:cut] + f"source_hash: {new_hash}{anchor.group(1)}" + head[cut:] + rest


def sync(kb: KnowledgeBase, article: Article) -> bool:
    """Record the source's current text hash in the translation; False when already current."""
    source = kb.get(article.translation_of or "")
    if source is None:
        raise KBError(
            f"{kb.display(article)}: translation_of: no article with id {article.translation_of!r}"
        )
    if article.source_hash == source.text_hash:
        return False
    path = kb.path_of(article)
    with path.open("r", encoding="utf-8", newline="") as fh:
        text = fh.read()
    try:
        new = set_source_hash(text, source.text_hash)
    except ValueError as exc:
        raise KBError(f"{kb.display(article)}:1: source_hash: cannot rewrite: {exc}") from None
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(new)
    return True


def text_hash_of(text: str) -> str | None:
    """Article.text_hash of a file's text (None when it has no usable front matter)."""
    fm = parse(text)
    if not isinstance(fm.meta, dict) or "title" not in fm.meta:
        return None
    meta = {k: (v.strip() if isinstance(v, str) else v) for k, v in fm.meta.items()}
    return Article("x.md", meta, fm.body).text_hash


def section_changes(old_body: str, new_body: str) -> list[dict[str, str]]:
    """Sections added, removed or changed between two bodies, in the new order."""
    old = {s.heading: s.text for s in sections(old_body)}
    new = sections(new_body)
    out = []
    for s in new:
        name = s.heading or "(introduction)"
        if s.heading not in old:
            out.append({"section": name, "change": "added", "anchor": s.anchor})
        elif " ".join(old[s.heading].split()) != " ".join(s.text.split()):
            out.append({"section": name, "change": "changed", "anchor": s.anchor})
    kept = {s.heading for s in new}
    for heading in old:
        if heading not in kept:
            out.append({"section": heading or "(introduction)", "change": "removed", "anchor": ""})
    return out


def has_text_hash(wanted: str) -> Callable[[str], bool]:
    """A test of a file's text: does it hold the article whose text hash is `wanted`?"""
    return lambda text: text_hash_of(text) == wanted


def changes_since(old_text: str, source: Article) -> list[dict[str, str]]:
    """What changed in `source` since the file text `old_text`: title, summary and sections."""
    fm = parse(old_text)
    changes = section_changes(fm.body, source.body)
    if str(fm.meta.get("title", "")).strip() != source.title:
        changes.insert(0, {"section": "(title)", "change": "changed", "anchor": ""})
    if str(fm.meta.get("summary", "")).strip() != source.summary:
        changes.insert(0, {"section": "(summary)", "change": "changed", "anchor": ""})
    return changes
