"""The agents' home (the internal site): what changed lately and what falls due for review."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from kb.core.article import Article
from kb.core.schema import DEFAULT_REVIEW_EVERY, Duration
from kb.site.i18n import format_date

CHANGED_COUNT = 8  # articles under "Recently changed"
DUE_COUNT = 10  # articles under "Due for review"
DUE_AHEAD_DAYS = 30  # "due" means within this many days of the build, or overdue (as kb stale)


def last_changed(
    articles: Iterable[Article], docs_dir: Path, committed: Mapping[str, dt.date]
) -> dict[str, dt.date]:
    """Each article's last change: its last commit, else its file's date (a checkout without git)."""
    out = {}
    for a in articles:
        day = committed.get(a.rel_path)
        if day is None:
            try:
                day = dt.date.fromtimestamp(os.stat(docs_dir / a.rel_path).st_mtime)
            except OSError:
                continue
        out[a.rel_path] = day
    return out


def review_due(a: Article, default: Duration | None) -> dt.date | None:
    """When `a` is next due for review (its interval, the KB's default, else a year); None undated."""
    if a.reviewed is None:
        return None
    return (a.review_every or default or DEFAULT_REVIEW_EVERY).after(a.reviewed)


def agents_home(
    articles: Iterable[Article],
    lang: str,
    today: dt.date,
    changed: Mapping[str, dt.date],
    default_every: Duration | None,
    card: Callable[[Article], dict[str, Any]],
    s: Mapping[str, str],
) -> dict[str, Any]:
    """The internal home's lists for `lang`: recently changed, and due (or overdue) for review."""
    mine = [a for a in articles if a.lang == lang and a.is_live]
    recent = sorted(
        (a for a in mine if a.rel_path in changed),
        key=lambda a: (-changed[a.rel_path].toordinal(), a.title),
    )[:CHANGED_COUNT]
    horizon = today + dt.timedelta(days=DUE_AHEAD_DAYS)
    dues = {a.rel_path: day for a in mine if (day := review_due(a, default_every)) is not None}
    due = sorted(
        (a for a in mine if a.rel_path in dues and dues[a.rel_path] <= horizon),
        key=lambda a: (dues[a.rel_path], a.title),
    )

    def noted(a: Article, template: str, day: dt.date) -> dict[str, Any]:
        return {**card(a), "note": template.format(date=format_date(day, lang))}

    def due_card(a: Article) -> dict[str, Any]:
        day = dues[a.rel_path]
        late = day < today
        out = noted(a, s["review_overdue" if late else "review_due"], day)
        return {**out, "overdue": late, "owner": a.owner or ""}

    return {
        "changed": [noted(a, s["changed_on"], changed[a.rel_path]) for a in recent],
        "due": [due_card(a) for a in due[:DUE_COUNT]],
        "due_more": max(0, len(due) - DUE_COUNT),
    }
