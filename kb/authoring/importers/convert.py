"""HTML to kb Markdown with markdownify: tables, lists, code, callouts as admonitions, links resolved.

markdownify (BeautifulSoup underneath) rather than html2text: its converter is a class with one
method per tag, so callouts become admonitions that keep their content and links and images are
rewritten on the parsed tree, not by patching text afterwards; it writes pipe tables and fenced code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag
from markdownify import ATX, MarkdownConverter

from kb.core.text import slugify

# class words of the callout boxes help-centre themes use, and the admonition each becomes
CALLOUTS = {
    "note": "note",
    "notice": "note",
    "callout": "note",
    "admonition": "note",
    "info": "info",
    "information": "info",
    "tip": "tip",
    "hint": "tip",
    "success": "success",
    "warning": "warning",
    "warn": "warning",
    "caution": "warning",
    "important": "warning",
    "alert": "warning",
    "danger": "danger",
    "error": "danger",
}
CALLOUT_TAGS = ("div", "aside", "section", "blockquote", "p")
DROP_TAGS = ("script", "style", "noscript", "template", "form", "button", "input", "select", "svg")
TITLE_MAX = 60
MARK = "data-kb-admonition"
WORD = re.compile(r"[a-z]+")
BLANKS = re.compile(r"\n{3,}")


@dataclass
class Converted:
    """A converted body: Markdown, and the headings' source ids mapped to kb's anchors."""

    markdown: str
    anchors: dict[str, str] = field(default_factory=dict)


def callout_type(classes: list[str] | str | None) -> str | None:
    """The admonition type of an element's classes (`callout callout--warning` -> warning)."""
    if not classes:
        return None
    words = WORD.findall(" ".join(classes) if isinstance(classes, list) else classes)
    kinds = [CALLOUTS[w] for w in words if w in CALLOUTS]
    if not kinds:
        return None
    specific = [k for k in kinds if k != "note"]
    return specific[0] if specific else kinds[0]


def admonition(kind: str, title: str | None, markdown: str) -> str:
    """A Material admonition block holding `markdown`, indented under its `!!!` line."""
    head = f'!!! {kind} "{title}"' if title else f"!!! {kind}"
    inner = "\n".join(f"    {ln}" if ln.strip() else "" for ln in markdown.strip("\n").split("\n"))
    return f"\n\n{head}\n\n{inner}\n\n"


class _Converter(MarkdownConverter):
    def _block(self, el: Tag, text: str, parent_tags: Any, tag: str) -> str:
        kind = el.get(MARK)
        if kind:
            title = el.get("data-kb-title")
            return admonition(str(kind), str(title) if title else None, text)
        method = getattr(super(), f"convert_{tag}", None)
        return method(el, text, parent_tags) if method else text

    def convert_div(self, el: Tag, text: str, parent_tags: Any) -> str:
        return self._block(el, text, parent_tags, "div")

    def convert_aside(self, el: Tag, text: str, parent_tags: Any) -> str:
        return self._block(el, text, parent_tags, "aside")

    def convert_section(self, el: Tag, text: str, parent_tags: Any) -> str:
        return self._block(el, text, parent_tags, "section")

    def convert_blockquote(self, el: Tag, text: str, parent_tags: Any) -> str:
        return self._block(el, text, parent_tags, "blockquote")

    def convert_p(self, el: Tag, text: str, parent_tags: Any) -> str:
        return self._block(el, text, parent_tags, "p")

    def convert_iframe(self, el: Tag, text: str, parent_tags: Any) -> str:
        src = str(el.get("src") or "").strip()
        title = str(el.get("title") or "Video").strip().replace("]", ")")
        if not src.lower().startswith(("https://", "http://")):
            return ""  # javascript:, data: or a relative frame: nothing a reader may follow
        return f"\n\n[{title}]({src.replace(')', '%29').replace(' ', '%20')})\n\n"


def _code_language(el: Tag) -> str:
    for node in (el, el.find("code")):
        if isinstance(node, Tag):
            for cls in node.get("class") or []:
                if cls.startswith(("language-", "lang-")):
                    return str(cls.split("-", 1)[1])
    return ""


def _text_of(el: Any) -> str | None:
    return " ".join(el.get_text(" ").split()) if isinstance(el, Tag) else None


def _mark_callouts(soup: BeautifulSoup) -> None:
    for el in soup.find_all(CALLOUT_TAGS):
        if el.decomposed:  # a callout's title, removed below
            continue
        kind = callout_type(el.get("class"))
        if kind is None or el.find_parent(attrs={MARK: True}) is not None:
            continue
        el[MARK] = kind
        first = next((c for c in el.children if isinstance(c, Tag)), None)
        if first is not None:
            title = " ".join(first.get_text(" ").split())
            is_title = first.name in ("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b") or (
                first.name in ("p", "div", "span")
                and (
                    callout_type(first.get("class")) is not None
                    or "title" in " ".join(first.get("class") or [])
                    or (
                        len(list(first.find_all(True))) == 1
                        and _text_of(first.find(["strong", "b"])) == title
                    )
                )
            )
            if is_title and 0 < len(title) <= TITLE_MAX and len(list(el.children)) > 1:
                el["data-kb-title"] = title.rstrip(":").replace('"', "'")
                first.decompose()


def to_markdown(
    html: str,
    *,
    link: Callable[[str], str | None] | None = None,
    image: Callable[[str], str | None] | None = None,
) -> Converted:
    """Convert an article body; `link` and `image` may return a new address (None: keep it)."""
    soup = BeautifulSoup(html, "html.parser")
    for el in soup.find_all(DROP_TAGS):
        el.decompose()
    anchors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        text = " ".join(h.get_text(" ").split())
        if not text:
            continue
        ids = [str(h.get("id") or "")] + [
            str(a.get("name") or a.get("id") or "") for a in h.find_all("a")
        ]
        anchor = slugify(text)
        seen[anchor] = n = seen.get(anchor, -1) + 1
        if n:  # the table of contents numbers a repeated heading: steps, steps_1, steps_2
            anchor = f"{anchor}_{n}"
        for source_id in filter(None, ids):
            anchors[source_id] = anchor
        anchors.setdefault(anchor, anchor)
    for a in soup.find_all("a", attrs={"name": True}):  # <a name="x"> just before a heading
        name = str(a.get("name") or "")
        if not name or name in anchors:
            continue
        nxt = a.find_next(["h1", "h2", "h3", "h4", "h5", "h6"])
        if nxt is not None:
            anchors[name] = slugify(" ".join(nxt.get_text(" ").split()))
    if link is not None:
        for a in soup.find_all("a", href=True):
            new = link(str(a["href"]).strip())
            if new is not None:
                a["href"] = new
    if image is not None:
        for img in soup.find_all("img", src=True):
            new = image(str(img["src"]).strip())
            if new is not None:
                img["src"] = new
    _mark_callouts(soup)
    converter = _Converter(
        heading_style=ATX,
        bullets="-",
        code_language_callback=_code_language,
        table_infer_header=True,
        escape_misc=False,
        keep_inline_images_in=["td", "th", "a", "li"],
    )
    text = converter.convert_soup(soup)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return Converted(BLANKS.sub("\n\n", text).strip() + "\n", anchors)


def html_title(html: str) -> str:
    """Plain text of a fragment of HTML (a title with markup in it)."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
