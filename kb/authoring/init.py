"""`kb init` as a library: a new knowledge base that checks, builds, searches and serves at once."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from kb.core.collection import KnowledgeBase
from kb.core.errors import UsageError, display_path
from kb.core.fs import write_atomic
from kb.core.schema import LANG_RE
from kb.core.settings import OPTIONS, Settings
from kb.core.translations import sync

STARTER = Path(__file__).resolve().parent / "starter"  # example articles, per language
CATEGORIES: dict[str, dict[str, dict[str, str] | str]] = {
    "account": {
        "title": {
            "en": "Account and login",
            "nl": "Account en inloggen",
            "sv": "Konto och inloggning",
        },
        "description": {
            "en": "Passwords, logging in and your profile",
            "nl": "Wachtwoorden, inloggen en je profiel",
            "sv": "Lösenord, inloggning och din profil",
        },
        "icon": "account",
    },
    "billing": {
        "title": {"en": "Billing and payments", "nl": "Betalen", "sv": "Betalning"},
        "description": {
            "en": "Payment methods, charges and invoices",
            "nl": "Betaalmethoden, afschrijvingen en facturen",
            "sv": "Betalningssätt, dragningar och fakturor",
        },
        "icon": "billing",
    },
    "agents": {
        "title": {"en": "Agent handbook", "nl": "Handboek voor medewerkers", "sv": "Handbok"},
        "description": {
            "en": "Procedures for the support team (internal)",
            "nl": "Werkinstructies voor het supportteam (intern)",
            "sv": "Rutiner för supportteamet (internt)",
        },
        "icon": "agents",
    },
}
SYNONYMS = {
    "en": ["[password, passcode]", "[log in, login, sign in]", "[invoice, receipt, bill]"],
    "nl": ["[wachtwoord, inlogcode]", "[inloggen, aanmelden]", "[factuur, bon]"],
    "sv": ["[lösenord, lösen]", "[logga in, inloggning]", "[faktura, kvitto]"],
}
QUERIES = {  # query, the example's id in English, top N, internal
    "en": [
        ("reset password", "reset-password", 1, False),
        ("forgot my pasword", "reset-password", 3, False),
        ("payment methods", "payment-methods", 3, False),
        ("escalate a ticket", "sop-escalate-ticket", 3, True),
    ],
    "nl": [
        ("wachtwoord vergeten", "reset-password", 3, False),
        ("betaalmethode", "payment-methods", 3, False),
        ("ticket escaleren", "sop-escalate-ticket", 3, True),
    ],
    "sv": [
        ("glömt lösenordet", "reset-password", 3, False),
        ("betalningssätt", "payment-methods", 3, False),
        ("eskalera ärende", "sop-escalate-ticket", 3, True),
    ],
}
# what a commented-out setting shows in the new mkdocs.yml
EXAMPLES = {
    "contact": "{to: server}",
    "popular": "[reset-password]",
    "model": "auto",
    "model_backend": "auto",
    "model_languages": "[en]",
    "max_article_kb": "1024",
    "assets": "[assets]",
    "kb_dir": ".kb",
    "internal_site_dir": "site-internal",
    "parallel": "true",
    "cache": "true",
    "seo": "{faq_schema: false}",
}
GITIGNORE = """\
# what kb build and kb index write: built again from the articles
/site/
/site-internal/
/.kb/
/.site*.new-*/
/.site*.old-*/
/.kb-trash-*/
"""
GITHUB_ACTIONS = """\
# Check every article and build the help centre on every push and pull request.
name: help centre
on: [push, pull_request]
jobs:
  kb:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # the whole history: kb stale reads when each article last changed
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # install kb the way your team does: a wheel, a package index or a git URL
      - run: pip install "kb[site]"
      - run: kb check --strict
      - run: kb build
      - uses: actions/upload-artifact@v4
        with:
          name: site
          path: site/
"""
GITLAB_CI = """\
# Check every article and build the help centre on every push.
kb:
  image: python:3.11
  variables:
    GIT_DEPTH: 0  # the whole history: kb stale reads when each article last changed
  script:
    # install kb the way your team does: a wheel, a package index or a git URL
    - pip install "kb[site]"
    - kb check --strict
    - kb build
  artifacts:
    paths:
      - site/
