"""Content gaps: clusters of the tickets the suggester found no good article for, per language.

Clustering uses scikit-learn (imported inside the functions): TF-IDF over stemmed words, per
language, then average-linkage clustering on cosine distance with a distance threshold, so the
number of gaps is not fixed in advance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kb.core.lang import STOPWORDS
from kb.core.text import slugify

if TYPE_CHECKING:
    from kb.stale.matching import Match

log = logging.getLogger(__name__)
DISTANCE = 0.8  # cosine distance under which tickets join a cluster (average linkage)
MIN_SIZE = 3  # smallest cluster reported as a gap
MAX_PER_LANG = 4000  # most recent unanswered tickets clustered per language (memory is n²)
TICKET_WORDS = {  # greetings and filler that say nothing about the topic
    "en": {
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "regards",
        "brightcart",
        "ordered",
        "bought",
        "good",
        "morning",
        "afternoon",
        "evening",
        "question",
        "quick",
        "please",
        "wondering",
        "lovely",
        "happy",
        "urgent",
        "asap",
        "anyone",
        "someone",
        "know",
        "tell",
    },
    "nl": {
        "hoi",
        "hallo",
        "beste",
        "bedankt",
        "dank",
        "groet",
        "brightcart",
        "besteld",
        "gekocht",
        "goedemiddag",
        "goedemorgen",
        "goedenavond",
        "vraag",
        "jullie",
        "alstublieft",
        "snel",
        "graag",
        "even",
    },
    "sv": {
        "hej",
        "hejsan",
        "tack",
        "hälsningar",
        "brightcart",
        "beställde",
        "köpte",
        "fråga",
        "snabbt",
        "svar",
        "tacksam",
        "kundtjänst",
        "gärna",
    },
}
WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Gap:
    """A cluster of tickets the suggester had no good article for."""

    id: str
    lang: str
    size: int
    terms: list[str]
    tickets: list[str]
    representatives: list[dict[str, str]] = field(default_factory=list)
    first_seen: str = ""
    last_seen: str = ""
    monthly: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see docs/stale.md)."""
        return asdict(self)


def _tokens(text: str, lang: str, surface: dict[str, Counter[str]]) -> list[str]:
    from kb.search.analysis import Analyzer

    an = _ANALYZERS.get(lang) or _ANALYZERS.setdefault(lang, Analyzer(lang))
    skip = STOPWORDS.get(lang, frozenset()) | TICKET_WORDS.get(lang, set())
    out = []
    for w in WORD.findall(text.lower()):
        if w in skip or an.is_stopword(w):
            continue
        stem = an.norm(w)
        surface[stem][w] += 1
        out.append(stem)
    return out


_ANALYZERS: dict[str, Any] = {}


def find_gaps(
    matches: Sequence[Match], *, distance: float = DISTANCE, min_size: int = MIN_SIZE
) -> list[Gap]:
    """Cluster the tickets the suggester abstained on, per language; biggest gaps first."""
    by_lang: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        if m.abstained:
            by_lang[m.lang].append(m)
    gaps: list[Gap] = []
    for lang in sorted(by_lang):
        ms = sorted(by_lang[lang], key=lambda m: (m.day or dt.date.min, m.ticket.id))
        gaps += _cluster(ms[-MAX_PER_LANG:], lang, distance, min_size)
    gaps.sort(key=lambda g: (-g.size, g.lang, g.terms))
    used: set[str] = set()
    for g in gaps:
        base = "gap-" + (
            slugify("-".join(g.terms[:2])) or hashlib.sha1(g.id.encode()).hexdigest()[:6]
        )
        gid, n = base, 2
        while gid in used:
            gid, n = f"{base}-{n}", n + 1
        used.add(gid)
        g.id = gid
    return gaps


