"""Golden queries (search/queries.yml): "this query must find that article in the top N"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from kb.core.errors import ArticleError, ValidationFailed, display_path
from kb.core.frontmatter import compose, yaml_message
from kb.core.schema import did_you_mean

if TYPE_CHECKING:
    from kb.core.collection import KnowledgeBase

DEFAULT_TOP = 3
KEYS = ("query", "expect", "lang", "top", "internal")


@dataclass(frozen=True)
class GoldenQuery:
    """One golden query and where it is written."""

    query: str
    expect: tuple[str, ...]  # any of these ids counts as found
    line: int
    lang: str | None = None
    top: int = DEFAULT_TOP
    internal: bool = False


def load_golden_queries(path: Path, root: Path | None = None) -> list[GoldenQuery]:
    """Read queries.yml; raise ValidationFailed listing every malformed entry."""
    shown = display_path(path, root)
    errors: list[ArticleError] = []

    def err(node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        errors.append(ArticleError(shown, line, "queries", message))

    try:
        doc = compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationFailed([ArticleError(shown, 1, "queries", f"cannot read: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ValidationFailed([ArticleError(shown, line, "queries", yaml_message(exc))]) from None
    if doc is None:
        return []
    if not isinstance(doc, yaml.SequenceNode):
        err(
            doc,
            "expected a list of entries like '- {query: reset password, expect: reset-password}'",
        )
        raise ValidationFailed(errors)
    out = []
    for node in doc.value:
        if not isinstance(node, yaml.MappingNode):
            err(node, "expected a mapping with 'query' and 'expect'")
            continue
        values = {str(k.value): v for k, v in node.value}
        for key in values:
            if key not in KEYS:
                err(node, f"unknown key '{key}'" + did_you_mean(key, KEYS))
        query, expect = values.get("query"), values.get("expect")
        if not isinstance(query, yaml.ScalarNode) or not str(query.value).strip():
            err(node, "'query' is missing or empty")
            continue
        if isinstance(expect, yaml.ScalarNode) and str(expect.value).strip():
            ids: tuple[str, ...] = (str(expect.value),)
        elif isinstance(expect, yaml.SequenceNode) and expect.value:
            ids = tuple(str(n.value) for n in expect.value if isinstance(n, yaml.ScalarNode))
        else:
            err(node, "'expect' must name an article id (or a list of ids)")
            continue
        top = values.get("top")
        try:
            n = int(top.value) if isinstance(top, yaml.ScalarNode) else DEFAULT_TOP
            if n < 1:
                raise ValueError
        except ValueError:
            err(top, "'top' must be a whole number of at least 1")
            continue
        lang = values.get("lang")
        internal = values.get("internal")
        out.append(
            GoldenQuery(
                query=str(query.value),
                expect=ids,
                line=node.start_mark.line + 1,
                lang=str(lang.value) if isinstance(lang, yaml.ScalarNode) else None,
                top=n,
                internal=isinstance(internal, yaml.ScalarNode)
                and str(internal.value).lower() in ("true", "yes", "on"),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return out


def check_golden_queries(kb: KnowledgeBase) -> list[ArticleError]:
    """Run every golden query against the KB's (incrementally updated) index; one error per miss."""
    from kb.search.index import build_index
    from kb.search.searcher import open_searcher

    settings = kb.settings
    shown = display_path(settings.queries_file, settings.root)
    try:
        queries = load_golden_queries(settings.queries_file, settings.root)
    except ValidationFailed as exc:
        return list(exc.errors)
    problems = _check_ids(kb, queries, shown)
    if problems or not queries:
        return problems
    build_index(kb)
    searcher = open_searcher(settings)
    try:
        searcher.synonyms()
        for q in queries:
            lang = q.lang or kb.by_id[q.expect[0]].lang
            ids = searcher.search(q.query, lang=lang, limit=q.top, internal=q.internal).ids()
            if not set(q.expect) & set(ids):
                found = ", ".join(ids) if ids else "nothing"
                wanted = " or ".join(f"'{i}'" for i in q.expect)
                problems.append(
                    ArticleError(
                        shown,
                        q.line,
                        "queries",
                        f"'{q.query}' ({lang}) should find {wanted} in the top {q.top}, found: {found}",
                    )
                )
    except ValidationFailed as exc:
        problems += exc.errors
    finally:
        searcher.close()
    return problems


def _check_ids(kb: KnowledgeBase, queries: list[GoldenQuery], shown: str) -> list[ArticleError]:
    problems = []
    ids = sorted(kb.by_id)
    for q in queries:
        if q.lang is not None and q.lang not in kb.settings.languages:
            problems.append(ArticleError(shown, q.line, "queries", f"unknown language '{q.lang}'"))
        for aid in q.expect:
            article = kb.get(aid)
            if article is None:
                message = f"no article with id '{aid}'" + did_you_mean(aid, ids)
            elif not article.is_live:
                message = f"'{aid}' is not published ({article.status}), so search cannot find it"
            elif not article.is_public and not q.internal:
                message = f"'{aid}' is internal; add 'internal: true' to search the agents' index"
            else:
                continue
            problems.append(ArticleError(shown, q.line, "queries", message))
    return problems
