"""Markdown to plain text and sections: the one place that decides what search and the suggester see."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
TAG = re.compile(r"<[^>]{1,400}>")
INLINE_CODE = re.compile(r"`+([^`]*)`+")
EMPHASIS = re.compile(r"(\*\*|__|\*|(?<!\w)_)(?=\S)(.+?)(?<=\S)\1")
LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
ADMONITION = re.compile(r'^\s*(?:!!!|\?\?\?\+?)\s*[\w-]+(?:\s+"([^"]*)")?\s*$')
ATTR_LIST = re.compile(r"\{:?\s*[#.][^}]*\}")


@dataclass(frozen=True)
class Section:
    """A part of an article under one heading ("" for the text before the first heading)."""

    heading: str
    level: int
    text: str
    anchor: str
    line: int


def slugify(text: str) -> str:
    """Return the anchor MkDocs' table of contents gives a heading."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def _lines(body: str) -> Iterator[tuple[int, str, str | None]]:
    """Yield (index, line, fence language or None) with the fence lines themselves skipped."""
    fence: str | None = None
    lang = ""
    for i, line in enumerate(body.split("\n")):
        match = FENCE_OPEN.match(line)
        if fence is None and match:
            fence, lang = match.group(1), match.group(2).lower()
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
                continue
            yield i, line, lang
            continue
        yield i, line, None


def inline_text(line: str) -> str:
    """Strip Markdown and HTML from one line of prose."""
    match = ADMONITION.match(line)
    if match:
        return match.group(1) or ""
    if REF_DEF.match(line):
        return ""
    line = LIST_MARK.sub("", line)
    line = re.sub(r"^\s*>+\s?", "", line)
    line = LINK.sub(lambda m: m.group(2), line)
    line = INLINE_CODE.sub(lambda m: m.group(1), line)
    line = TAG.sub("", line)
    line = ATTR_LIST.sub("", line)
    for _ in range(2):
        line = EMPHASIS.sub(lambda m: m.group(2), line)
    if set(line.strip()) <= set("|-: "):
        return ""
    line = line.replace("|", " ")
    return re.sub(r"\s+", " ", html.unescape(line)).strip()


def sections(body: str, first_line: int = 1) -> list[Section]:
    """Split a Markdown body into sections of plain text; mermaid blocks are left out."""
    out: list[Section] = []
    heading, level, line_no = "", 0, first_line
    buf: list[str] = []

    def flush() -> None:
        text = "\n".join(t for t in buf if t).strip()
        if heading or text:
            out.append(Section(heading, level, text, slugify(heading), line_no))

    for i, line, lang in _lines(body):
        if lang is not None:
            if lang != "mermaid":
                buf.append(line.strip())
            continue
        match = HEADING.match(line)
        if match:
            flush()
            heading, level, line_no = (
                inline_text(match.group(2)),
                len(match.group(1)),
                first_line + i,
            )
            buf = []
            continue
        buf.append(inline_text(line))
    flush()
    return out


def plain_text(body: str) -> str:
    """Return the body as plain text, headings included."""
    return sections_text(sections(body))


def sections_text(parts: Iterable[Section]) -> str:
    """Sections as plain text: each heading on its own line, then its text."""
    lines = []
    for section in parts:
        if section.heading:
            lines.append(section.heading)
        if section.text:
            lines.append(section.text)
    return "\n".join(lines)


def links(body: str, first_line: int = 1, *, images: bool = False) -> list[tuple[int, str]]:
    """Return (file line, target) of each Markdown link (and image, with `images`) outside code."""
    if "](" not in body:
        return []
    if "```" not in body and "~~~" not in body and "`" not in body:
        return [
            (first_line + body.count("\n", 0, m.start()), m.group(3))
            for m in LINK.finditer(body)
            if images or not m.group(1)
        ]
    found = []
    for i, line, lang in _lines(body):
        if lang is not None:
            continue
        stripped = INLINE_CODE.sub("", line)
        for match in LINK.finditer(stripped):
            if images or not match.group(1):
                found.append((first_line + i, match.group(3)))
    return found


def has_numbered_list(text_body: str) -> bool:
    """True when the Markdown has at least one numbered list item outside code blocks."""
    return any(
        lang is None and re.match(r"^\s*\d{1,3}[.)]\s+\S", line)
        for _, line, lang in _lines(text_body)
    )


def fenced_languages(body: str) -> set[str]:
    """Return the languages of the fenced code blocks in the body (e.g. {'mermaid'})."""
    return {lang for _, _, lang in _lines(body) if lang}
