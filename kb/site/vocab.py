"""Browser search's vocabulary: each language's known words with frequencies, and its synonyms.

theme/assets/kb-search.js loads `assets/kb-vocab-<lang>.json` on the first search and fixes
query words the site does not know: typos (Damerau-Levenshtein), compounds split or joined
(Dutch, Swedish), synonyms from search/synonyms.yml. Words come from the articles of this build
(the public site only has public articles, so no internal word gets in), analysed as the Whoosh
index analyses them (kb.search.analysis): stop words out, and each word weighted by the number
of articles holding its stem. The words are stored as written (lowercase, accents kept), because
Pagefind stems what it is given: a surface word always matches the pages it came from.

Format (compact JSON, one line)::

    {"v": 1, "lang": "nl", "articles": 9, "links": ["s", "e", "en"],
     "df": {"7": "wachtwoord wachtwoorden", "1": "..."},      # article count -> words
     "syn": {"inlogcode": ["wachtwoord"], ...},              # phrase -> alternatives
     "stop": "de het een ..."}                               # stop words: known, never fixed
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from kb.core import cache, fs
from kb.core.article import Article
from kb.core.text import sections_text
from kb.search.analysis import COMPOUND_LINKS, Analyzer

log = logging.getLogger(__name__)

FORMAT = 1
FOLDER = "assets"  # below the site; not pagefind/, whose files a rebuild makes exactly Pagefind's
PREFIX = "kb-vocab-"
MAX_WORDS = 12_000  # words kept per language (about 35 KB gzipped); the rarest go first
MIN_LEN = 3  # shorter words are neither corrected nor suggested
CACHE_VERSION = 1


def vocab_name(lang: str) -> str:
    """The vocabulary's path below the site: assets/kb-vocab-<lang>.json."""
    return f"{FOLDER}/{PREFIX}{lang}.json"


def article_words(article: Article, an: Analyzer) -> set[str]:
    """The distinct words of an article's displayed text that search can use (no stop words)."""
    text = "\n".join([article.title, article.summary, sections_text(article.sections)])
    out: set[str] = set()
    for word in an.words(text):
        parts = (
            word.replace("’", "-").replace("'", "-").split("-") if not word.isalpha() else [word]
        )
        out.update(p for p in parts if len(p) >= MIN_LEN and p.isalpha() and not an.is_stopword(p))
    return out


class WordCache:
    """Each article's words with their stems, kept between builds in .kb/cache/vocab.pickle.

    An entry is keyed by what a reader reads (Article.text_hash) and its language, the file by
    kb's code (the analysis); entries of articles gone from the build are dropped on save.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Open the cache at `path`; None keeps nothing between builds."""
        self.path = path
        self.key = cache.code_fingerprint() if path is not None else ""
        stored = cache.load(path, CACHE_VERSION, self.key) if path is not None else None
        self._old: dict[str, list[tuple[str, str]]] = stored if isinstance(stored, dict) else {}
        self._new: dict[str, list[tuple[str, str]]] = {}
        self.misses = 0

    def words(self, article: Article, an: Analyzer) -> list[tuple[str, str]]:
        """The article's distinct search words, each with its stem (from the cache when known)."""
        key = f"{an.lang}:{article.text_hash}"
        found = self._new[key] if key in self._new else self._old.get(key)
        if found is None:  # (an article with no search words is a known empty list)
            self.misses += 1
            found = [(w, an.norm(w)) for w in sorted(article_words(article, an))]
        self._new[key] = found
        return found

    def save(self) -> None:
        """Store the entries this build used (nothing when made without a path or unchanged)."""
        if self.path is not None and (self.misses or self._new.keys() != self._old.keys()):
            cache.save(self.path, CACHE_VERSION, self.key, self._new)


def build_vocab(
    articles: Iterable[Article],
    lang: str,
    synonyms: dict[str, list[str]] | None = None,
    words_cache: WordCache | None = None,
) -> dict[str, Any]:
    """The vocabulary of `lang` made of `articles` (only those of that language are read)."""
    an = Analyzer(lang)
    known = words_cache or WordCache()
    stems: dict[str, str] = {}  # word -> its stem
    df: Counter[str] = Counter()  # stem -> articles
    count = 0
    for a in articles:
        if a.lang != lang:
            continue
        count += 1
        pairs = known.words(a, an)
        stems.update(pairs)
        df.update({stem for _, stem in pairs})
    ranked = sorted(stems, key=lambda w: (-df[stems[w]], len(w), w))[:MAX_WORDS]
    by_df: dict[int, list[str]] = {}
    for w in ranked:
        by_df.setdefault(df[stems[w]], []).append(w)
    return {
        "v": FORMAT,
        "lang": lang,
        "articles": count,
        "links": list(COMPOUND_LINKS.get(lang, ())),
        "df": {str(n): " ".join(sorted(ws)) for n, ws in sorted(by_df.items(), reverse=True)},
        "syn": synonyms or {},
        "stop": " ".join(sorted(w for w in an.stopwords if w.isalpha())),  # known, never fixed
    }


def read_synonyms(path: Path) -> dict[str, dict[str, list[str]]]:
    """search/synonyms.yml as {lang: {phrase: [alternatives]}}, phrases as written, lowercase.

    The search index validates the file (kb.search.synonyms) and reports its errors; here a
    missing or broken file, or an odd entry, only means fewer synonyms in the browser.
    """
    try:
        root = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError) as exc:
        log.warning(f"{path}: no synonyms for browser search: {exc}")
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    for lang, groups in root.items() if isinstance(root, dict) else ():
        table = out.setdefault(str(lang), {})

        def add(source: Any, alternatives: list[Any], table: dict[str, list[str]] = table) -> None:
            key = str(source).strip().lower()
            alts = table.setdefault(key, [])
            for alt in (str(x).strip().lower() for x in alternatives):
                if alt and alt != key and alt not in alts:
                    alts.append(alt)

        for group in groups if isinstance(groups, list) else ():
            if isinstance(group, list):
                for member in group:
                    add(member, group)
            elif isinstance(group, dict):
                for source, alts in group.items():
                    add(source, alts if isinstance(alts, list) else [alts])
    return out


def write_vocab(
    articles: list[Article],
    languages: Iterable[str],
    synonyms_file: Path,
    site_dir: Path,
    cache_file: Path | None = None,
) -> list[Path]:
    """Write each language's vocabulary into the site; remove those of other languages.

    A file whose bytes are unchanged is left alone (fs.write_changed). `cache_file` keeps each
    article's words between builds (WordCache).
    """
    langs = list(dict.fromkeys(languages))
    synonyms = read_synonyms(synonyms_file)
    words_cache = WordCache(cache_file)
    written = []
    for lang in langs:
        data = build_vocab(articles, lang, synonyms.get(lang), words_cache)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        path = site_dir / vocab_name(lang)
        if fs.write_changed(path, body):
            written.append(path)
    wanted = {f"{PREFIX}{lang}.json" for lang in langs}
    for old in (site_dir / FOLDER).glob(f"{PREFIX}*.json"):
        if old.name not in wanted:
            old.unlink(missing_ok=True)
    words_cache.save()
    return written
