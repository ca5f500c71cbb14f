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

from kb.core import fs
from kb.core.article import Article
from kb.core.text import sections_text
from kb.search.analysis import COMPOUND_LINKS, Analyzer

log = logging.getLogger(__name__)

FORMAT = 1
FOLDER = "assets"  # below the site; not pagefind/, whose files a rebuild makes exactly Pagefind's
PREFIX = "kb-vocab-"
MAX_WORDS = 12_000  # words kept per language (about 35 KB gzipped); the rarest go first
MIN_LEN = 3  # shorter words are neither corrected nor suggested


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


def build_vocab(
    articles: Iterable[Article], lang: str, synonyms: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The vocabulary of `lang` made of `articles` (only those of that language are read)."""
    an = Analyzer(lang)
    words: dict[str, str] = {}  # word -> its stem
    df: Counter[str] = Counter()  # stem -> articles
    count = 0
    for a in articles:
        if a.lang != lang:
            continue
        count += 1
        seen = article_words(a, an)
        for w in seen:
            if w not in words:
                words[w] = an.norm(w)
        df.update({words[w] for w in seen})
    ranked = sorted(words, key=lambda w: (-df[words[w]], len(w), w))[:MAX_WORDS]
    by_df: dict[int, list[str]] = {}
    for w in ranked:
        by_df.setdefault(df[words[w]], []).append(w)
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
    articles: list[Article], languages: Iterable[str], synonyms_file: Path, site_dir: Path
) -> list[Path]:
    """Write each language's vocabulary into the site; remove those of other languages.

    A file whose bytes are unchanged is left alone (a rebuild hard-links the live site: a file
    is replaced, never written through); the others are written atomically.
    """
    langs = list(dict.fromkeys(languages))
    synonyms = read_synonyms(synonyms_file)
    written = []
    for lang in langs:
        data = build_vocab(articles, lang, synonyms.get(lang))
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        path = site_dir / vocab_name(lang)
        try:
            if path.read_bytes() == body:
                continue
        except OSError:
            pass
        path.unlink(missing_ok=True)
        fs.write_atomic(path, body)
        written.append(path)
    wanted = {f"{PREFIX}{lang}.json" for lang in langs}
    for old in (site_dir / FOLDER).glob(f"{PREFIX}*.json"):
        if old.name not in wanted:
            old.unlink(missing_ok=True)
    return written
