"""Published URLs: what the last public build served (`.kb/published.json`), and what is gone since.

`kb build` of the public site records every article URL and alias it published, with the git
commit the articles were at. `kb check` then fails for each recorded URL the KB no longer
serves and names the alias that would keep it working; for an article whose id changed with its
file, it finds the file the old one became in git. Outside git every lookup degrades quietly.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core import fs
from kb.core.article import Article
from kb.core.collection import KnowledgeBase
from kb.core.errors import ArticleError, display_path
from kb.core.frontmatter import parse
from kb.core.git import run_git
from kb.core.reading import shown_path
from kb.core.urls import url_key

log = logging.getLogger(__name__)
VERSION = 1
COMMIT_RE = re.compile(r"^[0-9a-f]{7,64}$")
SIMILAR = 0.6  # difflib ratio from which an article counts as the old one's new version
MAX_URL = 1000
MAX_MANIFEST = 64 << 20
ACCEPT = "if the URL is meant to go, the next kb build records that"


@dataclass(frozen=True)
class Manifest:
    """The URLs a public build published: url -> (article id, path below the articles folder)."""

    commit: str | None
    urls: dict[str, tuple[str, str]]


def published_urls(articles: Iterable[Article]) -> dict[str, dict[str, str]]:
    """Every URL of `articles` (their pages and aliases), sorted: {url: {"id", "path"}}."""
    urls: dict[str, dict[str, str]] = {}
    for a in articles:
        for url in (a.url, *a.aliases):
            urls.setdefault(url, {"id": a.id, "path": a.rel_path})
    return dict(sorted(urls.items()))


def head_commit(docs_dir: Path) -> str | None:
    """The HEAD commit of the git repository holding `docs_dir`, or None outside git."""
    out = run_git(["rev-parse", "--verify", "-q", "HEAD"], docs_dir, timeout=30)
    commit = (out or "").strip()
    return commit if COMMIT_RE.match(commit) else None


def write_manifest(kb: KnowledgeBase, path: Path | None = None) -> Path:
    """Record the public URLs of `kb` in `path` (`.kb/published.json`), atomically; return it."""
    path = path or kb.settings.layout.published
    record = {
        "version": VERSION,
        "commit": head_commit(kb.settings.docs_dir),
        "urls": published_urls(kb.public()),
    }
    fs.write_atomic(path, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path`; ValueError saying what is wrong with a damaged or foreign one."""
    try:
        if path.stat().st_size > MAX_MANIFEST:
            raise ValueError(f"larger than {MAX_MANIFEST >> 20} MB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read it ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON (line {exc.lineno})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError(f"not a version {VERSION} manifest")
    commit, urls = data.get("commit"), data.get("urls")
    if commit is not None and not (isinstance(commit, str) and COMMIT_RE.match(commit)):
        raise ValueError("'commit' is not a commit id")
    if not isinstance(urls, dict):
        raise ValueError("'urls' is not a mapping")
    out: dict[str, tuple[str, str]] = {}
    for url, entry in urls.items():
        if not (_plain(url) and isinstance(entry, dict)):
            raise ValueError("an entry of 'urls' is damaged")
        aid, rel = entry.get("id"), entry.get("path")
        if not (isinstance(aid, str) and isinstance(rel, str) and _plain(aid) and _plain(rel)):
            raise ValueError("an entry of 'urls' is damaged")
        out[url] = (aid, rel)
    return Manifest(commit, out)


def _plain(value: Any) -> bool:
    """True for text that is safe to show: bounded, no control characters."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_URL
        and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
    )


def gone_urls(kb: KnowledgeBase, path: Path | None = None) -> list[ArticleError]:
    """One error per URL the last public build published that `kb` no longer serves.

    No manifest (a fresh clone) checks nothing; a damaged one gives one warning.
    """
    path = path or kb.settings.layout.published
    if not path.is_file():
        return []
    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        message = (
            f"the URLs of the last build are not checked: {exc}; the next kb build rewrites it"
        )
        return [ArticleError(display_path(path), 1, "aliases", message, severity="warning")]
    public = kb.public()
    served: set[str] = set()
    for a in public:
        served.update(url_key(u) for u in (a.url, *a.aliases))
    before = {url_key(u) for u in manifest.urls}
    new = [a for a in public if url_key(a.url) not in before]
    finder = _Successors(kb, manifest.commit, new)
    problems = []
    for url, (aid, rel) in manifest.urls.items():
        if url_key(url) not in served:
            problems.append(_gone(kb, url, aid, rel, finder))
    return problems


def _gone(kb: KnowledgeBase, url: str, aid: str, rel: str, finder: _Successors) -> ArticleError:
    head = f"the URL {url} published by the last build is gone"
    fix = f"add it to aliases (aliases: [{url}])"
    same = kb.get(aid) or kb.by_path.get(rel)
    if same is not None and same.is_public:
        return _on(kb, same, f"{head}: {fix}; {ACCEPT}")
    if same is not None:  # the article is internal, a draft or archived now
        why = same.status if same.status != "published" else same.audience
        return _on(
            kb,
            same,
            f"{head}: this article is {why} now: add {url} to the aliases of the article that "
            f"replaces it; {ACCEPT}",
        )
    successor = finder.find(rel)
    if successor is not None:
        return _on(
            kb, successor, f"{head}: git shows {rel} became {successor.rel_path}: {fix}; {ACCEPT}"
        )
    return ArticleError(
        shown_path(kb.settings.docs_dir, rel),
        1,
        "aliases",
        f"{head}: {rel} was removed since the last build: add {url} to the aliases of the "
        f"article that replaces it; {ACCEPT}",
    )


def _on(kb: KnowledgeBase, article: Article, message: str) -> ArticleError:
    return ArticleError(kb.display(article), article.line_of("aliases"), "aliases", message)


class _Successors:
    """The current article a file of the last build became: same title, else the most similar text."""

    def __init__(self, kb: KnowledgeBase, commit: str | None, new: list[Article]) -> None:
        self.kb = kb
        self.commit = commit
        new_ids = {a.id for a in new}
        # articles at URLs the last build did not have are the likeliest new homes
        self.candidates = [*new, *(a for a in kb.public() if a.id not in new_ids)]
        self._found: dict[str, Article | None] = {}

    def find(self, rel: str) -> Article | None:
        """The article the file `rel` (below the articles folder) at the commit became, or None."""
        if rel not in self._found:
            self._found[rel] = self._find(rel)
        return self._found[rel]

    def _find(self, rel: str) -> Article | None:
        if self.commit is None or ".." in rel.split("/") or not rel.endswith(".md"):
            return None
        old = run_git(["show", f"{self.commit}:./{rel}"], self.kb.settings.docs_dir, timeout=30)
        if old is None:
            return None
        fm = parse(old)
        title = fm.meta.get("title") if isinstance(fm.meta, dict) else None
        if isinstance(title, str) and title.strip():
            wanted = title.strip().casefold()
            for a in self.candidates:
                if a.title.strip().casefold() == wanted:
                    return a
        best, best_ratio = None, SIMILAR
        text = fm.body.strip()
        for a in self.candidates:
            matcher = difflib.SequenceMatcher(None, text, a.body.strip())
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio or (best is None and ratio >= best_ratio):
                best, best_ratio = a, ratio
        return best
