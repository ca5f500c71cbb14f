"""mkdocs.yml as read text: its values without running its tags, and the line of every key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.core.errors import ArticleError, SettingsError, display_path
from kb.core.frontmatter import MAX_DEPTH, BoundedComposer, TooComplex, unreadable, yaml_message

Key = str | int  # a mapping key or a list position


class _ConfigLoader(BoundedComposer, yaml.SafeLoader):
    """Loads mkdocs.yml without executing its tags (`!!python/name:`, `!ENV`, `!relative`).

    Bounded like front matter (depth, and what aliases expand to), with room for a long nav.
    """

    max_depth = MAX_DEPTH
    max_nodes = 200_000
    max_chars = 20_000_000


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_ConfigLoader.add_multi_constructor("!", _any_tag)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def _key_lines(node: yaml.Node, path: tuple[Key, ...], out: dict[tuple[Key, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (*path, str(key_node.value))
                out[key] = key_node.start_mark.line + 1
                _key_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            key = (*path, n)
            out[key] = item.start_mark.line + 1
            _key_lines(item, key, out)


@dataclass
class ConfigFile:
    """A parsed mkdocs.yml: `data` as YAML gives it, and where each key is."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[tuple[Key, ...], int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> ConfigFile:
        """Parse `path`; unreadable or invalid YAML raises SettingsError with the line."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{display_path(path)}: cannot read: {exc}") from None
        try:
            loader = _ConfigLoader(text)  # PyYAML's reader checks every character here
        except yaml.reader.ReaderError as exc:
            line, message = unreadable(text, exc)
            raise SettingsError(f"{display_path(path)}:{line}: {message}") from None
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else {}
        except TooComplex as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            raise SettingsError(f"{display_path(path)}:{line}: {exc.problem}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            raise SettingsError(f"{display_path(path)}:{line}: {yaml_message(exc)}") from None
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            raise SettingsError(f"{display_path(path)}:1: must be a YAML mapping")
        lines: dict[tuple[Key, ...], int] = {}
        if node is not None:
            _key_lines(node, (), lines)
        return cls(path, data, lines)

    def line(self, *keys: Key) -> int:
        """The line of the deepest of `keys` the file has (1 when none)."""
        for end in range(len(keys), 0, -1):
            if keys[:end] in self.lines:
                return self.lines[keys[:end]]
        return 1

    def where(self, *keys: Key) -> str:
        """`mkdocs.yml:LINE` for `keys`, as problems are reported."""
        return f"{display_path(self.path)}:{self.line(*keys)}"

    def problem(self, keys: tuple[Key, ...], field: str, message: str, level: str) -> ArticleError:
        """A problem of the key at `keys`, reported as `mkdocs.yml:LINE: field: message`."""
        return ArticleError(display_path(self.path), self.line(*keys), field, message, level)

    def plugin_entry(self) -> tuple[dict[str, Any], tuple[Key, ...]]:
        """The options of the `kb` plugin entry and the keys that lead to them."""
        plugins = self.data.get("plugins") or []
        if isinstance(plugins, dict):
            return (plugins.get("kb") or {}), ("plugins", "kb")
        if not isinstance(plugins, list):
            return {}, ("plugins",)
        for n, entry in enumerate(plugins):
            if entry == "kb":
                return {}, ("plugins", n)
            if isinstance(entry, dict) and "kb" in entry:
                return (entry["kb"] or {}), ("plugins", n, "kb")
        return {}, ("plugins",)
