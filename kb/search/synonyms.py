"""Query-time synonyms per language, read from search/synonyms.yml with errors naming file and line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.core.errors import ArticleError, ValidationFailed, display_path
from kb.core.frontmatter import compose, yaml_message
from kb.search.analysis import Analyzer

Phrase = tuple[str, ...]


@dataclass
class Synonyms:
    """Query-time synonyms of one language: a phrase, as typed, maps to alternative term phrases.

    Sources are keyed by the stems of all their words, stop words included, so a customer phrase
    such as "where is my order" can have synonyms; alternatives are the terms to search for.
    """

    table: dict[Phrase, list[Phrase]] = field(default_factory=dict)
    longest: int = field(default=0, init=False)  # words in the longest source phrase

    def __post_init__(self) -> None:
        self.longest = max((len(p) for p in self.table), default=0)

    def add(self, source: Phrase, own: Phrase, alternatives: Iterable[Phrase]) -> None:
        """Let the phrase with keys `source` (search terms `own`) also find `alternatives`."""
        self.longest = max(self.longest, len(source))
        alts = self.table.setdefault(source, [])
        for alt in alternatives:
            if alt and alt != own and alt not in alts:
                alts.append(alt)

    def match(self, keys: list[str], start: int) -> tuple[int, list[Phrase]]:
        """Return (words, alternatives) of the longest source phrase starting at `keys[start]`."""
        for n in range(min(self.longest, len(keys) - start), 0, -1):
            alts = self.table.get(tuple(keys[start : start + n]))
            if alts:
                return n, alts
        return 0, []


def load_synonyms(path: str | Path, analyzers: Mapping[str, Analyzer]) -> dict[str, Synonyms]:
    """Read synonyms.yml ({lang: [[a, b, c], {word: [alternatives]}]}); errors name file and line."""
    p = Path(path)
    shown = display_path(p)

    def problem(line: int, message: str) -> ValidationFailed:
        return ValidationFailed([ArticleError(shown, line, "synonyms", message)])

    def fail(node: yaml.Node, message: str) -> ValidationFailed:
        return problem(node.start_mark.line + 1, message)

    try:
        root = compose(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise problem(1, f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise problem(mark.line + 1 if mark else 1, yaml_message(exc)) from None
    out: dict[str, Synonyms] = {}
    if root is None:
        return out

    if not isinstance(root, yaml.MappingNode):
        raise fail(
            root,
            "expected a mapping of language to synonym groups, e.g. en: [[refund, money back]]",
        )
    for key, groups in root.value:
        lang = str(key.value)
        if lang not in analyzers:
            raise fail(key, f"unknown language '{lang}' (expected one of: {', '.join(analyzers)})")
        if not isinstance(groups, yaml.SequenceNode):
            raise fail(groups, f"{lang}: expected a list of groups")
        an = analyzers[lang]
        syn = out.setdefault(lang, Synonyms())

        def phrase(node: yaml.Node, an: Analyzer = an) -> tuple[Phrase, Phrase]:
            """Return (keys of every word, search terms) of a phrase in the file."""
            if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
                raise fail(node, "expected a word or phrase")
            words = an.words(str(node.value))
            terms = tuple(t for w in words for t in an.word_terms(w)[:1])
            if not terms:
                raise fail(node, f"'{node.value}' has only stop words, which search ignores")
            return tuple(an.norm(w) for w in words), terms

        for group in groups.value:
            if isinstance(group, yaml.SequenceNode):
                phrases = [phrase(n) for n in group.value]
                if len(phrases) < 2:
                    raise fail(group, "a group needs at least two words or phrases")
                for keys, terms in phrases:
                    syn.add(keys, terms, [t for _, t in phrases])
            elif isinstance(group, yaml.MappingNode):
                for src, alts in group.value:
                    if not isinstance(alts, yaml.SequenceNode):
                        alts = yaml.SequenceNode("tag:yaml.org,2002:seq", [alts])
                    keys, terms = phrase(src)
                    syn.add(keys, terms, [phrase(n)[1] for n in alts.value])
            else:
                raise fail(
                    group, "expected a list [a, b, c] (all equivalent) or a mapping a: [b, c]"
                )
    return out
