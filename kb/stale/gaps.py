"""Content gaps: clusters of the tickets the suggester found no good article for, per language.

Clustering uses scikit-learn (imported inside the functions): TF-IDF over stemmed words, per
language, then average-linkage clustering on cosine distance with a distance threshold, so the
number of gaps is not fixed in advance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
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
MAX_CONTRAST = 50_000  # most recent tickets per language that gap terms are contrasted with
MIN_TERM_SHARE = 0.4  # a gap's term occurs in at least this share of its tickets
MIN_TERM_SCORE = 1 / 3  # a term scoring under this share of the best term's is left out
SUBJECT_BASE = 0.25  # weight of a term no subject line holds (one every subject holds: 1.25)
MAX_TERMS = 8


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


def _pairs(text: str, lang: str) -> list[tuple[str, str]]:
    """(stem, word) of each word of a ticket that says something: stop words and greetings out."""
    from kb.search.analysis import Analyzer

    an = _ANALYZERS.get(lang) or _ANALYZERS.setdefault(lang, Analyzer(lang))
    skip = STOPWORDS.get(lang, frozenset()) | TICKET_WORDS.get(lang, set())
    return [
        (an.norm(w), w)
        for w in WORD.findall(text.lower())
        if w not in skip and not an.is_stopword(w)
    ]


def _tokens(text: str, lang: str, surface: dict[str, Counter[str]]) -> list[str]:
    out = []
    for stem, word in _pairs(text, lang):
        surface[stem][word] += 1
        out.append(stem)
    return out


_ANALYZERS: dict[str, Any] = {}


def find_gaps(
    matches: Sequence[Match], *, distance: float = DISTANCE, min_size: int = MIN_SIZE
) -> list[Gap]:
    """Cluster the tickets the suggester abstained on, per language; biggest gaps first."""
    by_lang: dict[str, list[Match]] = defaultdict(list)
    every: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        every[m.lang].append(m)
        if m.abstained:
            by_lang[m.lang].append(m)

    def recent(ms: list[Match], cap: int) -> list[Match]:
        return sorted(ms, key=lambda m: (m.day or dt.date.min, m.ticket.id))[-cap:]

    return cluster_gaps(
        {lang: recent(ms, MAX_PER_LANG) for lang, ms in by_lang.items()},
        {lang: [m.ticket.text for m in recent(ms, MAX_CONTRAST)] for lang, ms in every.items()},
        distance=distance,
        min_size=min_size,
    )


def cluster_gaps(
    unanswered: Mapping[str, Sequence[Match]],
    recent: Mapping[str, Sequence[str]],
    *,
    distance: float = DISTANCE,
    min_size: int = MIN_SIZE,
) -> list[Gap]:
    """Gaps from the most recent unanswered tickets per language (oldest first), their terms
    contrasted with the language's most recent ticket texts (kb.stale.tally keeps both)."""
    gaps: list[Gap] = []
    for lang in sorted(unanswered):
        found = _cluster(list(unanswered[lang]), lang, distance, min_size)
        if found:
            contrast = _doc_freq(recent.get(lang, ()), lang)
            for g, docs, subjects in found:
                g.terms = characteristic_terms(docs, contrast, lang, subjects) or g.terms
                gaps.append(g)
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


def _doc_freq(texts: Sequence[str], lang: str) -> tuple[Counter[str], int]:
    """In how many of these tickets each stem occurs, and how many tickets there are."""
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(_tokens(text, lang, surface)))
    return df, len(texts)


