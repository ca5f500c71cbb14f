"""Every front-matter field declared once: the table drives validation, `kb new` and the docs."""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kb.core.frontmatter import show
from kb.core.urls import normalise_alias

TYPES = ("solution", "faq", "sop", "troubleshooting")
AUDIENCES = ("public", "internal")
STATUSES = ("draft", "review", "published", "archived")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
LANG_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")  # en, pt-BR, lu_LU
DURATION_RE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")
HASH_RE = re.compile(r"^[0-9a-f]{8,64}$")
ALIASES_HELP = (
    "Old site paths of this article that redirect to it, "
    "e.g. hc/en-us/articles/360012345-Reset-password"
)
OUTDATED = "outdated"  # source_hash of a translation known to be behind, source text unknown


@dataclass(frozen=True)
class Duration:
    """A review interval such as 90d, 6w, 6m or 1y."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, day: dt.date) -> dt.date:
        """Return the date this interval after `day` (months and years keep the day of month)."""
        if self.unit == "d":
            return day + dt.timedelta(days=self.amount)
        if self.unit == "w":
            return day + dt.timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month0 = divmod(day.month - 1 + months, 12)
        year += day.year
        last = calendar.monthrange(year, month0 + 1)[1]
        return dt.date(year, month0 + 1, min(day.day, last))

    @property
    def days(self) -> int:
        """Approximate length in days."""
        return self.amount * {"d": 1, "w": 7, "m": 30, "y": 365}[self.unit]


DEFAULT_REVIEW_EVERY = Duration(1, "y")  # an article's review interval when nothing sets one


@dataclass(frozen=True)
class Product:
    """A product an article applies to, optionally limited to versions."""

    name: str
    versions: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.name} {', '.join(self.versions)}".strip()


class Invalid(Exception):
    """A value that does not fit its field; `item` is the list index it came from, if any."""

    def __init__(self, message: str, item: int | None = None, severity: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.item = item
        self.severity = severity


@dataclass(frozen=True)
class Context:
    """What validation needs from the site settings."""

    languages: tuple[str, ...] = ("en",)
    categories: tuple[str, ...] = ()
    today: dt.date | None = None


@dataclass(frozen=True)
class Field:
    """One front-matter field: name, kind, default, help text and an example for templates."""

    name: str
    kind: str
    help: str
    example: Any = None
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # article types the field is for; empty means all
    in_template: bool = True


FIELDS: tuple[Field, ...] = (
    Field(
        "id",
        "id",
        "Unique id; default: the file path below the articles folder, without .md",
        example="reset-password",
    ),
    Field(
        "title",
        "text",
        "Title shown on the page, in search results and on cards",
        required=True,
        example="Reset your password",
    ),
    Field("type", "choice", "Kind of article", default="solution", choices=TYPES),
    Field(
        "audience",
        "choice",
        "public: on the help site; internal: agents only",
        default="public",
        choices=AUDIENCES,
    ),
    Field(
        "status",
        "choice",
        "Only published articles reach a site",
        default="published",
        choices=STATUSES,
    ),
    Field(
        "lang",
        "lang",
        "Language code; default: the article's language folder or the site default",
        example="en",
    ),
    Field(
        "translation_of",
        "id",
        "On a translation: the id of the article it translates",
        in_template=False,
    ),
    Field(
        "source_hash",
        "hash",
        "On a translation: content hash of the source it was made from (`outdated`: known"
        " to be behind, as an import marks it)",
        in_template=False,
    ),
    Field("category", "category", "Category slug, one of the site's categories", example="account"),
    Field("tags", "list", "Free keywords", default=(), example=[]),
    Field(
        "products",
        "products",
        "Products (optionally with versions) the article applies to",
        default=(),
        example=[],
    ),
    Field(
        "owner",
        "text",
        "Person or team responsible for keeping the article right",
        example="support-team",
    ),
    Field("reviewed", "date", "Date the content was last checked (YYYY-MM-DD)"),
    Field("review_every", "duration", "How often to review: 90d, 6w, 6m, 1y", example="6m"),
    Field(
        "summary",
        "text",
        "One sentence for search results and cards",
        example="One sentence that says what this article solves.",
    ),
    Field("related", "ids", "Ids of related articles", default=(), example=[]),
    Field(
        "department",
        "text",
        "Department the SOP applies to",
        types=("sop",),
        example="Customer Support",
    ),
    Field("tickets", "ids", "Ids of the tickets the fix came from", default=(), example=[]),
    Field("aliases", "paths", ALIASES_HELP, default=(), in_template=False),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


def did_you_mean(value: str, options: Sequence[str]) -> str:
    """Return ` (did you mean 'x'?)` for a near miss among `options`, else an empty string."""
    if len(value) <= 3:  # short codes: only suggest one with the same first letter
        options = [o for o in options if o[:1].lower() == value[:1].lower()]
    match = difflib.get_close_matches(value.lower(), [o.lower() for o in options], n=1, cutoff=0.5)
    if not match:
        return ""
    original = next(o for o in options if o.lower() == match[0])
    return f" (did you mean '{original}'?)"


def _show(value: Any) -> str:
    return show(value, 60)  # bounded: never the whole repr of a big value


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"must be text, got {type(value).__name__} {_show(value)}")
    text = str(value).strip()
    if not text:
        raise Invalid("must not be empty")
    return text


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"must be an id (text), got {type(value).__name__} {_show(value)}")
    text = str(value).strip()
    if not ID_RE.match(text):
        raise Invalid(
            f"{_show(text)} is not a valid id: use letters, digits, '-', '_', '.' and '/'"
        )
    return text


def _choice(field: Field) -> Callable[[Any, Context], str]:
    def check(value: Any, ctx: Context) -> str:
        text = _text(value)
        if text not in field.choices:
            raise Invalid(
                f"{_show(text)} is not one of: {', '.join(field.choices)}"
                + did_you_mean(text, field.choices)
            )
        return text

    return check


def _lang(value: Any, ctx: Context) -> str:
    text = _text(value)
    if not LANG_RE.match(text):
        raise Invalid(f"{_show(text)} is not a language code such as en, nl or sv")
    if ctx.languages and text not in ctx.languages:
        raise Invalid(
            f"{_show(text)} is not one of the site's languages: {', '.join(ctx.languages)}"
            + did_you_mean(text, ctx.languages)
        )
    return text


def _category(value: Any, ctx: Context) -> str:
    text = _text(value)
    if ctx.categories and text not in ctx.categories:
        raise Invalid(
            f"{_show(text)} is not one of the site's categories: {', '.join(ctx.categories)}"
            + did_you_mean(text, ctx.categories)
        )
    return text


def _list(value: Any, item: Callable[[Any], Any], example: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise Invalid(
            f"must be a list such as {example}, got {type(value).__name__} {_show(value)}"
        )
    out = []
    for i, v in enumerate(value):
        try:
            out.append(item(v))
        except Invalid as exc:
            raise Invalid(f"item {i + 1}: {exc.message}", item=i) from None
    return tuple(out)


def parse_date(value: Any) -> dt.date:
    """Parse a YYYY-MM-DD date, raising Invalid with a readable message."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise Invalid(f"must be a date (YYYY-MM-DD), got {type(value).__name__} {_show(value)}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{_show(value)} is not a valid date (use YYYY-MM-DD)") from None


