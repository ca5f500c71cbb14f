"""Text rewrites of an imported page's Markdown: defused raw HTML, and each link's address.

Pure functions over the text (kb.authoring.importers.plan decides what each address becomes).
"""

from __future__ import annotations

import re
from typing import Any

MD_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\[\]]*+\])*+)\]\(\s*+<?([^)\s>\[(]*+)>?((?:\s+\"[^\"\n]*+\")?)\s*\)"
)
MD_REF = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*)(\S+)(.*)$", re.M)
HTML_ATTR = re.compile(
    r"""(<(?:a|img)\b[^>]{0,500}?\s(?:href|src)=)(["'])([^"'<>]{0,2000})\2""", re.I
)
ADDRESS_AT_END = re.compile(r"\s(?:href|src)=$", re.I)  # the attribute HTML_ATTR ended on
LONG_LINE = 20_000  # a longer line keeps its links as written: the patterns stay fast
FRAME = re.compile(r"<iframe\b[^>]{0,2000}>(?:\s{0,100}</iframe\s*>)?", re.I)
FRAME_SRC = re.compile(r"""\ssrc\s*=\s*(["'])([^"'<>]{0,2000})\1""", re.I)
SCRIPT_TAG = re.compile(
    r"</?(?:script|object|embed|iframe|base|meta|link|style)\b[^>]{0,2000}>", re.I
)
EVENT_ATTR = re.compile(
    r"""(?<=[\s"'])on[a-z]{2,30}\s*=\s*(?:"[^"]{0,5000}"|'[^']{0,5000}'|[^\s>]{1,500})""", re.I
)
SCRIPT_URL = re.compile(r"(?<=[\"'(=])(?=\s*(?:java|vb)script\s*:)", re.I)  # an address


def defuse_html(text: str) -> tuple[str, str]:
    """Raw HTML in an imported page without what could run script; and what went, in words.

    Script-like tags lose their tags (their text stays, inert), frames become links when they
    are http(s), event attributes go, and `javascript:` addresses stop being addresses.
    """
    removed: list[str] = []

    def frame(m: re.Match[str]) -> str:
        removed.append("a frame")
        src = FRAME_SRC.search(m.group(0))
        url = src.group(2) if src else ""
        return f"[{url}]({url})" if url.lower().startswith(("https://", "http://")) else ""

    def gone(what: str) -> Any:
        def drop(m: re.Match[str]) -> str:
            removed.append(what)
            return ""

        return drop

    text = FRAME.sub(frame, text)
    text = SCRIPT_TAG.sub(gone("script tags"), text)
    text = EVENT_ATTR.sub(gone("event attributes"), text)
    text, n = SCRIPT_URL.subn("blocked-", text)
    removed += ["javascript: addresses"] * n
    return text, ", ".join(dict.fromkeys(removed))


def rewrite_markdown_links(text: str, link: Any, image: Any) -> str:
    """Markdown with each link and image address passed through `link` / `image` (None: keep)."""

    def inline(m: re.Match[str]) -> str:
        bang, label, address, title = m.groups()
        new = (image if bang else link)(address)
        if new is None:
            return m.group(0)
        if new == "" and not bang:
            return label
        return f"{bang}[{label}]({new}{title})"

    def ref(m: re.Match[str]) -> str:
        new = link(m.group(2))
        if new == "":
            return ""  # a link readers may not follow: the definition goes, its text stays
        return m.group(0) if new is None else f"{m.group(1)}{new}{m.group(3)}"

    def attr(m: re.Match[str]) -> str:
        is_img = m.group(1).lower().startswith("<img")
        new = (image if is_img else link)(m.group(3))
        if new == "" and not is_img:  # a link readers may not follow: <a> without href, text kept
            return ADDRESS_AT_END.sub("", m.group(1))
        return m.group(0) if new is None else f"{m.group(1)}{m.group(2)}{new}{m.group(2)}"

    out = []
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and len(line) <= LONG_LINE:
            line = MD_LINK.sub(inline, line)
            line = MD_REF.sub(ref, line)
            line = HTML_ATTR.sub(attr, line)
        out.append(line)
    return "\n".join(out)
