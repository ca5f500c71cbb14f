"""Reading the articles folder: each file parsed and validated, reused from the article cache."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from kb.core import cache, fs, sop
from kb.core.article import Article
from kb.core.errors import ArticleError, display_path
from kb.core.frontmatter import FileProblem, FrontMatter, parse, read_text
from kb.core.schema import FIELD_BY_NAME, FIELDS, Context, Invalid, check_value, unknown_key_message
from kb.core.settings import Settings
from kb.core.text import fenced_languages, has_numbered_list

SKIP_DIRS = {".git", ".kb", "__pycache__", "node_modules"}
PARALLEL_MIN_FILES = 2000  # with `parallel: true`, KBs this large are parsed on every core
CACHE_VERSION = 2
Result = tuple[Article | None, list[ArticleError]]
# settings a build changes without changing how an article reads
VOLATILE = {"site_dir", "internal_site_dir", "warnings", "parallel"}


def iter_markdown(root: Path) -> Iterator[Path]:
    """Yield every Markdown file below `root` in a stable order, skipping hidden and build folders."""
    found = []
    real_root = os.path.realpath(root) + os.sep
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".md") and (
                not os.path.islink(path) or os.path.realpath(path).startswith(real_root)
            ):  # a link out of the KB, or to nothing, is kb.core.publish's error
                found.append(path)
    for name in sorted(found):
        yield Path(name)


@functools.lru_cache(maxsize=64)
def _shown_root(docs_dir: Path) -> str:
    return display_path(docs_dir)


def shown_path(docs_dir: Path, rel_path: str) -> str:
    """How messages name the file `rel_path` below the articles folder `docs_dir`."""
    return f"{_shown_root(docs_dir)}/{rel_path}"


def read_cached(paths: list[Path], settings: Settings, ctx: Context) -> list[Result]:
    """read_all, taking from the article cache each file whose bytes were read before."""
    if not settings.cache:
        return list(read_all(paths, settings, ctx))
    store = ArticleCache.open(settings, ctx)
    rels = [path.relative_to(settings.docs_dir).as_posix() for path in paths]
    results: list[Result | None] = []
    for path, rel in zip(paths, rels, strict=True):
        try:
            results.append(store.get(rel, path.read_bytes()))
        except OSError:
            results.append(None)  # read_article reports it
    fresh = iter(
        read_all([p for p, r in zip(paths, results, strict=True) if r is None], settings, ctx)
    )
    for i, result in enumerate(results):
        if result is None:
            results[i] = result = next(fresh)
            store.put(rels[i], result)
    store.save()
    return [r for r in results if r is not None]


def read_all(paths: list[Path], settings: Settings, ctx: Context) -> Iterator[Result]:
    """Read and validate files in order; with `parallel`, large KBs are parsed on every core."""
    workers = min(os.cpu_count() or 1, 8)
    if not settings.parallel or len(paths) < PARALLEL_MIN_FILES or not fs.can_fork(cores=2):
        for path in paths:
            yield read_article(path, settings, ctx)
        return
    chunk = max(100, len(paths) // (workers * 4))
    import multiprocessing

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(
            _read_for_pool, paths, [settings] * len(paths), [ctx] * len(paths), chunksize=chunk
        )


def _read_for_pool(path: Path, settings: Settings, ctx: Context) -> Result:
    return read_article(path, settings, ctx)


class ArticleCache:
    """Per file: a digest of its bytes and what reading it gave (article and problems).

    Parsing the YAML front matter of a thousand articles is most of loading a KB (about 0.25 s);
    an entry is reused only for the same bytes under the same settings, validation date and kb
    code, so a cached result is the one reading the file again would give.
    """

    def __init__(self, path: Path, key: str, entries: dict[str, tuple[str, Result]]) -> None:
        self.path = path
        self.key = key
        self._old = entries
        self._new: dict[str, tuple[str, Result]] = {}
        self._missed: dict[str, str] = {}  # file -> digest, until put

    @classmethod
    def open(cls, settings: Settings, ctx: Context) -> ArticleCache:
        """The cache of this KB (empty when missing, unreadable or made under other settings)."""
        path = settings.caches.articles
        key = _fingerprint(settings, ctx)
        return cls(path, key, cache.load(path, CACHE_VERSION, key) or {})

    def get(self, rel: str, data: bytes) -> Result | None:
        """What reading the file `rel` with these bytes gave last time, or None."""
        made_from = cache.digest(data, size=64)
        entry = self._old.get(rel)
        if entry is None or entry[0] != made_from:
            self._missed[rel] = made_from
            return None
        self._new[rel] = entry
        return entry[1]

    def put(self, rel: str, result: Result) -> None:
        """Remember what reading `rel` gave, after a `get` that missed."""
        made_from = self._missed.pop(rel, None)
        if made_from is not None:
            self._new[rel] = (made_from, result)

    def save(self) -> None:
        """Write the entries of this run when they differ from the stored ones."""
        if self._new.keys() == self._old.keys() and all(
            self._new[k] is self._old[k] for k in self._new
        ):
            return
        cache.save(self.path, CACHE_VERSION, self.key, self._new)


def _fingerprint(settings: Settings, ctx: Context) -> str:
    """What reading an article depends on besides its bytes: settings, date, cwd and kb's code."""
    parts: list[Any] = [
        (f.name, getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in VOLATILE
    ]
    parts.append(ctx)
    parts.append(display_path(settings.docs_dir))  # problems name files relative to the cwd
    return cache.digest(repr(parts), cache.code_fingerprint(), size=64)


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
    shown = shown_path(settings.docs_dir, rel)
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
        content_hash=cache.digest(text, size=16),
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
            problems.append((line, "sections", f"an SOP needs the section '## {name}'"))
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
