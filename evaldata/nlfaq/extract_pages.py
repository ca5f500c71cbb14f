"""Extract GNOME Help Mallard pages to articles.jsonl rows, by the rules in README.md.

Usage: python extract_pages.py PAGES_DIR IDS.jsonl LANG OUT.jsonl SOURCE_PREFIX [SOURCE_SUFFIX]

PAGES_DIR holds the .page files (gnome-help/C, or the Dutch pages itstool merged from nl.po);
IDS.jsonl gives the ids to extract, in order (nlfaq-<page id lower case>). Run on the Dutch
pages it reproduces articles.jsonl byte for byte; on gnome-help/C it writes articles-en.jsonl.
Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

IF = "{http://projectmallard.org/if/1.0/}"
BLOCKS = {"p", "title", "subtitle", "td", "th", "code", "screen"}
SKIP = {"info", "links", "media", "comment"}


def local(tag: str) -> str:
    return tag.split("}", 1)[1] if "}" in tag else tag


def norm(s: str) -> str:
    """Whitespace normalised; no empty "()" left by a dropped icon; no space before punctuation."""
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s*\(\s*\)", "", s)
    s = re.sub(r"\s+([,.;:!?)])(?=\s|$)", r"\1", s)
    return s.strip()


def branch(choose: ET.Element) -> ET.Element | None:
    """The branch of an if:choose that is kept: the last one (as the Dutch set was made)."""
    branches = [c for c in choose if c.tag in (IF + "when", IF + "else")]
    return branches[-1] if branches else None


def inline(el: ET.Element, titles: dict[str, str]) -> str:
    """The text of one block, inline markup flattened."""
    parts: list[str] = []

    def walk(e: ET.Element, top: bool = False) -> None:
        if not isinstance(e.tag, str):
            return
        t = local(e.tag)
        tail = e.tail if (e.tail and not top) else ""
        if not top and t in SKIP:
            parts.append(tail)
            return
        if t in ("guiseq", "keyseq"):
            items = [norm(inline(k, titles)) for k in e if isinstance(k.tag, str)]
            parts.append((" \u25b8 " if t == "guiseq" else "+").join(k for k in items if k))
            parts.append(tail)
            return
        if t == "link" and not (e.text or "").strip() and len(e) == 0:
            xref = e.get("xref", "")  # the viewer fills in the target page's title
            parts.append(titles.get(xref.split("#")[0], "") if xref else "")
            parts.append(tail)
            return
        if e.tag == IF + "choose":
            kept = branch(e)
            for c in kept if kept is not None else []:
                walk(c)
            parts.append(tail)
            return
        parts.append(e.text or "")
        for c in e:
            walk(c)
        parts.append(tail)

    walk(el, top=True)
    return "".join(parts)


def blocks(root: ET.Element, titles: dict[str, str]) -> list[str]:
    """The page's blocks in document order, one line each (the outermost block element)."""
    out: list[str] = []

    def walk(e: ET.Element) -> None:
        if not isinstance(e.tag, str) or local(e.tag) in SKIP:
            return
        if e.tag == IF + "choose":
            kept = branch(e)
            for c in kept if kept is not None else []:
                walk(c)
            return
        if local(e.tag) in BLOCKS:
            text = norm(inline(e, titles))
            if text:
                out.append(text)
            return
        for c in e:
            walk(c)

    walk(root)
    return out


def main() -> int:
    pages, ids_file, lang, out_path, prefix, *suffix = sys.argv[1:]
    roots = {
        f[: -len(".page")].lower(): ET.parse(os.path.join(pages, f)).getroot()
        for f in sorted(os.listdir(pages))
        if f.endswith(".page")
    }
    titles = {}
    for r in roots.values():
        first = next((c for c in r if local(c.tag) == "title"), None)
        titles[r.get("id", "")] = norm(inline(first, {})) if first is not None else ""
    with open(ids_file, encoding="utf-8") as f:
        ids = [json.loads(line)["id"] for line in f if line.strip()]
    with open(out_path, "w", encoding="utf-8") as w:
        for aid in ids:
            name = aid[len("nlfaq-") :]
            lines = blocks(roots[name], titles)
            page = next(f for f in os.listdir(pages) if f.lower() == name + ".page")
            row = {
                "id": aid,
                "title": lines[0],
                "body": "\n".join(lines[1:]),
                "lang": lang,
                "source": prefix + page + "".join(suffix),
            }
            w.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
