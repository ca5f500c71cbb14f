"""`kb import`: articles from Zendesk Guide, Freshdesk, Markdown sites (Jekyll, Hugo, MkDocs) or HTML.

Each reader turns an export into an `Export` (kb.authoring.importers.common); `write` turns that
into article files, categories and languages in mkdocs.yml, and a report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core.errors import KBError, UsageError, display_path
from kb.core.fs import write_atomic

if TYPE_CHECKING:  # the readers and the writer import BeautifulSoup: only when importing
    from kb.authoring.importers.common import Export
    from kb.authoring.importers.write import Result

SOURCES = ("zendesk", "freshdesk", "markdown", "html")


def reader(source: str) -> Callable[..., Export]:
    """The function that reads an export of `source`."""
    if source == "zendesk":
        from kb.authoring.importers.zendesk import read
    elif source == "freshdesk":
        from kb.authoring.importers.freshdesk import read
    elif source == "markdown":
        from kb.authoring.importers.markdown import read
    elif source == "html":
        from kb.authoring.importers.html import read
    else:
        raise UsageError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    return read


def run_import(
    source: str,
    export_path: Path,
    target: Path,
    *,
    name: str | None = None,
    dry_run: bool = False,
    lang: str | None = None,
) -> Result:
    """Import an export into the KB at `target` (made when it has no mkdocs.yml)."""
    from kb.authoring.importers.write import categories_config, write_articles
    from kb.core.settings import Settings

    if not export_path.exists():
        raise UsageError(f"{display_path(export_path)}: no such file or folder")
    export = reader(source)(export_path, lang=lang)
    if not export.items:
        raise UsageError(f"{display_path(export_path)}: no articles found in this {source} export")
    config = target / "mkdocs.yml"
    existing: dict[str, set[str]] = {}
    if config.is_file():
        settings = Settings.load(config)
        docs_dir = settings.docs_dir
        existing = {  # every language's title: the export's language may not be the KB's first
            slug: {cat.title_in(x, settings.default_lang) for x in settings.languages}
            for slug, cat in settings.categories.items()
        }
    else:
        settings, docs_dir = None, target / "articles"
    result, slugs = write_articles(export, docs_dir, existing, dry_run=dry_run)
    languages = result.languages
    if settings is None:
        default = export.default_lang if export.default_lang in languages else languages[0]
        ordered = [default, *[x for x in languages if x != default]]
        if not dry_run:
            _new_kb(
                target,
                name or _site_name(export),
                ordered,
                categories_config(export, slugs, ordered),
            )
            result.config_written = True
        result.lines.append(
            f"{display_path(config)}:1: created: a KB with languages {', '.join(ordered)}"
        )
    else:
        missing_langs = [x for x in languages if x not in settings.languages]
        cats = categories_config(
            export, slugs, list(dict.fromkeys([*settings.languages, *languages]))
        )
        missing_cats = {k: v for k, v in cats.items() if k not in settings.categories}
        result.lines += merge_config(config, missing_langs, missing_cats, dry_run=dry_run)
    return result


def _site_name(export: Export) -> str:
    host = sorted(export.hosts)[0] if export.hosts else ""
    return f"{host.split('.')[0].capitalize()} Help Centre" if host else "Help Centre"


def _new_kb(target: Path, name: str, languages: list[str], categories: dict[str, Any]) -> None:
    from kb.authoring.init import GITHUB_ACTIONS, GITIGNORE, GITLAB_CI, mkdocs_yml, synonyms_yml

    files = {
        "mkdocs.yml": mkdocs_yml(name, languages, categories=categories, featured=[]),
        "search/synonyms.yml": synonyms_yml(languages),
        ".gitignore": GITIGNORE,
        ".github/workflows/kb.yml": GITHUB_ACTIONS,
        ".gitlab-ci.yml": GITLAB_CI,
    }
    for rel, text in files.items():
        path = target / rel
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))


LANGUAGES_LINE = re.compile(
    r"^(?P<indent>[ \t]+)languages:[ \t]*\[(?P<codes>[^\]\n]*)\](?P<rest>.*)$", re.M
)
CATEGORIES_LINE = re.compile(r"^(?P<indent>[ \t]+)categories:[ \t]*(?:#.*)?$", re.M)


def merge_config(
    config: Path, languages: list[str], categories: dict[str, Any], *, dry_run: bool = False
) -> list[str]:
    """Add languages and categories to an existing mkdocs.yml; report what could not be added."""
    import json

    shown = display_path(config)
    if not languages and not categories:
        return []
    try:
        text = config.read_text(encoding="utf-8")
    except OSError as exc:
        raise KBError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if not text.endswith("\n"):
        text += "\n"  # a block added at the end starts on its own line
    lines: list[str] = []
    if languages:
        m = LANGUAGES_LINE.search(text)
        if m:
            codes = [c.strip() for c in m.group("codes").split(",") if c.strip()]
            merged = ", ".join([*codes, *languages])
            text = (
                text[: m.start()]
                + f"{m.group('indent')}languages: [{merged}]{m.group('rest')}"
                + text[m.end() :]
            )
            lines.append(
                f"{shown}:{text.count(chr(10), 0, m.start()) + 1}: languages: added {', '.join(languages)}"
            )
        else:
            lines.append(
                f"{shown}:1: languages: add {', '.join(languages)} to the kb plugin's languages"
            )
    if categories:
        m = CATEGORIES_LINE.search(text)
        entries = []
        for slug, spec in categories.items():
            parts = [
                f"{k}: {{{', '.join(f'{lang}: {json.dumps(t, ensure_ascii=False)}' for lang, t in v.items())}}}"
                for k, v in spec.items()
            ]
            entries.append((slug, parts))
        if m:
            indent = m.group("indent")
            after = text[m.end() + 1 :]
            child = re.match(r"(?:[ \t]*(?:#.*)?\n)*([ \t]+)\S", after)
            inner = child.group(1) if child and len(child.group(1)) > len(indent) else indent + "  "
            block = "".join(
                f"{inner}{slug}:\n" + "".join(f"{inner}  {p}\n" for p in parts)
                for slug, parts in entries
            )
            # the block ends at the first line indented no deeper than `categories:`
            end = m.end() + 1
            for line in after.splitlines(keepends=True):
                if line.strip() and len(line) - len(line.lstrip()) <= len(indent):
                    break
                end += len(line)
            text = text[:end] + block + text[end:]
            lines.append(
                f"{shown}:{text.count(chr(10), 0, m.start()) + 1}: categories: added {', '.join(categories)}"
            )
        else:
            shown_entries = "; ".join(f"{slug}: {{{', '.join(parts)}}}" for slug, parts in entries)
            lines.append(
                f"{shown}:1: categories: add under the kb plugin's categories: {shown_entries}"
            )
    if not dry_run:
        write_atomic(config, text.encode("utf-8"))
    return lines


__all__ = ["SOURCES", "merge_config", "reader", "run_import"]
