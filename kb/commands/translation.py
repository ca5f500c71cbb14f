"""`kb translation`: record that a translation has caught up with its source (`sync`), or list status."""

from __future__ import annotations

import argparse
import re
import sys

from kb.commands import add_config_argument, load_settings
from kb.core.article import Article
from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError, UsageError

HELP = "Translations: `sync ID` records that a translation matches its source again; `status` lists them."
HASH_LINE = re.compile(r"^source_hash:[^\n]*?(\r?\n)", re.M)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-commands of `kb translation`."""
    parser.add_argument("action", choices=("sync", "status"), help="what to do")
    parser.add_argument("ids", nargs="*", metavar="ID", help="translation ids (sync)")
    parser.add_argument("--all", action="store_true", help="sync every translation")
    add_config_argument(parser)


def set_source_hash(text: str, new_hash: str) -> str:
    """Rewrite (or add after translation_of) the `source_hash` line of an article's front matter."""
    if not text.startswith("---"):
        raise ValueError("no front matter")
    end = re.search(r"^(---|\.\.\.)[ \t]*\r?$", text[3:], re.M)
    if end is None:
        raise ValueError("front matter is not closed")
    head_end = 3 + end.start()
    head, rest = text[:head_end], text[head_end:]
    m = HASH_LINE.search(head)
    if m:
        return head[: m.start()] + f"source_hash: {new_hash}{m.group(1)}" + head[m.end() :] + rest
    anchor = re.search(r"^translation_of:[^\n]*(\r?\n)", head, re.M)
    if anchor is None:
        raise ValueError("no translation_of line")
    cut = anchor.end()
    return head[:cut] + f"source_hash: {new_hash}{anchor.group(1)}" + head[cut:] + rest


def sync(kb: KnowledgeBase, article: Article) -> bool:
    """Record the source's current text hash in the translation; False when already current."""
    source = kb.get(article.translation_of or "")
    if source is None:
        raise KBError(
            f"{kb.display(article)}: translation_of: no article with id {article.translation_of!r}"
        )
    if article.source_hash == source.text_hash:
        return False
    path = kb.path_of(article)
    with path.open("r", encoding="utf-8", newline="") as fh:
        text = fh.read()
    try:
        new = set_source_hash(text, source.text_hash)
    except ValueError as exc:
        raise KBError(f"{kb.display(article)}:1: source_hash: cannot rewrite: {exc}") from None
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(new)
    return True


def run(args: argparse.Namespace) -> int:
    """Sync the named translations (or all), or print the status of every translation."""
    kb = KnowledgeBase.load(load_settings(args.config))
    translations = [a for a in kb.articles if a.translation_of]
    if args.action == "status":
        for a in translations:
            src = kb.get(a.translation_of or "")
            state = (
                "unverified"
                if not a.source_hash
                else "current"
                if src and a.source_hash == src.text_hash
                else "outdated"
            )
            print(f"{a.id}\t{a.lang}\t{a.translation_of}\t{state}")
        return 0
    if args.all:
        targets = translations
    elif args.ids:
        targets = []
        for aid in args.ids:
            found = kb.get(aid)
            if found is None:
                raise KBError(f"no article with id {aid!r}")
            if not found.translation_of:
                raise UsageError(f"{aid!r} is not a translation (it has no translation_of)")
            targets.append(found)
    else:
        raise UsageError("name the translations to sync (kb translation sync ID …) or use --all")
    changed = 0
    for a in targets:
        if sync(kb, a):
            changed += 1
            print(
                f"kb translation: {kb.display(a)}: source_hash now matches '{a.translation_of}'",
                file=sys.stderr,
            )
    if not changed:
        print("kb translation: already in sync", file=sys.stderr)
    return 0
