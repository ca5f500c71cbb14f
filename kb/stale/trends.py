"""Tickets per article per month for the reports: the top series and their trend in words."""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NO_ARTICLE = "(no good article)"


@dataclass(frozen=True)
class Series:
    """One article's tickets per month over the report's months."""

    article: str  # article id, or NO_ARTICLE for the tickets no article answered
    values: list[int]
    total: int
    trend: str  # e.g. "rising: 3 → 12 a month"


def partial_month(months: list[str], today: str) -> str | None:
    """The last month when it is today's month and not over yet (drawn dashed)."""
    return months[-1] if months and _elapsed(months[-1], today) < 1 else None


def _elapsed(month: str, today: str) -> float:
    """The share of `month` gone by `today`: 1 for a month that is over."""
    try:
        day = dt.date.fromisoformat(today)
    except ValueError:
        return 1.0
    if month != today[:7]:
        return 1.0
    return day.day / calendar.monthrange(day.year, day.month)[1]


def judged(values: list[int], months: list[str], today: str) -> list[float]:
    """The values a trend is told from: a month still running counts pro rata from its middle
    on (3 tickets by the 20th of a 30-day month count 4.5) and is left out before that."""
    share = _elapsed(months[-1], today) if months else 1.0
    if share >= 1:
        return [float(v) for v in values]
    if share < 0.5:
        return [float(v) for v in values[:-1]]
    return [*map(float, values[:-1]), values[-1] / share]


def trend(values: list[float]) -> str:
    """The trend of a monthly series in words: compares the first third with the last third."""
    if len(values) < 3:
        return "too few months to tell a trend"
    k = max(1, len(values) // 3)
    first, last = statistics.fmean(values[:k]), statistics.fmean(values[-k:])
    if last >= first * 1.5 and last - first >= 2:
        return f"rising: {_num(first)} → {_num(last)} a month"
    if first >= last * 1.5 and first - last >= 2:
        return f"falling: {_num(first)} → {_num(last)} a month"
    mean = statistics.fmean(values)
    return "steady: fewer than 1 a month" if mean < 1 else f"steady: about {_num(mean)} a month"


def _num(x: float) -> str:
    """A mean in words: whole numbers from 10, else one decimal ("2.5", "4")."""
    return str(round(x)) if x >= 10 else f"{x:.1f}".removesuffix(".0")


def months_of(kcs: Mapping[str, Any] | None) -> list[str]:
    """The dated months of the ticket window, oldest first."""
    if not kcs:
        return []
    return [str(m["month"]) for m in kcs.get("by_month") or [] if m["month"] != "unknown"]


def top_series(kcs: Mapping[str, Any] | None, today: str, top: int = 6) -> list[Series]:
    """The `top` most reused articles' monthly series, then the tickets with no good article."""
    months = months_of(kcs)
    if not kcs or not months:
        return []
    out = []
    for r in (kcs.get("reuse") or [])[:top]:
        per = (kcs.get("article_months") or {}).get(r["article"], {})
        values = [int(per.get(m, 0)) for m in months]
        told = trend(judged(values, months, today))
        out.append(Series(str(r["article"]), values, int(r["tickets"]), told))
    unlinked = {m["month"]: int(m["tickets"]) - int(m["linked"]) for m in kcs["by_month"]}
    values = [unlinked.get(m, 0) for m in months]
    if sum(values):
        out.append(Series(NO_ARTICLE, values, sum(values), trend(judged(values, months, today))))
    return out
