"""Cleaning a customer's message: HTML to text, quoted replies and signatures cut, personal data out."""

from __future__ import annotations

import html
import re

# starts only where a run of address characters starts: linear, not quadratic, on long words
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"(?<![\w+])(?:\+|00|0|\()[\d()\s./-]{6,20}\d(?!\w)"  # +46 70 123 45 67, 06-12345678, (555) 123-4567
    r"|(?<![\w+-])\d{3}[-.\s]\d{3}[-.\s]\d{4}(?![\w-])"  # 555-123-4567
)
QUOTE_HEADERS = (
    re.compile(r"^\s*On .{4,200}\bwrote:\s*$", re.I),
    re.compile(r"^\s*Op .{4,200}\bschreef .{0,100}:\s*$", re.I),
    re.compile(r"^\s*(?:Den|På) .{4,200}\bskrev .{0,100}:\s*$", re.I),
    re.compile(
        r"^\s*-{2,}\s*(?:Original Message|Oorspronkelijk bericht|Ursprungligt meddelande)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*_{5,}\s*$"),
    re.compile(r"^\s*(?:From|Van|Från):\s.+$", re.I),
)
SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
SIGN_OFFS = re.compile(
    r"^\s*(?:(?:(?:kind|best|warm|many)\s+)?(?:regards|thanks)|best|cheers|thanks(?: again| in advance)?"
    r"|thank you|sincerely|(?:met )?vriendelijke groet(?:en)?|groet(?:en|jes)?|mvg|bedankt"
    r"|alvast bedankt|med vänlig(?:a)? hälsning(?:ar)?|vänliga hälsningar|hälsningar|mvh|tack"
    r"|tack på förhand|sent from my \w+|verzonden vanaf mijn \w+|skickat från min \w+)"
    r"[\s,.!]*(?-i:[A-ZÅÄÖ][\w'-]+(?:\s[A-ZÅÄÖ][\w'-]+)?[.!]?)?\s*$"
    r"|^\s*/\s?(?-i:[A-ZÅÄÖ])[\w'-]+\s*$",
    re.I,
)
LONE_NAME = re.compile(r"^\s*[A-ZÅÄÖ][a-zåäöéë'-]+(?: [A-ZÅÄÖ][a-zåäöéë'-]+)?\s*$")
SIGNATURE_TAIL = 6  # a sign-off only starts a signature within the last lines of a message
TAG_RE = re.compile(r"<[^>]{1,400}>")
BLOCK_TAGS = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h\d)\s*/?>", re.I)
BLOCKQUOTE_OPEN = re.compile(r"<\s*blockquote[^>]{0,400}>", re.I)
BLOCKQUOTE_CLOSE = re.compile(r"<\s*/\s*blockquote\s*>", re.I)
SHORT_LINE = 200  # a sign-off or a name under the message is never longer


def strip_html(text: str) -> str:
    """Turn an HTML ticket description into plain text with line breaks kept."""
    if "<" not in text:
        return text
    text = BLOCK_TAGS.sub("\n", text)
    return html.unescape(TAG_RE.sub("", _cut_blockquotes(text)))


def _cut_blockquotes(text: str) -> str:
    """Replace each <blockquote>...</blockquote> (quoted history) with a line break, in one pass."""
    out: list[str] = []
    pos = 0
    while opening := BLOCKQUOTE_OPEN.search(text, pos):
        closing = BLOCKQUOTE_CLOSE.search(text, opening.end())
        if closing is None:  # no later opening has a closing either
            break
        out += [text[pos : opening.start()], "\n"]
        pos = closing.end()
    return "".join(out) + text[pos:]


def strip_quotes(text: str) -> str:
    """Cut quoted reply history: `>` lines and everything from an "On ... wrote:" header on."""
    kept: list[str] = []
    for line in text.splitlines():
        if any(p.match(line) for p in QUOTE_HEADERS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def strip_signature(text: str) -> str:
    """Cut a signature: from a `-- ` line, or from a sign-off near the end of the message."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if SIGNATURE_DELIMITER.match(line.rstrip()):
            lines = lines[:i]
            break
    start = max(0, len(lines) - SIGNATURE_TAIL)
    for i in range(start, len(lines)):
        if i > 0 and len(lines[i]) <= SHORT_LINE and SIGN_OFFS.match(lines[i]):
            lines = lines[:i]
            break
    while lines and not lines[-1].strip():
        lines.pop()
    if (
        len(lines) > 2
        and not lines[-2].strip()
        and len(lines[-1]) <= SHORT_LINE
        and LONE_NAME.match(lines[-1])
    ):
        lines = lines[:-1]  # a bare name under the message
    return "\n".join(lines).strip()


def redact(text: str) -> str:
    """Replace e-mail addresses and phone numbers with [email] and [phone]."""
    text = EMAIL.sub("[email]", text)
    return PHONE.sub(lambda m: "[phone]" if _digits(m.group()) >= 8 else m.group(), text)


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def clean_text(text: str) -> str:
    """HTML to text, quoted history and signature cut, personal data redacted, blank runs folded."""
    text = strip_signature(strip_quotes(strip_html(text.replace("\r\n", "\n"))))
    text = redact(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
