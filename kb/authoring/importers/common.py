"""What every importer reads into: articles per language, categories, and the export's problems."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb.core.errors import UsageError, display_path

MAX_EXPORT_FILE = 256 * 1024 * 1024  # one JSON file of an export
MAX_BODY = 5 * 1024 * 1024  # one article's body
MAX_FILES = 100_000  # files walked in a site folder
SLUG_MAX = 60
ASCII_SLUG = re.compile(r"[^a-z0-9]+")
ID_KEY = re.compile(r'"id"\s*:\s*"?([0-9A-Za-z_-]{1,64})')


@dataclass
class Item:
    """One article in one language as the export has it, with kb's front-matter values."""

    id: str  # kb id: zendesk-360012345, zendesk-360012345-nl for its Dutch translation
    lang: str
    title: str
    body: str
    where: str  # export file and line, for the report
    is_html: bool = True
    slug: str = ""
    category: str | None = None  # key of Export.categories
    status: str = "published"
    audience: str = "public"
    tags: list[str] = field(default_factory=list)
    owner: str | None = None
    reviewed: dt.date | None = None
    summary: str | None = None
    aliases: list[str] = field(default_factory=list)  # old site paths
    translation_of: str | None = None
    outdated: bool = False
    urls: list[str] = field(default_factory=list)  # addresses links may use for this article
    page_url: str = ""  # the article's own address: relative links resolve against it
    base: Path | None = None  # the folder its relative file links and images start from
    folder_url: str = ""  # the old address of that folder (a Markdown site's file links)
    votes: tuple[int, int] | None = None  # (helpful, not helpful)
    voted: dt.date | None = None
    # filled in by the plan
    rel_path: str = ""
    anchors: dict[str, str] = field(default_factory=dict)


@dataclass
class Category:
    """A kb category made from the export's sections, folders or site folders."""

    key: str
    title: str
    description: str = ""
    parent: str = ""  # the title of what holds it in the export (a Zendesk category)
    slug: str = ""
    titles: dict[str, str] = field(default_factory=dict)  # per language, where the export has them
    parent_titles: dict[str, str] = field(default_factory=dict)


@dataclass
class Export:
    """Everything read from an export, before any file is written."""

    source: str  # zendesk, freshdesk, markdown, html
    root: Path
    items: list[Item] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "where: skipped: why", in order
    hosts: set[str] = field(default_factory=set)  # the old help centre's own host names
    default_lang: str = "en"
    # extra keys under which a link's path may name an article (zendesk: the id in the path)
    path_keys: Callable[[str], list[str]] | None = None
    # where an image's file lies in the export, given its resolved address
    asset: Callable[[str, Item], Path | None] | None = None

    def skip(self, where: str, why: str) -> None:
        """Record something left out of the import, with where it came from."""
        self.problems.append(f"{where}: skipped: {why}")

    def note(self, where: str, what: str, message: str) -> None:
        """Record something the reader should look at."""
        self.problems.append(f"{where}: {what}: {message}")


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks followed, lies inside `root`: an export never reads elsewhere."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def slug(text: str, fallback: str = "article") -> str:
    """An ASCII file-name slug of a title, at most SLUG_MAX characters, cut at a word."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    value = ASCII_SLUG.sub("-", value).strip("-")
    if len(value) > SLUG_MAX:
        value = value[:SLUG_MAX].rsplit("-", 1)[0] or value[:SLUG_MAX]
    return value or fallback


@lru_cache(maxsize=1)
def material_languages() -> frozenset[str]:
    """The language codes Material for MkDocs has interface strings for."""
    try:
        import material

        folder = Path(material.__file__).parent / "templates" / "partials" / "languages"
        found = frozenset(p.stem for p in folder.glob("*.html") if p.stem != "custom")
    except (ImportError, OSError):
        found = frozenset()
    return found or frozenset({"en", "nl", "sv", "de", "fr", "es", "pt", "pt-BR", "zh", "zh-TW"})


ALIASES = {"no": "nb", "iw": "he", "in": "id", "zh-cn": "zh", "zh-hans": "zh", "zh-hk": "zh-TW"}


def kb_language(code: str, known_only: bool = False) -> str | None:
    """A source locale (en-us, de_DE, pt-br, zh-tw, nl) as a code Material knows, or None.

    With `known_only` (a folder or a file suffix, which may be anything: `ui/`, `.js`), only a
    language Material has strings for counts.
    """
    text = code.strip().replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}", text):
        return None
    lower = text.lower()
    known = {c.lower(): c for c in material_languages()}
    if lower in ALIASES:
        return ALIASES[lower]
    if lower in known and "-" in lower:  # pt-br, zh-tw: Material has the regional strings
        return known[lower]
    base = lower.split("-", 1)[0]
    base = ALIASES.get(base, base)
    if known_only and base not in known:
        return None
    return known.get(base, base)


def read_json(path: Path, root: Path) -> Any:
    """A JSON file of an export; UsageError (one line, no traceback) when it cannot be read."""
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_FILE:
            raise UsageError(f"{shown}: {size // 2**20} MB is larger than the 256 MB limit")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{shown}: not UTF-8 text (offset {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{shown}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise UsageError(f"{shown}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise UsageError(f"{shown}: not usable JSON: {str(exc)[:80]}") from None


def id_lines(text: str) -> dict[str, int]:
    """The line of each JSON object's first `"id": N` in `text`, in one pass."""
    out: dict[str, int] = {}
    line, at = 1, 0
    for m in ID_KEY.finditer(text):
        line += text.count("\n", at, m.start())
        at = m.start()
        out.setdefault(m.group(1), line)
    return out


