"""KnowledgeBase: every article of a KB, read and validated at once, checked across articles."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.article import Article
from kb.core.errors import ArticleError, ValidationFailed, display_path
from kb.core.publish import docs_problems, include_problems
from kb.core.reading import iter_markdown, read_cached, shown_path
from kb.core.schema import did_you_mean
from kb.core.settings import Settings
from kb.core.text import links
from kb.core.urls import url_key


@dataclass
class KnowledgeBase:
    """All articles of a knowledge base, valid and cross-checked."""

    settings: Settings
    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    warnings: list[ArticleError] = field(default_factory=list)
    files_checked: int = 0

    def __post_init__(self) -> None:
        self.by_id: dict[str, Article] = {}
        self.by_path: dict[str, Article] = {}
        self._index()

    def _index(self) -> None:
        self.by_id = {}
        for a in self.articles:
            self.by_id.setdefault(a.id, a)
        self.by_path = {a.rel_path: a for a in self.articles}

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, settings: Settings) -> KnowledgeBase:
        """Load and validate the whole KB, raising ValidationFailed with every error found."""
        kb = cls.scan(settings)
        if kb.errors:
            raise ValidationFailed(kb.errors)
        return kb

    @classmethod
    def scan(cls, settings: Settings) -> KnowledgeBase:
        """Load the KB and collect every error and warning without raising."""
        kb = cls(settings=settings, warnings=list(settings.warnings))
        ctx = settings.context()
        if not settings.docs_dir.is_dir():
            kb.errors.append(
                ArticleError(display_path(settings.docs_dir), 1, "docs_dir", "no such folder")
            )
            return kb
        for article, problems in read_cached(list(iter_markdown(settings.docs_dir)), settings, ctx):
            kb.files_checked += 1
            for problem in problems:
                (kb.errors if problem.is_error else kb.warnings).append(problem)
            if article is not None:
                kb.articles.append(article)
        kb._index()
        for problem in [*docs_problems(settings), *cross_check(kb)]:
            (kb.errors if problem.is_error else kb.warnings).append(problem)
        kb.errors.sort()
        kb.warnings.sort()
        return kb

    # -- queries -------------------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        """Return the article with this id, or None."""
        return self.by_id.get(article_id)

    def public(self) -> list[Article]:
        """Articles that belong on the public site."""
        return [a for a in self.articles if a.is_public]

    def visible(self, internal: bool = False) -> list[Article]:
        """Articles a customer (or, with internal=True, an agent) may see: published ones."""
        return [a for a in self.articles if a.is_public or (internal and a.is_live)]

    def translations(self, article: Article) -> dict[str, Article]:
        """All language versions of an article (itself included), keyed by language."""
        group = self._groups().get(article.source_id, [article])
        return {a.lang: a for a in sorted(group, key=lambda a: a.translation_of is not None)}

    def _groups(self) -> dict[str, list[Article]]:
        groups: dict[str, list[Article]] = defaultdict(list)
        for a in self.articles:
            groups[a.source_id].append(a)
        return groups

    def path_of(self, article: Article) -> Path:
        """Absolute path of an article's file."""
        return self.settings.docs_dir / article.rel_path

    def display(self, article: Article) -> str:
        """The article's path as shown in messages."""
        return shown_path(self.settings.docs_dir, article.rel_path)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)


# -- checks across articles ------------------------------------------------------------------
def cross_check(kb: KnowledgeBase) -> Iterable[ArticleError]:
    """Checks that need the whole KB: ids, related, translations and links."""
    ids = sorted(kb.by_id)
    first: dict[str, Article] = {}
    for a in kb.articles:
        if a.id in first:
            other = first[a.id]
            yield _err(
                kb,
                a,
                "id",
                f"duplicate id '{a.id}' (also used by {kb.display(other)}:{other.line_of('id')})",
            )
        else:
            first[a.id] = a
    first_translation: dict[tuple[str, str], Article] = {}
    for a in kb.articles:
        if a.translation_of:
            first_translation.setdefault((a.translation_of, a.lang), a)
    for a in kb.articles:
        for i, rid in enumerate(a.related):
            line = a.line_of("related", i)
            if rid == a.id:
                yield ArticleError(
                    kb.display(a), line, "related", "an article cannot be related to itself"
                )
            elif rid not in kb.by_id:
                yield ArticleError(
                    kb.display(a),
                    line,
                    "related",
                    f"no article with id '{rid}'" + did_you_mean(rid, ids),
                )
        yield from _check_translation(kb, a, ids, first_translation)
        yield from _check_links(kb, a)
        if kb.settings.categories and a.status != "archived" and not a.category:
            yield ArticleError(
                kb.display(a),
                a.line_of("title"),
                "category",
                "no category: the site lists it under none; add one of: "
                + ", ".join(sorted(kb.settings.categories)),
                severity="warning",
            )
    yield from _check_aliases(kb)


