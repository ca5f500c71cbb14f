"""Evaluation sets (articles.jsonl + queries.jsonl) as an in-memory KnowledgeBase and queries."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.core.article import Article
from kb.core.cache import digest
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, display_path
from kb.core.settings import Settings

if TYPE_CHECKING:
    from kb.suggest.suggester import Suggester


@dataclass(frozen=True)
class Query:
    """One evaluation question and the ids of the articles that answer it."""

    id: str
    text: str
    gold: tuple[str, ...]
    lang: str


def _rows(path: Path | str) -> list[tuple[int, dict]]:
    p = Path(path)
    rows = []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KBError(f"{display_path(p)}: cannot read: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise KBError(f"{display_path(p)}:{number}: invalid JSON: {exc}") from None
        if not isinstance(row, dict):
            raise KBError(f"{display_path(p)}:{number}: expected a JSON object")
        rows.append((number, row))
    return rows


def _need(path: Path | str, number: int, row: dict, key: str) -> object:
    if key not in row:
        raise KBError(f"{display_path(Path(path))}:{number}: {key}: missing")
    return row[key]


def _jsonl_articles(path: Path | str) -> list[Article]:
    articles = []
    for number, row in _rows(path):
        aid = str(_need(path, number, row, "id"))
        lang = str(row.get("lang") or "en")
        title = str(row.get("title") or "")
        body = str(_need(path, number, row, "body"))
        meta = {
            "id": aid,
            "title": title,
            "lang": lang,
            "type": "solution",
            "audience": "public",
            "status": "published",
        }
        made_from = digest(f"{title}\n{body}", size=16)
        articles.append(Article(f"{lang}/{aid}.md", meta, body, content_hash=made_from))
    return articles


def load_jsonl_kb(path: Path | str, settings: Settings | None = None) -> KnowledgeBase:
    """Read an articles.jsonl ({id, title, body, lang}) into a KnowledgeBase of public articles."""
    return _kb(_jsonl_articles(path), Path(path).resolve().parent, settings)


def _kb(
    articles: list[Article], root: Path, settings: Settings | None, langs: tuple[str, ...] = ()
) -> KnowledgeBase:
    langs = langs or tuple(dict.fromkeys(a.lang for a in articles))
    if settings is None:
        settings = Settings(
            root=root,
            docs_dir=root,
            languages=langs or ("en",),
            default_lang=langs[0] if langs else "en",
            kb_dir=root / ".kb",
            synonyms_file=root / "synonyms.yml",
            queries_file=root / "queries.yml",
        )
    return KnowledgeBase(settings=settings, articles=articles, files_checked=len(articles))


def load_queries(path: Path | str) -> list[Query]:
    """Read a queries.jsonl ({id, text, gold: [ids], lang}) into Query objects.

    A name of `EVAL_SETS` (where no such file is) stands for all of that set's questions.
    """
    named = named_set(path)
    if named is not None:
        return [q for p in named.query_paths() for q in load_queries(p)]
    out = []
    for number, row in _rows(path):
        gold = _need(path, number, row, "gold")
        if isinstance(gold, str):
            gold = [gold]
        if not isinstance(gold, list):
            raise KBError(f"{display_path(Path(path))}:{number}: gold: expected a list of ids")
        out.append(
            Query(
                id=str(row.get("id", number)),
                text=str(_need(path, number, row, "text")),
                gold=tuple(str(g) for g in gold),
                lang=str(row.get("lang") or "en"),
            )
        )
    return out


def eval_settings(config: str | Path, langs: tuple[str, ...]) -> Settings:
    """Settings for an evaluation set: the project's model settings, the set's languages."""
    base = Settings.load(config) if Path(config).exists() else Settings()
    # the set is a KB of its own: the project's model settings apply, its synonyms do not
    return dataclasses.replace(
        base,
        languages=langs,
        default_lang=langs[0],
        synonyms_file=Path(os.devnull),  # no file: no synonyms
        warnings=[],
    )


def open_eval_set(articles: str | Path, config: str | Path) -> Suggester:
    """A suggester over an articles.jsonl, indexed in memory, its vectors cached apart from the KB's.

    `articles` may also name one of `EVAL_SETS` (where no such file is): its articles, in its
    languages.
    """
    from kb.search.searcher import index_in_memory
    from kb.suggest.suggester import Suggester

    named = named_set(articles)
    if named is not None:
        probe = named.load()
        where = named.cache_name()
    else:
        probe = load_jsonl_kb(articles)
        where = str(Path(articles).resolve())
    settings = eval_settings(config, probe.settings.languages)
    kb = named.load(settings) if named is not None else load_jsonl_kb(articles, settings)
    return Suggester.from_settings(
        settings,
        kb=kb,
        internal=False,
        searcher=index_in_memory(kb.articles, settings),
        namespace="eval-" + digest(where, size=10),
    )


# -- named evaluation sets ---------------------------------------------------------------------

# where the sets' files are: this repository's evaldata/ (paths below are relative to its parent)
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Part:
    """Articles of one articles.jsonl; `half` 0 or 1 keeps every second one of its sorted ids.

    `half=0` keeps the 1st, 3rd, 5th, ... id in sorted order, `half=1` the 2nd, 4th, ...; two
    files with the same ids, one with each half, give every page once.
    """

    path: str
    half: int | None = None

    def articles(self, root: Path) -> list[Article]:
        """The articles of this part."""
        found = _jsonl_articles(root / self.path)
        if self.half is None:
            return found
        kept = set(sorted(a.id for a in found)[self.half :: 2])
        return [a for a in found if a.id in kept]


@dataclass(frozen=True)
class EvalSet:
    """A named evaluation set: its articles, its questions (off-topic ones too), its languages."""

    name: str
    articles: tuple[Part, ...]
    queries: tuple[str, ...]
    languages: tuple[str, ...] = ()  # the KB's languages; () = those of the articles
    root: Path = REPOSITORY

    def query_paths(self) -> list[Path]:
        """The question files."""
        return [self.root / q for q in self.queries]

    def load(self, settings: Settings | None = None) -> KnowledgeBase:
        """The set's articles as a KnowledgeBase; without settings, ones for its languages."""
        articles = [a for part in self.articles for a in part.articles(self.root)]
        seen: set[str] = set()
        for a in articles:
            if a.id in seen:
                raise KBError(f"evaluation set {self.name}: article id {a.id} twice")
            seen.add(a.id)
        root = (self.root / self.articles[0].path).resolve().parent
        return _kb(articles, root, settings, self.languages)

    def cache_name(self) -> str:
        """What its vectors' cache is named by: the article files (and halves) it is made of."""
        parts = [self.root / p.path for p in self.articles]
        if len(parts) == 1 and self.articles[0].half is None:
            return str(parts[0].resolve())  # the same cache as --articles FILE
        return " ".join(
            f"{p.resolve()}[{a.half}]" for p, a in zip(parts, self.articles, strict=True)
        )