def _date(value: Any, ctx: Context) -> dt.date:
    day = parse_date(value)
    if ctx.today and day > ctx.today:
        raise Invalid(f"{day.isoformat()} is in the future", severity="warning")
    return day


def parse_duration(value: Any) -> Duration:
    """Parse a review interval such as 90d, 6w, 6m or 1y."""
    text = value if isinstance(value, str) else ""
    match = DURATION_RE.match(text)
    if not match or int(match.group(1)) == 0:
        raise Invalid(f"{_show(value)} is not an interval; use for example 90d, 6w, 6m or 1y")
    return Duration(int(match.group(1)), match.group(2))


def _product(value: Any) -> Product:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return Product(_text(value))
    if not isinstance(value, dict):
        raise Invalid(f"must be a name or {{name: ..., versions: [...]}}, got {_show(value)}")
    extra = set(value) - {"name", "versions"}
    if extra:
        first = sorted(extra, key=lambda k: (type(k).__name__, str(k)))[0]
        raise Invalid(f"unknown key {_show(first)}; a product has 'name' and 'versions'")
    if "name" not in value:
        raise Invalid("a product needs a 'name'")
    versions = value.get("versions", [])
    if not isinstance(versions, list):
        versions = [versions]
    return Product(_text(value["name"]), tuple(_text(v) for v in versions))


def _hash(value: Any, ctx: Context) -> str:
    text = _text(value)
    if text != OUTDATED and not HASH_RE.match(text):
        raise Invalid(f"{_show(text)} is not a content hash (hex digits) or '{OUTDATED}'")
    return text


def parse_alias(value: Any) -> str:
    """Normalise an old site path of an article (kb.core.urls), raising Invalid."""
    path, problem = normalise_alias(_text(value))
    if problem:
        raise Invalid(problem)
    return path


def _checker(field: Field) -> Callable[[Any, Context], Any]:
    kind = field.kind
    if kind == "choice":
        return _choice(field)
    simple: dict[str, Callable[[Any, Context], Any]] = {
        "text": lambda v, c: _text(v),
        "id": lambda v, c: _id(v),
        "lang": _lang,
        "category": _category,
        "date": _date,
        "duration": lambda v, c: parse_duration(v),
        "hash": _hash,
        "list": lambda v, c: _list(v, _text, "[billing, invoice]"),
        "ids": lambda v, c: _list(v, _id, "[reset-password, account-locked]"),
        "products": lambda v, c: _list(v, _product, "[Brightcart app]"),
        "paths": lambda v, c: _list(v, parse_alias, "[hc/en-us/articles/360012345-Reset-password]"),
    }
    return simple[kind]


CHECKERS = {f.name: _checker(f) for f in FIELDS}


def check_value(name: str, value: Any, ctx: Context) -> Any:
    """Validate and normalise one field value, raising Invalid."""
    if value is None:
        raise Invalid("has no value; remove the key or give it one")
    return CHECKERS[name](value, ctx)


def unknown_key_message(key: str) -> str:
    """Return the warning for a key the schema does not declare."""
    return "unknown field, ignored" + did_you_mean(key, list(FIELD_BY_NAME))


def reference_markdown() -> str:
    """Return the front-matter reference as a Markdown table (docs/articles.md embeds it)."""
    kinds = {
        "id": "id",
        "text": "text",
        "choice": "one of",
        "lang": "language code",
        "category": "category slug",
        "list": "list of text",
        "ids": "list of ids",
        "products": "list of products",
        "date": "date YYYY-MM-DD",
        "duration": "interval",
        "hash": "hex hash",
        "paths": "list of site paths",
    }
    rows = ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for f in FIELDS:
        kind = kinds[f.kind]
        if f.choices:
            kind += ": " + ", ".join(f"`{c}`" for c in f.choices)
        default = (
            "required" if f.required else ("" if f.default in (None, ()) else f"`{f.default}`")
        )
        only = f" (only for {', '.join(f.types)})" if f.types else ""
        rows.append(f"| `{f.name}` | {kind} | {default} | {f.help}{only} |")
    return "\n".join(rows) + "\n"