def characteristic_terms(
    docs: Sequence[Sequence[tuple[str, str]]],
    contrast: tuple[Counter[str], int],
    lang: str,
    subjects: Sequence[frozenset[str]] = (),
) -> list[str]:
    """A gap's words that set it apart: common in its tickets, rare in the window's others.

    `docs` are the gap's tickets as (stem, surface word) token lists; `contrast` the document
    frequency of each stem over every ticket of the language in the window (the gap's included).
    A term must occur in at least 40% of the gap's tickets (and two), be at least twice as
    common there as in the other tickets, and not be a stop word (stopwords-iso and Snowball,
    as kb.suggest uses). Terms are ranked by share × log(share / share elsewhere) × (1/4 + the
    share of the gap's subject lines that hold it): the subject names the topic, the body tells
    the story ("gift wrapping", not "my sister" or "straight to her"). A term under a third of
    the best one's score is left out; the top two stand in the order customers write them.
    `subjects` are the stems of each ticket's subject line (none: every term counts the same).
    """
    from kb.suggest.evidence import stopwords

    df_all, n_all = contrast
    size = len(docs)
    inside: Counter[str] = Counter()
    position: Counter[str] = Counter()  # summed first position, as a share of the ticket
    words: dict[str, Counter[str]] = defaultdict(Counter)
    in_subject: Counter[str] = Counter()
    for stems in subjects:
        in_subject.update(stems)
    for doc in docs:
        first: dict[str, float] = {}
        for k, (stem, word) in enumerate(doc):
            first.setdefault(stem, k / len(doc))
            words[stem][word] += 1
        inside.update(list(first))
        position.update(first)
    stop = stopwords(lang)
    least = max(2, math.ceil(size * MIN_TERM_SHARE))
    n_out = max(n_all - size, 0)
    scored: list[tuple[float, float, str]] = []
    for stem, n_in in inside.items():
        word = words[stem].most_common(1)[0][0]
        if n_in < least or word in stop or stem in stop:
            continue
        share = n_in / size
        elsewhere = (max(df_all[stem] - n_in, 0) + 0.5) / (n_out + 1)
        if share < 2 * elsewhere:
            continue
        topical = SUBJECT_BASE + in_subject[stem] / size
        score = round(share * math.log(share / elsewhere) * topical, 9)
        scored.append((-score, position[stem] / n_in, word))
    scored.sort()
    kept = [t for t in scored if t[0] <= scored[0][0] * MIN_TERM_SCORE][:MAX_TERMS]
    kept[:2] = sorted(kept[:2], key=lambda t: t[1])
    return [word for _, _, word in kept]


def _cluster(
    ms: list[Match], lang: str, distance: float, min_size: int
) -> list[tuple[Gap, list[list[tuple[str, str]]], list[frozenset[str]]]]:
    if len(ms) < min_size:
        return []
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    surface: dict[str, Counter[str]] = defaultdict(Counter)
    pairs = [_pairs(m.ticket.text, lang) for m in ms]
    docs = [[stem for stem, _ in p] for p in pairs]
    for p in pairs:
        for stem, word in p:
            surface[stem][word] += 1
    if sum(1 for d in docs if d) < min_size:
        return []
    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=2, dtype=np.float32)
    try:
        x = vec.fit_transform(docs)
    except ValueError:  # no term in two tickets: nothing clusters
        return []
    # one float32 n x n matrix, changed in place (n is at most MAX_PER_LANG), then its upper half
    dist = (x @ x.T).toarray()
    np.subtract(np.float32(1.0), dist, out=dist)
    np.clip(dist, 0.0, 2.0, out=dist)
    empty = np.asarray(x.sum(axis=1)).ravel() == 0
    dist[empty, :] = 2.0
    dist[:, empty] = 2.0
    np.fill_diagonal(dist, 0.0)
    condensed = squareform(dist, checks=False)
    del dist
    # average linkage, merged while below `distance` (fcluster's t keeps merges at or below it)
    tree = linkage(condensed, method="average")
    del condensed
    labels = fcluster(tree, t=float(np.nextafter(distance, 0.0)), criterion="distance")
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
            (
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
                ),
                [pairs[i] for i in idx],
                [frozenset(stem for stem, _ in _pairs(ms[i].ticket.subject, lang)) for i in idx],
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