_NL_QUESTIONS = ("evaldata/nlfaq/queries.jsonl", "evaldata/offtopic/nlfaq.jsonl")
_SV_QUESTIONS = ("evaldata/gnome-sv/queries.jsonl", "evaldata/offtopic/gnome-sv.jsonl")
_NL, _EN = "evaldata/nlfaq/articles.jsonl", "evaldata/nlfaq/articles-en.jsonl"

EVAL_SETS: dict[str, EvalSet] = {
    s.name: s
    for s in (
        # Dutch questions on the Dutch GNOME Help pages
        EvalSet("nlfaq", (Part(_NL),), _NL_QUESTIONS),
        # the same Dutch questions, every answer only in English (the same 249 pages)
        EvalSet("nlfaq-en", (Part(_EN),), _NL_QUESTIONS, ("nl", "en")),
        # a partly translated help centre: every second page (sorted ids) only in English
        EvalSet("nlfaq-mixed", (Part(_EN, half=0), Part(_NL, half=1)), _NL_QUESTIONS, ("nl", "en")),
        # Swedish questions on the English GNOME Help pages
        EvalSet("gnome-sv-en", (Part(_EN),), _SV_QUESTIONS, ("sv", "en")),
    )
}


def named_set(name: str | Path) -> EvalSet | None:
    """The evaluation set `name` names, unless a file of that name is there."""
    if isinstance(name, Path) or name not in EVAL_SETS or Path(name).exists():
        return None
    return EVAL_SETS[name]
