"""KnowledgeBase: read every article, validate all of it, run cross-article checks, fail once."""

from __future__ import annotations

import functools
import hashlib
import logging
import multiprocessing as mp
import os
import posixpath
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core import sop
from kb.core.article import Article
from kb.core.errors import ArticleError, ValidationFailed, display_path
from kb.core.frontmatter import FileProblem, FrontMatter, parse, read_text
from kb.core.schema import (
    FIELD_BY_NAME,
    FIELDS,
    Context,
    Invalid,
    check_value,
    did_you_mean,
    unknown_key_message,
)
from kb.core.settings import Settings
from kb.core.text import fenced_languages, has_numbered_list, links

log = logging.getLogger(__name__)
SKIP_DIRS = {".git", ".kb", "__pycache__", "node_modules"}


@dataclass
class KnowledgeBase:
    """All articles of a knowledge base, valid and cross-checked."""

    settings: Settings
    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    warnings: list[ArticleError] = field(default_factory=list)
    files_checked: int = 0

    def __post_init__(self) -> None:
        self.by_id: dict[str, Article] = {}
        self.by_path: dict[str, Article] = {}
        self._index()

    def _index(self) -> None:
        self.by_id = {}
        for a in self.articles:
            self.by_id.setdefault(a.id, a)
        self.by_path = {a.rel_path: a for a in self.articles}

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, settings: Settings) -> KnowledgeBase:
        """Load and validate the whole KB, raising ValidationFailed with every error found."""
        kb = cls.scan(settings)
        if kb.errors:
            raise ValidationFailed(kb.errors)
        return kb

    @classmethod
    def scan(cls, settings: Settings) -> KnowledgeBase:
        """Load the KB and collect every error and warning without raising."""
        kb = cls(settings=settings, warnings=list(settings.warnings))
        ctx = settings.context()
        if not settings.docs_dir.is_dir():
            kb.errors.append(
                ArticleError(display_path(settings.docs_dir), 1, "docs_dir", "no such folder")
            )
            return kb
        for article, problems in _read_cached(
            list(iter_markdown(settings.docs_dir)), settings, ctx
        ):
            kb.files_checked += 1
            for problem in problems:
                (kb.errors if problem.is_error else kb.warnings).append(problem)
            if article is not None:
                kb.articles.append(article)
        kb._index()
        for problem in cross_check(kb):
            (kb.errors if problem.is_error else kb.warnings).append(problem)
        kb.errors.sort()
        kb.warnings.sort()
        return kb

    # -- queries -------------------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        """Return the article with this id, or None."""
        return self.by_id.get(article_id)

    def public(self) -> list[Article]:
        """Articles that belong on the public site."""
        return [a for a in self.articles if a.is_public]

    def visible(self, internal: bool = False) -> list[Article]:
        """Articles a customer (or, with internal=True, an agent) may see: published ones."""
        return [a for a in self.articles if a.is_public or (internal and a.is_live)]

    def translations(self, article: Article) -> dict[str, Article]:
        """All language versions of an article (itself included), keyed by language."""
        group = self._groups().get(article.source_id, [article])
        return {a.lang: a for a in sorted(group, key=lambda a: a.translation_of is not None)}

    def _groups(self) -> dict[str, list[Article]]:
        groups: dict[str, list[Article]] = defaultdict(list)
        for a in self.articles:
            groups[a.source_id].append(a)
        return groups

    def path_of(self, article: Article) -> Path:
        """Absolute path of an article's file."""
        return self.settings.docs_dir / article.rel_path

    def display(self, article: Article) -> str:
        """The article's path as shown in messages."""
        return f"{_shown_root(self.settings.docs_dir)}/{article.rel_path}"

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)


PARALLEL_MIN_FILES = 2000


def _read_cached(
    paths: list[Path], settings: Settings, ctx: Context
) -> list[tuple[Article | None, list[ArticleError]]]:
    """read_all, with the files whose bytes were read before under the same settings from cache."""
    from kb.core.article_cache import ArticleCache

    cache = ArticleCache.open(settings, ctx)
    rels = [path.relative_to(settings.docs_dir).as_posix() for path in paths]
    results: list[tuple[Article | None, list[ArticleError]] | None] = []
    for path, rel in zip(paths, rels, strict=True):
        try:
            results.append(cache.get(rel, path.read_bytes()))
        except OSError:
            results.append(None)  # read_article reports it
    fresh = iter(
        read_all([p for p, r in zip(paths, results, strict=True) if r is None], settings, ctx)
    )
    for i, result in enumerate(results):
        if result is None:
            results[i] = result = next(fresh)
            cache.put(rels[i], result)
    cache.save()
    return [r for r in results if r is not None]


