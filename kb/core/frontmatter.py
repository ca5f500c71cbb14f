"""Split a Markdown file into YAML front matter and body, keeping real file line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


class FileProblem(Exception):
    """A file that cannot be read as a Markdown article at all."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.message = message


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe YAML loader that leaves dates as strings so the schema parses (and reports) them."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
    _load_yaml("\n".join(lines[1:end]), fm)
    return fm


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
            key = str(loader.construct_object(key_node, deep=True))
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
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else offset
        problem = exc.problem or exc.context or "could not be parsed"
        fm.problems.append((line, "front matter", f"invalid YAML: {problem}"))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        fm.problems.append((offset, "front matter", f"invalid YAML: {exc}"))
    finally:
        loader.dispose()
