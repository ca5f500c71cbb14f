"""Writing the Whoosh indexes: one per audience and language, incremental, swapped in atomically.

Layout of `settings.index_dir`::

    CURRENT                   name of the live generation, replaced atomically (os.replace)
    g000007/manifest.json     what is indexed: {language: {article id: hash}}, the analysis signature
    g000007/en/               the Whoosh index of the published English articles
    g000007/vocab/en.json     stems (compounds) and words per audience ("did you mean")

Every document carries `visibility` ("public" or "internal"); the public search always filters on
it (see kb.search), and "did you mean" only ever suggests words of public articles there.

An update hard-links the live generation into a new folder (Whoosh never rewrites a segment file;
deletions live in the table of contents), applies the changes there and then points CURRENT at
it, so a reader always sees one complete generation and never a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.core.cache import digest
from kb.core.errors import KBError
from kb.core.text import sections_text
from kb.search.analysis import Analyzer

if TYPE_CHECKING:
    from kb.core.article import Article
    from kb.core.collection import KnowledgeBase
    from kb.core.settings import Settings

log = logging.getLogger(__name__)
FORMAT = 4  # bump when the schema or the analysis changes: the next build is then a full one
AUDIENCES = ("public", "internal")
PARALLEL_MIN = 1500  # with `parallel: true`, full builds this large index languages in parallel
# BM25F: each field's terms count this many times in the one scored field, `content`, so term
# frequencies are weighted per field before BM25 saturates them (one posting list per word)
FIELD_WEIGHTS = {"title": 3, "summary": 2, "headings": 2, "tags": 2, "products": 2, "body": 1}
KEEP_GENERATIONS = 3


@dataclass
class IndexReport:
    """What a build_index call did, counted by article."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    generation: str = ""
    full: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the index was written."""
        return bool(self.added or self.updated or self.removed or self.full)

    def __str__(self) -> str:
        kind = "full build" if self.full else "update"
        return (
            f"{kind}: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.seconds:.2f} s)"
        )


def schema() -> Any:
    """Return the Whoosh schema: terms are pre-analysed by kb.search.analysis, so fields split on spaces."""
    from whoosh import analysis, fields

    space = analysis.SpaceSeparatedTokenizer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        visibility=fields.ID(),
        lang=fields.ID(),
        audience=fields.ID(),
        status=fields.ID(),
        category=fields.ID(),
        tag=fields.KEYWORD(commas=True, lowercase=True),
        product=fields.KEYWORD(commas=True, lowercase=True),
        display=fields.STORED(),
        content=fields.TEXT(analyzer=space, phrase=False),
    )


def signature(settings: Settings) -> str:
    """Hash of everything that changes how articles are analysed."""
    return digest(json.dumps([FORMAT, sorted(settings.languages)]), size=16)


def article_key(article: Article) -> str:
    """What decides whether an article must be re-indexed: its file content and its place."""
    return f"{article.content_hash}:{article.rel_path}:{int(article.is_public)}"


def document(article: Article, an: Analyzer, settings: Settings) -> dict[str, Any]:
    """Return the Whoosh document of one article."""
    text = sections_text(article.sections)
    category_title = (
        settings.category_title(article.category, article.lang) if article.category else ""
    )
    names = [p.name for p in article.products]
    return {
        "id": article.id,
        "visibility": "public" if article.is_public else "internal",
        "lang": article.lang,
        "audience": article.audience,
        "status": article.status,
        "category": article.category or "",
        "tag": ",".join(t.lower() for t in article.tags),
        "product": ",".join(n.lower() for n in names),
        "content": " ".join(weighted_terms(article, an, category_title, names)),
        "display": {
            "title": article.title,
            "url": article.url,
            "summary": article.summary,
            "category": article.category,
            "text": text,
        },
    }


def weighted_terms(article: Article, an: Analyzer, category: str, names: list[str]) -> list[str]:
    """The terms of every field, each repeated by its BM25F weight."""
    texts = {
        "title": article.title,
        "summary": article.summary,
        "headings": " \n".join(s.heading for s in article.sections),
        "tags": " ".join([*article.tags, category]),
        "products": " ".join(names),
        "body": "\n".join(s.text for s in article.sections),
    }
    out: list[str] = []
    for name, text in texts.items():
        out += an.terms(text) * FIELD_WEIGHTS[name]
    return out


# -- generations ---------------------------------------------------------------------------------
def generations(root: Path) -> fs.Generations:
    """The index generations below `root` (settings.index_dir)."""
    return fs.Generations(root, complete="manifest.json", keep=KEEP_GENERATIONS)


def current_generation(root: Path) -> Path | None:
    """Return the live generation folder, or None when nothing was indexed yet."""
    return generations(root).current()


def read_manifest(gen: Path) -> dict[str, Any]:
    """Return the manifest of a generation."""
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KBError(
            f"{gen / 'manifest.json'}: unreadable index manifest ({exc}); run kb index --full"
        ) from None


def _unchanged(path: Path) -> bool:
    """Files a new generation does not take from the last one: Whoosh's locks and the manifest."""
    return "LOCK" in path.name or path.name == "manifest.json"