def parse_time(value: Any) -> dt.date | None:
    """The date of an ISO 8601 timestamp (2021-03-04T10:00:00Z) or date; None when not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def url_path(address: str) -> str:
    """The path of an address without its host, leading slash, query or fragment."""
    return urlsplit(address).path.lstrip("/")


def host_of(address: str) -> str:
    """The lower-case host of an absolute address ('' for a relative one)."""
    return (urlsplit(address).hostname or "").lower()


def as_list(value: Any) -> list[Any]:
    """A JSON field that should be a list; anything else (a number, a string) counts as none."""
    return value if isinstance(value, list) else []


def id_keys(source: str, pattern: re.Pattern[str], path: str) -> list[str]:
    """Lookup keys of an article address whose `pattern` captures (locale, id): in its language,
    then in any language."""
    m = pattern.search(path)
    if not m:
        return []
    lang = kb_language(m.group(1)) if m.group(1) else None
    return ([f"{source}:{m.group(2)}:{lang}"] if lang else []) + [f"{source}:{m.group(2)}:"]


def link_translations(
    export: Export, pages: list[tuple[Item, str]], default_lang: str
) -> list[tuple[Item, Item]]:
    """Pages with one key are one article: the default language's is the source, ids unique.

    Each source goes into `export.items` with its translations after it (`<source id>-<lang>`,
    the source's slug and category); a second page in one language is skipped. Returns the
    (source, translation) pairs.
    """
    groups: dict[str, list[Item]] = {}
    for item, key in pages:
        groups.setdefault(key, []).append(item)
    used: dict[str, int] = {}
    pairs = []
    for members in groups.values():
        members.sort(key=lambda i: (i.lang != default_lang, i.lang))
        source = members[0]
        n = used[source.id] = used.get(source.id, 0) + 1
        if n > 1:  # two articles whose paths give one id
            source.id = f"{source.id}-{n}"
        export.items.append(source)
        seen = {source.lang}
        for other in members[1:]:
            if other.lang in seen:
                export.skip(other.where, f"a second {other.lang} page of {source.id}")
                continue
            seen.add(other.lang)
            other.translation_of, other.id = source.id, f"{source.id}-{other.lang}"
            other.slug = source.slug
            other.category = other.category or source.category
            export.items.append(other)
            pairs.append((source, other))
    return pairs


def tags(values: Any) -> list[str]:
    """Tags as kb keeps them: text, stripped, without repeats."""
    if not isinstance(values, list):
        return []
    out = [str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()]
    return list(dict.fromkeys(out))