def _check_translation(
    kb: KnowledgeBase, a: Article, ids: list[str], first: dict[tuple[str, str], Article]
) -> Iterator[ArticleError]:
    sid = a.translation_of
    if not sid:
        return
    src = kb.by_id.get(sid)
    if src is None:
        yield _err(kb, a, "translation_of", f"no article with id '{sid}'" + did_you_mean(sid, ids))
    elif src is a:
        yield _err(kb, a, "translation_of", "an article cannot be a translation of itself")
    elif src.translation_of:
        yield _err(
            kb,
            a,
            "translation_of",
            f"'{sid}' is itself a translation of '{src.translation_of}'; name that source",
        )
    elif src.lang == a.lang:
        yield _err(
            kb,
            a,
            "translation_of",
            f"'{sid}' is in the same language ({a.lang}); a translation needs another language",
        )
    else:
        earlier = first[(sid, a.lang)]
        if earlier is not a:
            yield _err(
                kb,
                a,
                "translation_of",
                f"'{sid}' already has a {a.lang} translation: {kb.display(earlier)}",
            )


def _check_links(kb: KnowledgeBase, a: Article) -> Iterator[ArticleError]:
    base = posixpath.dirname(a.rel_path)
    for line, target in links(a.body, a.body_line):
        if not target or "://" in target or target.startswith(("#", "mailto:", "tel:", "/")):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path.endswith(".md"):
            continue
        resolved = posixpath.normpath(posixpath.join(base, path))
        other = kb.by_path.get(resolved)
        if other is None:
            yield ArticleError(
                kb.display(a),
                line,
                "links",
                f"broken link to '{target}': no such article" + _nearest(kb, base, resolved),
            )
        elif a.is_public and not other.is_public:
            yield ArticleError(
                kb.display(a),
                line,
                "links",
                f"links to '{target}', which customers cannot open ({other.audience}, "
                f"{other.status}): link a public article, or make this one internal",
            )
    yield from include_problems(a, kb.by_path, kb.settings)


def _check_aliases(kb: KnowledgeBase) -> Iterator[ArticleError]:
    """An alias may not be a live article's URL, nor an alias of another article."""
    live = [a for a in kb.articles if a.is_live]
    pages = {url_key(a.url): a for a in live}
    claimed: dict[str, tuple[Article, int]] = {}
    for a in live:
        for i, alias in enumerate(a.aliases):
            key = url_key(alias)
            line = a.line_of("aliases", i)
            page = pages.get(key)
            earlier = claimed.setdefault(key, (a, i))
            if page is a:
                message = f"'{alias}' is this article's own URL"
            elif page is not None:
                message = (
                    f"'{alias}' is the URL of {kb.display(page)}: "
                    "a live article's page cannot redirect"
                )
            elif earlier[0] is not a:
                other, j = earlier
                message = (
                    f"'{alias}' is also an alias of {kb.display(other)}:"
                    f"{other.line_of('aliases', j)}: an old URL can redirect to one article"
                )
            elif earlier[1] != i:
                message = f"'{alias}' is listed twice"
            else:
                continue
            yield ArticleError(kb.display(a), line, "aliases", message)


def _nearest(kb: KnowledgeBase, base: str, resolved: str) -> str:
    """` (did you mean 'x.md'?)` for the article file a broken link most likely meant."""
    stem = posixpath.basename(resolved)
    folder = posixpath.dirname(resolved)
    # the same folder first, then files of the same name anywhere: a typo, or a moved file
    near = [p for p in kb.by_path if posixpath.dirname(p) == folder]
    hint = did_you_mean(stem, [posixpath.basename(p) for p in near])
    if hint:
        name = hint.split("'")[1]
        return f" (did you mean '{posixpath.relpath(posixpath.join(folder, name), base or '.')}'?)"
    moved = [p for p in kb.by_path if posixpath.basename(p) == stem]
    if len(moved) == 1:
        return f" (did you mean '{posixpath.relpath(moved[0], base or '.')}'?)"
    return ""


def _err(kb: KnowledgeBase, a: Article, fld: str, message: str) -> ArticleError:
    return ArticleError(kb.display(a), a.line_of(fld), fld, message)