# -- building ------------------------------------------------------------------------------------
def wanted(kb: KnowledgeBase) -> dict[str, dict[str, Article]]:
    """Articles each language's index must hold: every published one ({"en": {id: article}})."""
    out: dict[str, dict[str, Article]] = {}
    for a in kb.visible(internal=True):
        out.setdefault(a.lang, {})[a.id] = a
    return out


def build_index(
    kb: KnowledgeBase, settings: Settings | None = None, *, full: bool = False
) -> IndexReport:
    """Bring the indexes in line with the KB, re-indexing only changed articles; swap atomically."""
    settings = settings or kb.settings
    root = settings.index_dir
    started = time.perf_counter()
    gens = generations(root)
    with fs.locked(root / ".lock"):
        gen = gens.current()
        manifest = read_manifest(gen) if gen is not None and not full else None
        if manifest is not None and manifest.get("signature") != signature(settings):
            manifest = None
        old: dict[str, dict[str, str]] = manifest["indexes"] if manifest else {}
        new = wanted(kb)
        keys = {name: {i: article_key(a) for i, a in arts.items()} for name, arts in new.items()}
        report = _count(old, keys, full=manifest is None)
        if gen is not None and not report.changed:
            report.generation = gen.name
            report.seconds = time.perf_counter() - started
            return report
        target = gens.new()
        if manifest is not None and gen is not None:
            fs.link_tree(gen, target, skip=_unchanged)
        target.mkdir(parents=True, exist_ok=True)
        jobs = [
            (target, lang, old.get(lang, {}), new.get(lang, {}), settings, manifest is None)
            for lang in sorted(set(old) | set(new))
        ]
        parallel = settings.parallel and report.full and len(kb.articles) >= PARALLEL_MIN
        _run_jobs(jobs, parallel=parallel)
        data = {
            "format": FORMAT,
            "signature": signature(settings),
            "languages": list(settings.languages),
            "indexes": keys,
        }
        (target / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
        gens.publish(target)
        report.generation = target.name
        report.seconds = time.perf_counter() - started
        log.info("index %s: %s", target, report)
        return report


def _run_jobs(jobs: list[tuple[Any, ...]], parallel: bool) -> None:
    workers = min(len(jobs), os.cpu_count() or 1)
    if not parallel or workers < 2:
        for job in jobs:
            _update_one(*job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    big_first = sorted(jobs, key=lambda j: -len(j[3]))
    ctx = multiprocessing.get_context("spawn")  # safe even in a process with threads (torch)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for future in [pool.submit(_update_one, *job) for job in big_first]:
            future.result()


def _count(
    old: dict[str, dict[str, str]], new: dict[str, dict[str, str]], full: bool
) -> IndexReport:
    def flat(indexes: dict[str, dict[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in sorted(indexes):
            for i, key in indexes[name].items():
                out[i] = out.get(i, "") + f"|{name}={key}"
        return out

    before, after = flat(old), flat(new)
    report = IndexReport(full=full)
    for i, key in after.items():
        if i not in before:
            report.added += 1
        elif before[i] != key:
            report.updated += 1
        else:
            report.unchanged += 1
    report.removed = sum(1 for i in before if i not in after)
    return report


def _update_one(
    gen: Path,
    lang: str,
    old: dict[str, str],
    new: dict[str, Article],
    settings: Settings,
    full: bool,
) -> None:
    """Apply the changes of one language's index inside generation folder `gen`."""
    from whoosh import index

    changed = [a for i, a in new.items() if full or old.get(i) != article_key(a)]
    gone = [i for i in old if i not in new]
    if not full and not changed and not gone:
        return
    path = gen / lang
    path.mkdir(parents=True, exist_ok=True)
    vocab_file = gen / "vocab" / f"{lang}.json"
    an = Analyzer(lang)
    words: dict[str, set[str]] = {aud: set() for aud in AUDIENCES}
    if not full and vocab_file.is_file():
        saved = json.loads(vocab_file.read_text(encoding="utf-8"))
        an.vocabulary = set(saved["stems"])
        words = {aud: set(saved["words"].get(aud, ())) for aud in AUDIENCES}
    for a in changed:
        seen = set(an.words(f"{a.title}\n{a.summary}\n{a.body}"))
        an.learn_words(seen)
        good = {w for w in seen if len(w) >= 4 and w.isalpha() and not an.is_stopword(w)}
        words["internal"] |= good
        if a.is_public:
            words["public"] |= good
    ix = (
        index.create_in(path, schema())
        if full or not index.exists_in(path)
        else index.open_dir(path)
    )
    writer = ix.writer(limitmb=256)
    try:
        for i in gone:
            writer.delete_by_term("id", i)
        for a in changed:
            if full:
                writer.add_document(**document(a, an, settings))
            else:
                writer.update_document(**document(a, an, settings))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    data = {"stems": sorted(an.vocabulary), "words": {k: sorted(v) for k, v in words.items()}}
    fs.write_atomic(vocab_file, json.dumps(data))
