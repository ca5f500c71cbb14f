"""Split a Markdown file into YAML front matter and body, keeping real file line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None  # type: ignore[misc,assignment]

FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


class FileProblem(Exception):
    """A file that cannot be read as a Markdown article at all."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.message = message


MAX_FRONT_MATTER = 64 * 1024  # bytes of YAML between the two fences
MAX_DEPTH = 32  # lists and mappings inside each other
MAX_NODES = 10_000  # values in the document once every alias is expanded
MAX_CHARS = 1_000_000  # characters of scalar text once every alias is expanded


class TooComplex(yaml.MarkedYAMLError):
    """YAML refused while it is composed: nested too deep, or too big once aliases are expanded."""


class BoundedComposer(Composer):
    """A composer that refuses deep nesting and counts the nodes each alias stands for.

    An alias is a reference, so `b: &b [*a, *a, ...]` is cheap to compose but expands (when
    constructed, walked or printed) to everything its anchor holds: the "billion laughs".
    Counting the expanded size while composing refuses one after a few hundred nodes, and the
    depth limit keeps composing (recursive, here and in libyaml's composer) far from the
    stack's end. One `get_event` per event keeps it close to libyaml's own composer in speed;
    path resolvers (`add_path_resolver`), which no kb loader has, are not consulted.
    """

    max_depth = MAX_DEPTH
    max_nodes = MAX_NODES
    max_chars = MAX_CHARS
    _depth = _nodes = _chars = 0
    _sizes: dict[int, tuple[int, int]]  # id(node) -> what it expands to: (nodes, chars)

    def compose_document(self) -> Any:
        """Compose one document with fresh counters."""
        self._depth = self._nodes = self._chars = 0
        self._sizes = {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose the next node of the event stream."""
        return self._node(self.get_event())  # type: ignore[attr-defined]

    def _node(self, event: Any) -> Any:
        kind = type(event)
        if kind is AliasEvent:
            node = self.anchors.get(event.anchor)
            if node is None:
                raise ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            size = self._sizes.get(id(node))
            if size is None:
                self._refuse(f"alias *{event.anchor} is used inside its own anchor", event)
            self._count(*size, event, alias=True)
            return node
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        nodes, chars = self._nodes, self._chars
        tag = event.tag
        if kind is ScalarEvent:
            if tag is None or tag == "!":
                tag = self.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[attr-defined]
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            self._count(1, len(event.value), event)
        else:
            mapping = kind is MappingStartEvent
            self._depth += 1
            if self._depth > self.max_depth:
                self._refuse(f"nested more than {self.max_depth} levels deep", event)
            self._count(1, 0, event)
            if tag is None or tag == "!":
                tag = self.resolve(MappingNode if mapping else SequenceNode, None, event.implicit)  # type: ignore[attr-defined]
            cls = MappingNode if mapping else SequenceNode
            node = cls(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if anchor is not None:
                self.anchors[anchor] = node
            end = MappingEndEvent if mapping else SequenceEndEvent
            items: list[Any] = node.value
            while type(event := self.get_event()) is not end:  # type: ignore[attr-defined]
                if mapping:
                    items.append((self._node(event), self._node(self.get_event())))  # type: ignore[attr-defined]
                else:
                    items.append(self._node(event))
            node.end_mark = event.end_mark
            self._depth -= 1
        if anchor is not None:
            self.anchors[anchor] = node
        self._sizes[id(node)] = (self._nodes - nodes, self._chars - chars)
        return node

    def _count(self, nodes: int, chars: int, at: Any, alias: bool = False) -> None:
        self._nodes += nodes
        self._chars += chars
        how = "aliases expand it to" if alias else "it has"
        if self._nodes > self.max_nodes:
            self._refuse(f"too big: {how} more than {self.max_nodes:,} values", at)
        if self._chars > self.max_chars:
            self._refuse(f"too big: {how} more than {self.max_chars:,} characters", at)

    def _refuse(self, problem: str, at: Any) -> NoReturn:
        raise TooComplex(None, None, problem, at.start_mark)


if CParser is not None:  # libyaml scans and parses; composing (and counting) is Python's

    class BoundedLoader(BoundedComposer, CParser, SafeConstructor, Resolver):
        """Safe YAML loader with depth and alias-expansion limits, on libyaml's parser."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class BoundedLoader(BoundedComposer, yaml.SafeLoader):  # type: ignore[no-redef]
        """Safe YAML loader with depth and alias-expansion limits, on PyYAML's parser."""


class _Loader(BoundedLoader):
    """Bounded safe loader that leaves dates as strings so the schema parses (and reports) them."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def compose(text: str) -> yaml.Node | None:
    """The YAML node tree of `text`, bounded like front matter (TooComplex past the limits)."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def yaml_message(exc: yaml.YAMLError) -> str:
    """One line saying what is wrong with a YAML text (PyYAML's messages span lines)."""
    if isinstance(exc, TooComplex):
        return str(exc.problem)
    if isinstance(exc, yaml.MarkedYAMLError):
        return (
            "invalid YAML: "
            + " ".join(str(part) for part in (exc.context, exc.problem) if part).strip()
        )
    return "invalid YAML: " + " ".join(str(exc).split())


def show(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, without ever building more of it than that."""
    parts: list[str] = []
    _show_into(value, parts, [limit + 1], 0)  # one character more tells that it was cut
    text = "".join(parts)
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _cut_repr(text: str | bytes, size: int) -> str:
    """The repr of `text` cut after about `size` characters: the start of repr(text) exactly."""
    if len(text) <= size:
        return repr(text)
    head = repr(text[:size])
    quotes: tuple[Any, Any] = ("'", '"') if isinstance(text, str) else (b"'", b'"')
    double = quotes[0] in text and quotes[1] not in text  # the quotes repr(text) picks
    prefix = "" if isinstance(text, str) else "b"
    body = head[len(prefix) + 1 : -1]
    if double == head.startswith(prefix + '"'):
        return head
    if double:  # the cut part has no quote at all
        return f'{prefix}"{body}"'
    return prefix + "'" + body.replace("'", "\\'") + "'"


def _show_into(value: Any, parts: list[str], budget: list[int], depth: int) -> None:
    """Append the repr of `value` to `parts` until `budget` (characters left) runs out."""

    def put(text: str) -> None:
        parts.append(text[: max(budget[0], 0)])
        budget[0] -= len(text)

    if budget[0] <= 0:
        return
    if depth > 20:
        put("...")
    elif isinstance(value, str | bytes):
        put(_cut_repr(value, budget[0]))
    elif isinstance(value, int) and value.bit_length() > 14_000:  # str() refuses 4,300+ digits
        put(f"<{value.bit_length()}-bit integer>")
    elif isinstance(value, dict):
        put("{")
        for n, (key, item) in enumerate(value.items()):
            if budget[0] <= 0:
                return
            put(", " if n else "")
            _show_into(key, parts, budget, depth + 1)
            put(": ")
            _show_into(item, parts, budget, depth + 1)
        put("}")
    elif isinstance(value, list | tuple | set):
        if isinstance(value, set) and not value:
            put(f"{type(value).__name__}()")
            return
        ends = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
        put(ends[0])
        for n, item in enumerate(value):
            if budget[0] <= 0:
                return
            put(", " if n else "")
            _show_into(item, parts, budget, depth + 1)
        put("," if isinstance(value, tuple) and len(value) == 1 else "")
        put(ends[1])
    else:
        put(repr(value)[: budget[0] + 1])


@dataclass
class FrontMatter:
    """Parsed front matter: values, the file line of each key and list item, and the body."""

    meta: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    has_front_matter: bool = False
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def line_of(self, key: str, item: int | None = None) -> int:
        """Return the file line of `key` (or of its item number `item`), else the first line."""
        if item is not None:
            lines = self.item_lines.get(key, [])
            if item < len(lines):
                return lines[item]
        return self.key_lines.get(key, 1)


def read_text(path: Path, max_bytes: int) -> str:
    """Read `path` as UTF-8 Markdown, raising FileProblem for empty, huge, binary or non-UTF-8 files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileProblem(1, "file", f"cannot read: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise FileProblem(
            1, "file", f"{_human(size)} is larger than the {_human(max_bytes)} limit for an article"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileProblem(1, "file", f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise FileProblem(1, "file", "empty file; an article needs front matter with a title")
    if b"\x00" in data[:8192]:
        raise FileProblem(1, "file", "binary file, not Markdown text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            line, "file", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB"


def parse(text: str) -> FrontMatter:
    """Split `text` into front matter and body; YAML problems are recorded, never raised."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(body=text, body_line=1)
    end = next((i for i in range(1, len(lines)) if FENCE.match(lines[i])), None)
    if end is None:
        fm = FrontMatter(body="", body_line=len(lines) + 1, has_front_matter=True)
        fm.problems.append((1, "front matter", "no closing '---' line after the front matter"))
        return fm
    fm = FrontMatter(body="\n".join(lines[end + 1 :]), body_line=end + 2, has_front_matter=True)
    source = "\n".join(lines[1:end])
    size = len(source.encode("utf-8"))
    if size > MAX_FRONT_MATTER:
        fm.problems.append(
            (
                1,
                "front matter",
                f"{_human(size)} is larger than the {_human(MAX_FRONT_MATTER)} limit",
            )
        )
        return fm
    _load_yaml(source, fm)
    return fm


def _key_text(value: Any) -> str:
    """A key that is not text, as the field name of messages: short, even for a list."""
    if isinstance(value, list | tuple | dict | set | frozenset | bytes):
        return show(value)
    return str(value)


def _load_yaml(source: str, fm: FrontMatter) -> None:
    """Fill `fm` from the YAML `source` that starts on file line 2."""
    offset = 2
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return
        if not isinstance(node, yaml.MappingNode):
            fm.problems.append(
                (
                    node.start_mark.line + offset,
                    "front matter",
                    "must be a mapping of `key: value` lines",
                )
            )
            return
        for key_node, value_node in node.value:
            key_value = loader.construct_object(key_node, deep=True)
            key = key_value if isinstance(key_value, str) else _key_text(key_value)
            line = key_node.start_mark.line + offset
            if key in fm.key_lines:
                fm.problems.append(
                    (line, key, f"duplicate key (first set on line {fm.key_lines[key]})")
                )
                continue
            fm.key_lines[key] = line
            if isinstance(value_node, yaml.SequenceNode):
                fm.item_lines[key] = [n.start_mark.line + offset for n in value_node.value]
            fm.meta[key] = loader.construct_object(value_node, deep=True)
    except TooComplex as exc:
        line = exc.problem_mark.line + offset if exc.problem_mark else offset
        fm.problems.append((line, "front matter", str(exc.problem)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else offset
        problem = exc.problem or exc.context or "could not be parsed"
        fm.problems.append((line, "front matter", f"invalid YAML: {problem}"))
    except yaml.reader.ReaderError as exc:
        line, message = unreadable(source, exc)
        fm.problems.append((line + offset - 1, "front matter", message))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the library wrote
        fm.problems.append((offset, "front matter", f"invalid YAML: {message}"))
    finally:
        loader.dispose()


def unreadable(source: str, exc: yaml.reader.ReaderError) -> tuple[int, str]:
    """The line (from 1) and a one-line message for a character YAML does not allow."""
    line = source[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else 1
    char = exc.character if isinstance(exc.character, int) else 0
    return line, f"invalid YAML: {exc.reason} (character #x{char:04X})"
