"""kb stale on KBs built like real help centres: stubs, platform variants, translations, few tickets."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from kb.authoring.drafts import gap_draft
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.stale.findings import Context, Finding, Limits
from kb.stale.gaps import find_gaps
from kb.stale.matching import Match
from kb.stale.rules import run_rules
from kb.stale.run import analyse, article_vectors
from kb.stale.unused import needed_per_article
from kb.suggest.embedders import HashEmbedder
from kb.suggest.tickets import Ticket
from tests.conftest import MakeKB

TODAY = dt.date(2026, 11, 20)
BASE = {"type": "solution", "lang": "en", "owner": "ana", "reviewed": "2026-10-01"}
STEPS = """## Issue

You want to export your saved passwords to a file, to keep a copy or move to another manager.

## Resolution

1. Open the vault and select **Settings**, then **Export vault**.
2. Choose the file format: encrypted JSON keeps your items safe, CSV can be read by anyone.
3. Enter your master password to confirm and pick the folder the file is saved to.
4. Store the file somewhere safe and delete it once you have imported it elsewhere.
"""
SOP = "".join(
    f"## {h}\n\n1. Text.\n2. More.\n\n"
    for h in ("Purpose", "Scope", "Definitions", "Procedure", "Escalation")
)
STUB = (  # 29 words: the kind of page an import brings in by the dozen
    "Brightcart news and offers: follow us, read our blog and get our newsletter. We post about "
    "new products, deals, delivery times and changes to the shop every week.\n"
)


def meta(aid: str, title: str, **extra: Any) -> dict[str, Any]:
    """Front matter of a live, owned, reviewed article."""
    return {"id": aid, "title": title, **BASE, **extra}


def _kb(config: Path) -> KnowledgeBase:
    return KnowledgeBase.load(Settings.load(config))


def _rule(found: list[Finding], rule: str) -> list[Finding]:
    return [f for f in found if f.rule == rule]


def _match(n: int, linked: str | None, lang: str = "en", text: str = "x") -> Match:
    ticket = Ticket(f"T-{n}", "", text, created=f"2026-{1 + n % 10:02d}-01", lang=lang)
    top = ((linked, 0.9),) if linked else (("a0", 0.1),)
    return Match(ticket, dt.date(2026, 1 + n % 10, 1), lang, linked is None, top)


# -- near-duplicates --------------------------------------------------------------------------------
def _help_centre(make_kb: MakeKB) -> Path:
    """Stubs, a desktop/mobile pair, an app-version pair, an internal copy and one real duplicate."""
    files: dict[str, Any] = {
        "en/follow-social.md": (meta("follow-social", "Follow Brightcart on Social"), STUB),
        "en/get-newsletter.md": (meta("get-newsletter", "Get the Brightcart newsletter"), STUB),
        "en/contact-us.md": (meta("contact-us", "Contact us"), STUB + "Or write to us.\n"),
        "en/export-desktop.md": (meta("export-desktop", "Export your vault on desktop"), STEPS),
        "en/export-mobile.md": (
            meta("export-mobile", "Export your vault on mobile"),
            STEPS.replace("select", "tap"),
        ),
        "en/export-app-4.md": (
            meta(
                "export-app-4", "Export your vault", products=[{"name": "App", "versions": ["4"]}]
            ),
            STEPS + "\nOn version 4 the menu is called **Tools**.\n",
        ),
        "en/export-app-5.md": (
            meta(
                "export-app-5", "Export your vault", products=[{"name": "App", "versions": ["5"]}]
            ),
            STEPS + "\nOn version 5 the menu is called **Settings**.\n",
        ),
        "en/export-agents.md": (
            meta("export-agents", "Export your vault", audience="internal"),
            STEPS + "\nAgents: never ask for the master password.\n",
        ),
        "en/save-vault-copy.md": (meta("save-vault-copy", "Save a copy of your vault"), STEPS),
        "en/export-vault.md": (meta("export-vault", "Export your vault"), STEPS),
    }
    return make_kb(files, kb_options={"model": "hash"})


def test_stubs_and_deliberate_variants_are_not_near_duplicates(
    make_kb: MakeKB, tmp_path: Path
) -> None:
    config = _help_centre(make_kb)
    kb = _kb(config)
    vectors = article_vectors(kb, HashEmbedder(), tmp_path / "cache")
    cos = {(a, b): float(vectors[a] @ vectors[b]) for a in vectors for b in vectors}
    # the false alarms are there to be made: stubs and variants are as alike as the duplicate
    assert cos["follow-social", "get-newsletter"] > 0.92
    assert cos["export-desktop", "export-mobile"] > 0.92
    assert (
        cos["export-app-4", "export-app-5"] > 0.92 and cos["export-agents", "export-vault"] > 0.92
    )
    found = _rule(run_rules(Context(kb=kb, today=TODAY, vectors=vectors)), "near-duplicate")
    pairs = sorted((f.article, f.evidence["other"]) for f in found)
    assert pairs == [("save-vault-copy", "export-vault")]
    f = found[0]
    assert f.severity == "warning" and f.evidence["cosine"] == 0.954
    assert "(cosine 0.95, 0.92 or more counts in en; 75 and 75 words, same products" in f.message


def test_near_duplicate_pairs_are_ranked_and_capped(make_kb: MakeKB) -> None:
    files = {f"en/a{i}.md": (meta(f"a{i}", f"Article {i}"), STEPS) for i in range(20)}
    kb = _kb(make_kb(files))
    rng = np.random.default_rng(3)
    base = rng.normal(size=64)
    vectors = {f"a{i}": rng.normal(size=64) for i in range(8, 20)}  # unrelated articles
    vectors = {k: v / np.linalg.norm(v) for k, v in vectors.items()}
    for i in range(8):  # all alike, a0-a1 the closest pair, then a0-a2 ...
        v = base + rng.normal(size=64) * 0.02 * (1 + i)
        vectors[f"a{i}"] = v / np.linalg.norm(v)
    ctx = Context(kb=kb, today=TODAY, vectors=vectors, limits=Limits(duplicate_max_pairs=5))
    found = _rule(run_rules(ctx), "near-duplicate")
    warnings = [f for f in found if f.severity == "warning"]
    assert len(warnings) == 5
    cosines = [f.evidence["cosine"] for f in warnings]
    assert cosines == sorted(cosines, reverse=True)
    assert (warnings[0].article, warnings[0].evidence["other"]) == ("a1", "a0")
    (summary,) = [f for f in found if f.severity == "info"]
    assert summary.article is None
    assert summary.evidence["pairs"] == 28 and summary.evidence["left_out"] == 23
    assert summary.message.startswith("23 more near-duplicate pairs left out: the 5 closest")


def test_a_model_that_puts_a_language_close_together_needs_a_closer_pair(make_kb: MakeKB) -> None:
    files = {f"nl/a{i}.md": (meta(f"a{i}", f"Artikel {i}", lang="nl"), STEPS) for i in range(8)}
    kb = _kb(make_kb(files))
    rng = np.random.default_rng(5)
    base = rng.normal(size=64) * 2.2
    vectors = {}
    for i in range(8):  # every pair about 0.82, as multilingual-e5 puts Dutch articles
        v = base + rng.normal(size=64)
        vectors[f"a{i}"] = v / np.linalg.norm(v)
    vectors["a7"] = vectors["a6"] * 0.97 + rng.normal(size=64) * 0.005
    vectors["a7"] /= np.linalg.norm(vectors["a7"])
    sims = [float(vectors[f"a{i}"] @ vectors[f"a{j}"]) for i in range(6) for j in range(i)]
    assert 0.75 < float(np.median(sims)) < 0.9 and max(sims) >= 0.85
    found = _rule(run_rules(Context(kb=kb, today=TODAY, vectors=vectors)), "near-duplicate")
    assert [(f.article, f.evidence["other"]) for f in found] == [("a7", "a6")]
    assert found[0].evidence["threshold"] > 0.92


# -- unused ------------------------------------------------------------------------------------------
def _translated_kb(make_kb: MakeKB, extra: int) -> KnowledgeBase:
    """One article in en, nl and sv, a used article, an SOP, and `extra` more articles."""
    files: dict[str, Any] = {
        "en/export.md": (meta("export", "Export your vault"), STEPS),
        "nl/export.md": (
            meta("export-nl", "Je kluis exporteren", lang="nl", translation_of="export"),
            STEPS,
        ),
        "sv/export.md": (
            meta("export-sv", "Exportera valvet", lang="sv", translation_of="export"),
            STEPS,
        ),
        "en/escalate.md": (
            meta("escalate", "Escalate a lost parcel", type="sop", department="Support"),
            SOP,
        ),
    }
    for i in range(extra):
        files[f"en/a{i}.md"] = (meta(f"a{i}", f"Article {i}"), STEPS)
    return _kb(make_kb(files))


def test_a_sparse_window_stays_silent_and_says_so_once(make_kb: MakeKB) -> None:
    kb = _translated_kb(make_kb, 179)  # 180 translation groups (the SOP is exempt)
    matches = [_match(n, f"a{n % 30}") for n in range(40)]
    found = _rule(run_rules(Context(kb=kb, today=TODAY, matches=matches)), "unused")
    assert len(found) == 1
    note = found[0]
    need = needed_per_article(180, 0.05)
    assert note.article is None and note.severity == "info" and note.evidence["undecided"]
    assert note.evidence["articles"] == 180 and note.evidence["linked_tickets"] == 40
    assert note.evidence["needed_linked_tickets"] == int(np.ceil(need * 180)) == 1557
    assert note.message.startswith(
        "40 tickets in the window (40 linked to an article) for 180 articles are too few to tell "
        "which articles are unused: need about 1,557 linked tickets, 8.6 per article"
    )


def test_unused_judges_a_translation_with_its_source(make_kb: MakeKB) -> None:
    kb = _translated_kb(make_kb, 9)  # 10 groups: export (en, nl, sv) and a0..a8
    used = [f"a{i}" for i in range(8)]  # a8 and the export group get no ticket
    matches = [_match(n, used[n % 8]) for n in range(80)]
    matches += [_match(900 + n, None) for n in range(10)]  # no good article: not usage
    found = _rule(run_rules(Context(kb=kb, today=TODAY, matches=matches)), "unused")
    assert [(f.article, f.evidence["translations"]) for f in found] == [
        ("a8", []),
        ("export", ["export-nl", "export-sv"]),
    ]
    export = found[1]
    assert export.evidence["per_article"] == 8.0 and export.evidence["articles"] == 10
    assert "went to it or its translations (nl, sv): at 8.0 per article" in export.message
    assert "chance of under 1%" in export.message


def test_a_ticket_on_a_translation_counts_for_its_source(make_kb: MakeKB) -> None:
    kb = _translated_kb(make_kb, 1)  # 2 groups
    matches = [_match(n, "a0") for n in range(20)] + [_match(99, "export-sv", lang="sv")]
    found = _rule(run_rules(Context(kb=kb, today=TODAY, matches=matches)), "unused")
    assert found == []


# -- gaps and the draft ------------------------------------------------------------------------------
GIFT = [  # as the sample's tickets are: one question, and the same story in every ticket
    ("Gift wrapping", "Do you offer gift wrapping? I want to send the rug straight to my sister."),
    (
        "Gift wrapping",
        "Hi, do you offer gift wrapping? I want to send a lamp straight to my sister.",
    ),
    ("Gift wrapping?", "Can you do gift wrapping? It goes straight to my sister, thanks."),
    ("Gift wrapping", "Do you offer gift wrapping for a mirror? Send it straight to my sister."),
]


def test_gap_terms_and_draft_come_from_characteristic_words() -> None:
    matches = [_match(n, None) for n in range(len(GIFT))]
    matches = [
        Match(Ticket(m.ticket.id, subject, body, lang="en"), m.day, "en", True, m.top)
        for m, (subject, body) in zip(matches, GIFT, strict=True)
    ]
    common = "My order did not arrive, the driver said it was delivered."
    matches += [_match(100 + n, "track", text=common) for n in range(35)]
    matches += [_match(200 + n, "cards", text="My gift card has no balance.") for n in range(5)]
    (gap,) = find_gaps(matches)
    assert gap.id == "gap-gift-wrapping" and gap.size == 4
    assert gap.terms == ["gift", "wrapping"]  # not "sister", "straight", "send", "offer"
    draft = gap_draft(gap)
    assert draft["id"] == "gift-wrapping" and draft["meta"]["tags"] == ["gift", "wrapping"]


def test_a_gap_without_subjects_still_gets_its_common_words() -> None:
    texts = ["How do I book an assembly service for a bed?", "Assembly service for my new bed?"]
    texts += ["Is there an assembly service? My sister needs help with a bed."]
    matches = [_match(n, None, text=t) for n, t in enumerate(texts)]
    matches += [_match(100 + n, "track", text="Where is my bed order?") for n in range(20)]
    (gap,) = find_gaps(matches)
    assert gap.terms[:2] == ["assembly", "service"] and "sister" not in gap.terms
    assert gap_draft(gap)["id"] == "assembly-service"


# -- the whole pipeline ------------------------------------------------------------------------------
def test_analyse_on_a_small_help_centre_with_few_tickets(make_kb: MakeKB) -> None:
    config = _help_centre(make_kb)
    tickets = config.parent / "tickets.csv"
    with tickets.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "created", "subject", "body", "language"])
        for n in range(6):
            w.writerow([f"T-{n}", "2026-10-01T09:00:00Z", "Export", "How do I export my vault to a file?", "en"])  # fmt: skip
    settings = Settings.load(config)
    res = analyse(settings, KnowledgeBase.load(settings), tickets_file=tickets, today=TODAY)
    unused = _rule(res.findings, "unused")
    assert [(f.article, f.evidence.get("undecided")) for f in unused] == [(None, True)]
    assert "6 tickets in the window" in unused[0].message
    dups = _rule(res.findings, "near-duplicate")
    assert sorted((f.article, f.evidence["other"]) for f in dups) == [
        ("save-vault-copy", "export-vault")
    ]