"""


@dataclass(frozen=True)
class Created:
    """What `kb init` wrote: the folder, its files, and languages whose examples are English."""

    root: Path
    files: list[Path]
    english_examples: list[str]


def init_kb(
    target: Path,
    languages: list[str],
    name: str,
    *,
    force: bool = False,
    today: dt.date | None = None,
) -> Created:
    """Write a new knowledge base into `target`; refuse a folder with files unless `force`."""
    languages = list(dict.fromkeys(languages or ["en"]))
    for lang in languages:
        if not LANG_RE.match(lang):
            raise UsageError(f"--lang {lang!r} is not a language code such as en, nl or sv")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{display_path(target)}: not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{display_path(target)}: the folder is not empty (give --force to write into it)"
        )
    day = (today or dt.date.today()).isoformat()
    files: dict[str, str] = {
        "mkdocs.yml": mkdocs_yml(name, languages),
        "search/synonyms.yml": synonyms_yml(languages),
        "search/queries.yml": queries_yml(languages),
        ".gitignore": GITIGNORE,
        ".github/workflows/kb.yml": GITHUB_ACTIONS,
        ".gitlab-ci.yml": GITLAB_CI,
    }
    english = [lang for lang in languages if not (STARTER / lang).is_dir()]
    for lang in languages:
        files.update(_articles(lang, languages[0], name, day))
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
        written.append(path)
    settings = Settings.load(target / "mkdocs.yml")
    settings.cache = False  # nothing in .kb/ yet: the first kb build makes it
    kb = KnowledgeBase.scan(settings)
    for article in kb.articles:
        if article.translation_of:
            sync(kb, article)
    return Created(target, written, english)


def _articles(lang: str, source_lang: str, name: str, day: str) -> dict[str, str]:
    """The example articles of `lang`: translations of those of the first language."""
    folder = STARTER / lang if (STARTER / lang).is_dir() else STARTER / "en"
    out = {}
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8").replace("{{name}}", name).replace("{{today}}", day)
        text = _as_language(text, folder.name, lang, source_lang)
        out[f"articles/{lang}/{path.relative_to(folder).as_posix()}"] = text
    return out


def _as_language(text: str, written_in: str, lang: str, source_lang: str) -> str:
    """Give an example `lang` and its id; in any language but the first, a translation."""
    head, body = text.split("\n---\n", 1)
    meta = dict(line.split(": ", 1) for line in head.splitlines()[1:] if ": " in line)
    base = _base(meta["id"], written_in)
    lines = []
    for line in head.splitlines():
        key = line.split(":", 1)[0]
        if key == "translation_of":
            continue
        if key == "id":
            line = f"id: {_id(base, lang, source_lang)}"
        elif key == "lang":
            line = f"lang: {lang}"
            if lang != source_lang:
                line += f"\ntranslation_of: {base}"
        elif key == "related":
            ids = [_base(i.strip(), written_in) for i in meta["related"].strip("[]").split(",")]
            line = f"related: [{', '.join(_id(i, lang, source_lang) for i in ids)}]"
        lines.append(line)
    return "\n".join(lines) + "\n---\n" + body


def _base(article_id: str, written_in: str) -> str:
    """The id an example has in the starter's English files (`reset-password-nl` -> ...)."""
    return article_id.removesuffix(f"-{written_in}")


def _id(base: str, lang: str, source_lang: str) -> str:
    return base if lang == source_lang else f"{base}-{lang}"