def read_all(
    paths: list[Path], settings: Settings, ctx: Context
) -> Iterator[tuple[Article | None, list[ArticleError]]]:
    """Read and validate files in order; large KBs are parsed on every core."""
    workers = min(os.cpu_count() or 1, 8)
    # fork only from a single-threaded process: forking a server with live threads can deadlock
    if (
        len(paths) < PARALLEL_MIN_FILES
        or workers < 2
        or threading.active_count() > 1
        or "fork" not in mp.get_all_start_methods()
    ):
        for path in paths:
            yield read_article(path, settings, ctx)
        return
    chunk = max(100, len(paths) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        yield from pool.map(
            _read_for_pool, paths, [settings] * len(paths), [ctx] * len(paths), chunksize=chunk
        )


def _read_for_pool(
    path: Path, settings: Settings, ctx: Context
) -> tuple[Article | None, list[ArticleError]]:
    return read_article(path, settings, ctx)


def iter_markdown(root: Path) -> Iterator[Path]:
    """Yield every Markdown file below `root` in a stable order, skipping hidden and build folders."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found += [os.path.join(folder, f) for f in files if f.endswith(".md")]
    for name in sorted(found):
        yield Path(name)


@functools.lru_cache(maxsize=64)
def _shown_root(docs_dir: Path) -> str:
    return display_path(docs_dir)


def default_id(rel_path: str) -> str:
    """The id of an article without one: its path below the articles folder, without .md."""
    return rel_path.removesuffix(".md")


def default_lang(rel_path: str, settings: Settings) -> str:
    """The language of an article without `lang`: its top folder when that names a language."""
    top = rel_path.split("/", 1)[0]
    if "/" in rel_path and top in settings.languages:
        return top
    return settings.defaults.get("lang") or settings.default_lang


def read_article(
    path: Path, settings: Settings, ctx: Context | None = None
) -> tuple[Article | None, list[ArticleError]]:
    """Read and validate one file; return the article (None when unusable) and its problems."""
    ctx = ctx or settings.context()
    rel = path.relative_to(settings.docs_dir).as_posix()
    shown = f"{_shown_root(settings.docs_dir)}/{rel}"
    try:
        text = read_text(path, settings.max_article_kb * 1024)
    except FileProblem as exc:
        return None, [ArticleError(shown, exc.line, exc.field, exc.message)]
    fm = parse(text)
    problems = [ArticleError(shown, line, fld, msg) for line, fld, msg in fm.problems]
    if not fm.has_front_matter:
        problems.append(
            ArticleError(
                shown,
                1,
                "front matter",
                "missing: start the file with a '---' block holding at least 'title:'",
            )
        )
        return None, problems
    if any(fld == "front matter" for _, fld, _ in fm.problems):
        return None, problems
    meta, field_problems = validate_meta(fm, rel, settings, ctx)
    problems += [ArticleError(shown, line, fld, msg, sev) for line, fld, msg, sev in field_problems]
    if "title" not in meta:
        return None, problems
    article = Article(
        rel_path=rel,
        meta=meta,
        body=fm.body,
        body_line=fm.body_line,
        key_lines=fm.key_lines,
        item_lines=fm.item_lines,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )
    problems += [ArticleError(shown, line, fld, msg) for line, fld, msg in body_problems(article)]
    return article, problems


def validate_meta(
    fm: FrontMatter, rel_path: str, settings: Settings, ctx: Context
) -> tuple[dict[str, Any], list[tuple[int, str, str, str]]]:
    """Check every front-matter value against the schema; invalid values fall back to defaults."""
    problems: list[tuple[int, str, str, str]] = []
    meta: dict[str, Any] = {}
    for key, value in fm.meta.items():
        if key not in FIELD_BY_NAME:
            problems.append((fm.line_of(key), key, unknown_key_message(key), "warning"))
            continue
        try:
            meta[key] = check_value(key, value, ctx)
        except Invalid as exc:
            problems.append((fm.line_of(key, exc.item), key, exc.message, exc.severity))
            if exc.severity != "error":
                meta[key] = value
    for f in FIELDS:
        if f.name in meta:
            continue
        if f.required:
            if f.name not in fm.meta:
                problems.append((1, f.name, "required field is missing", "error"))
        elif f.name in settings.defaults:
            meta[f.name] = settings.defaults[f.name]
        elif f.default is not None:
            meta[f.name] = f.default
    meta.setdefault("id", default_id(rel_path))
    meta.setdefault("lang", default_lang(rel_path, settings))
    return meta, problems


def body_problems(article: Article) -> list[tuple[int, str, str]]:
    """Problems in an article's body: SOP anatomy."""
    if article.type != "sop":
        return []
    problems = []
    line = article.line_of("type")
    found = sop.find_sections(article.body)
    for key in sop.REQUIRED:
        if key not in found:
            name = sop.heading_name(key, article.lang)
            problems.append((line, "sections", f"an SOP needs a '{name}' section (## {name})"))
    if "procedure" in found and not has_numbered_list(found["procedure"][1]):
        index, _ = found["procedure"]
        problems.append(
            (article.body_line + index, "sections", "the procedure needs numbered steps (1. 2. 3.)")
        )
    if "flowchart" in found and "mermaid" not in fenced_languages(found["flowchart"][1]):
        index, _ = found["flowchart"]
        problems.append(
            (
                article.body_line + index,
                "sections",
                "the flowchart section needs a ```mermaid block",
            )
        )
    if not article.department:
        problems.append((1, "department", "an SOP needs a department"))
    return problems


def cross_check(kb: KnowledgeBase) -> Iterable[ArticleError]:
    """Checks that need the whole KB: ids, related, translations and links."""
    ids = sorted(kb.by_id)
    first: dict[str, Article] = {}
    for a in kb.articles:
        if a.id in first:
            other = first[a.id]
            yield _err(
                kb,
                a,
                "id",
                f"duplicate id '{a.id}' (also used by {kb.display(other)}:{other.line_of('id')})",
            )
        else:
            first[a.id] = a
    first_translation: dict[tuple[str, str], Article] = {}
    for a in kb.articles:
        if a.translation_of:
            first_translation.setdefault((a.translation_of, a.lang), a)
    for a in kb.articles:
        for i, rid in enumerate(a.related):
            line = a.line_of("related", i)
            if rid == a.id:
                yield ArticleError(
                    kb.display(a), line, "related", "an article cannot be related to itself"
                )
            elif rid not in kb.by_id:
                yield ArticleError(
                    kb.display(a),
                    line,
                    "related",
                    f"no article with id '{rid}'" + did_you_mean(rid, ids),
                )
        yield from _check_translation(kb, a, ids, first_translation)
        yield from _check_links(kb, a)


def _check_translation(
    kb: KnowledgeBase, a: Article, ids: list[str], first: dict[tuple[str, str], Article]
) -> Iterator[ArticleError]:
    sid = a.translation_of
    if not sid:
        return
    src = kb.by_id.get(sid)
    if src is None:
        yield _err(kb, a, "translation_of", f"no article with id '{sid}'" + did_you_mean(sid, ids))
    elif src is a:
        yield _err(kb, a, "translation_of", "an article cannot be a translation of itself")
    elif src.translation_of:
        yield _err(
            kb,
            a,
            "translation_of",
            f"'{sid}' is itself a translation of '{src.translation_of}'; name that source",
        )
    elif src.lang == a.lang:
        yield _err(
            kb,
            a,
            "translation_of",
            f"'{sid}' is in the same language ({a.lang}); a translation needs another language",
        )
    else:
        earlier = first[(sid, a.lang)]
        if earlier is not a:
            yield _err(
                kb,
                a,
                "translation_of",
                f"'{sid}' already has a {a.lang} translation: {kb.display(earlier)}",
            )


def _check_links(kb: KnowledgeBase, a: Article) -> Iterator[ArticleError]:
    base = posixpath.dirname(a.rel_path)
    for line, target in links(a.body, a.body_line):
        if not target or "://" in target or target.startswith(("#", "mailto:", "tel:", "/")):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path.endswith(".md"):
            continue
        resolved = posixpath.normpath(posixpath.join(base, path))
        if resolved not in kb.by_path:
            yield ArticleError(
                kb.display(a), line, "links", f"broken link to '{target}': no such article"
            )


def _err(kb: KnowledgeBase, a: Article, fld: str, message: str) -> ArticleError:
    return ArticleError(kb.display(a), a.line_of(fld), fld, message)