def _cluster(ms: list[Match], lang: str, distance: float, min_size: int) -> list[Gap]:
    if len(ms) < min_size:
        return []
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    surface: dict[str, Counter[str]] = defaultdict(Counter)
    docs = [_tokens(m.ticket.text, lang, surface) for m in ms]
    if sum(1 for d in docs if d) < min_size:
        return []
    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=2)
    try:
        x = vec.fit_transform(docs)
    except ValueError:  # no term in two tickets: nothing clusters
        return []
    sims = (x @ x.T).toarray()
    dist = np.clip(1.0 - sims, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    empty = np.asarray(x.sum(axis=1)).ravel() == 0
    dist[empty, :] = 2.0
    dist[:, empty] = 2.0
    np.fill_diagonal(dist, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    ).fit_predict(dist)
    vocab = vec.get_feature_names_out()
    out = []
    for label in sorted(set(labels.tolist())):
        idx = [i for i, lab in enumerate(labels.tolist()) if lab == label and not empty[i]]
        if len(idx) < min_size:
            continue
        centroid = np.asarray(x[idx].mean(axis=0)).ravel()
        order = np.argsort(-centroid, kind="stable")[:8]
        terms = [surface[vocab[k]].most_common(1)[0][0] for k in order if centroid[k] > 0]
        closeness = np.asarray(x[idx] @ centroid).ravel()
        reps = [ms[idx[k]] for k in np.argsort(-closeness, kind="stable")[:3]]
        days = sorted(str(ms[i].day) for i in idx if ms[i].day)
        monthly = Counter(str(ms[i].day)[:7] for i in idx if ms[i].day)
        out.append(
            Gap(
                id=f"{lang}:{' '.join(terms)}",
                lang=lang,
                size=len(idx),
                terms=terms,
                tickets=[ms[i].ticket.id for i in idx],
                representatives=[
                    {
                        "id": m.ticket.id,
                        "subject": m.ticket.subject,
                        "text": _excerpt(m.ticket.body),
                    }
                    for m in reps
                ],
                first_seen=days[0] if days else "",
                last_seen=days[-1] if days else "",
                monthly=dict(sorted(monthly.items())),
            )
        )
    return out


def _excerpt(text: str, size: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1].rsplit(" ", 1)[0] + "…"


MIN_SEARCHES = 3  # a search with no result counts as a gap when its words were searched this often


def search_gaps(
    no_results: Sequence[dict[str, Any]],
    ticket_gaps: Sequence[Gap] = (),
    *,
    min_searches: int = MIN_SEARCHES,
) -> list[dict[str, Any]]:
    """Searches that found nothing, grouped by their words (stemmed, stop words out), per language.

    `no_results` are {"lang", "query", "searches"} rows (kb.server.events): "Refund  policy",
    "refund policies" and "policy refund" are one group. A group searched `min_searches` times
    or more is a gap; `tickets_gap` names a ticket gap of the same language holding its words.
    """
    groups: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for row in no_results:
        lang = row.get("lang") or ""
        surface: dict[str, Counter[str]] = defaultdict(Counter)
        stems = tuple(sorted(set(_tokens(str(row["query"]), lang or "en", surface))))
        if not stems:
            continue
        g = groups.setdefault(
            (lang, stems), {"searches": 0, "queries": Counter(), "surface": defaultdict(Counter)}
        )
        g["searches"] += int(row["searches"])
        g["queries"][row["query"]] += int(row["searches"])
        for stem, words in surface.items():
            g["surface"][stem].update(words)
    out = []
    for (lang, stems), g in groups.items():
        if g["searches"] < min_searches:
            continue
        terms = [g["surface"][s].most_common(1)[0][0] for s in stems]
        near = next(
            (t.id for t in ticket_gaps if t.lang == lang and set(terms) <= set(t.terms)), None
        )
        out.append(
            {
                "id": "search-" + (slugify("-".join(terms[:3])) or "query"),
                "lang": lang or None,
                "searches": g["searches"],
                "terms": terms,
                "queries": [q for q, _ in g["queries"].most_common(5)],
                "tickets_gap": near,
            }
        )
    out.sort(key=lambda g: (-g["searches"], g["lang"] or "", g["terms"]))
    used: set[str] = set()
    for g in out:
        base, n = g["id"], 2
        while g["id"] in used:
            g["id"], n = f"{base}-{n}", n + 1
        used.add(g["id"])
    return out