def _yaml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def mkdocs_yml(
    name: str,
    languages: list[str],
    categories: dict[str, dict[str, dict[str, str] | str]] | None = None,
    featured: list[str] | None = None,
) -> str:
    """The new KB's mkdocs.yml (the starter's categories unless given), each setting explained."""
    help_of = {o.name: o.help.replace("`", "") for o in OPTIONS}
    default = languages[0]
    lines = [
        f"# {name}: a help centre built with kb. `kb check` validates it, `kb build` builds site/,",
        "# `kb serve` serves it. MkDocs (or ProperDocs) reads this file; kb's settings are the",
        "# `kb` plugin's entry below.",
        f"site_name: {_yaml(name)}",
        "# site_url: https://help.example.com/  # the public address: canonical links, sitemap",
        "docs_dir: articles",
        "site_dir: site",
        "",
        "# The theme is Material; the kb plugin adds kb's templates to it. (MkDocs would pick",
        "# Material without this entry; ProperDocs wants every site to name its theme.)",
        "theme:",
        "  name: material",
        "  # your own copies of single kb templates or partials (see kb's docs/site.md)",
        "  # custom_dir: overrides",
        "  # palette: {primary: indigo, accent: deep orange}  # kb check warns on low contrast",
        "",
        "plugins:",
        "  - kb:",
    ]

    def setting(key: str, *value_lines: str) -> None:
        lines.append(f"      # {key}: {help_of[key]}")
        lines.extend(f"      {line}" for line in value_lines)

    setting("languages", f"languages: [{', '.join(languages)}]")
    setting("default_lang", f"default_lang: {default}")
    cats = ["categories:"]
    starter = categories is None
    for slug, spec in (CATEGORIES if categories is None else categories).items():
        cats.append(f"  {slug}:")
        for key in ("title", "description"):
            texts = spec.get(key)
            if not isinstance(texts, dict) or not texts:
                continue
            first = texts.get("en") or next(iter(texts.values()))
            per_lang = {lang: texts.get(lang, first) for lang in languages}
            cats.append(
                f"    {key}: {{{', '.join(f'{k}: {_yaml(v)}' for k, v in per_lang.items())}}}"
            )
        if spec.get("icon"):
            cats.append(f"    icon: {spec['icon']}")
    setting("categories", *(cats if len(cats) > 1 else ["categories: {}"]))
    setting("defaults", "defaults:", "  review_every: 1y")
    if starter:
        featured = ["reset-password", "payment-methods", "cannot-log-in"]
    if featured:
        setting("featured", f"featured: [{', '.join(featured)}]")
    else:
        setting("featured", "# featured: [an-article-id, another-id]")
    setting(
        "support",
        "support:",
        "  email: support@example.com",
        "  # url: https://example.com/contact",
        '  # phone: "+31 20 555 0100"',
        '  # hours: "Mon–Fri 09:00–17:00"',
        *(
            ["  # hours: {" + ", ".join(f'{lang}: "..."' for lang in languages) + "}"]
            if len(languages) > 1
            else []
        ),
    )
    setting(
        "strings",
        f"# strings: {{{languages[-1]}: {{hero_title: ..., contact_text: ...}}}}",
    )
    setting(
        "footer",
        "# footer:",
        "#   links: [{title: {" + ", ".join(f"{lang}: ..." for lang in languages) + "}, url: ...}]",
        "#   legal: {" + ", ".join(f"{lang}: ..." for lang in languages) + "}",
        "#   logo: assets/logo.svg",
        "#   generator: false",
    )
    setting("feedback_url", "feedback_url: /api/feedback")
    setting("synonyms", "synonyms: search/synonyms.yml")
    setting("queries", "queries: search/queries.yml")
    for key, example in EXAMPLES.items():
        setting(key, f"# {key}: {example}")
    return "\n".join(lines) + "\n"


def synonyms_yml(languages: list[str]) -> str:
    """search/synonyms.yml with a few entries per language."""
    lines = [
        "# Search synonyms, applied when searching (no re-index needed after an edit).",
        "# Per language, a list of:",
        "#   - [a, b, c]      words or phrases that mean the same: each finds the others",
        "#   - a: [b, c]      one way: a search for a also finds b and c",
    ]
    for lang in languages:
        entries = SYNONYMS.get(lang, [])
        lines.append(f"{lang}:" if entries else f"{lang}: []")
        lines += [f"  - {entry}" for entry in entries]
    return "\n".join(lines) + "\n"


def queries_yml(languages: list[str]) -> str:
    """search/queries.yml: golden queries `kb check` runs, for the example articles."""
    lines = [
        "# Golden queries: `kb check` runs each one and fails when the expected article is not",
        "# in the top N, so an edit that breaks search fails CI.",
        "#   query: what a customer types    expect: the article id    top: N (default 3)",
        "#   internal: true searches the agents' index (internal articles included)",
    ]
    for lang in languages:
        for query, base, top, internal in QUERIES.get(lang, []):
            entry = f"query: {query}, expect: {_id(base, lang, languages[0])}, top: {top}"
            lines.append(f"- {{{entry}{', internal: true' if internal else ''}}}")
    return "\n".join(lines) + "\n"
