"""kb stale at volume: lazy ticket reading, streamed figures equal to the list-based ones, the
ticket store (only new tickets answered, no ticket embedded again after an edit), bounded input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import shutil
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from kb.core.collection import KnowledgeBase
from kb.core.errors import KBError
from kb.core.settings import Settings
from kb.stale import tally as tally_module
from kb.stale.drift import ticket_drift
from kb.stale.findings import Context
from kb.stale.kcs import kcs_figures
from kb.stale.matching import Match
from kb.stale.report import render_text, to_data
from kb.stale.run import analyse
from kb.stale.tally import Tally
from kb.suggest import tickets as tickets_module
from kb.suggest.embedders import HashEmbedder
from kb.suggest.tickets import Ticket, TicketStream, read_tickets
from tests.fixtures import stale_kb as F
from tests.test_stale import _make

TODAY = F.TODAY


# -- reading ---------------------------------------------------------------------------------------
def test_csv_multiline_bodies_with_escaped_quotes_stay_whole(tmp_path: Path) -> None:
    bodies = [  # written as ""error 5"": the sniffer took "" for the end of the cell and a quote
        'The app says "error 5"; I tried twice.\nStill "stuck".',
        'He said "hi" twice;\nthen\t"left"',
        '"Quoted" start, a comma\n\n"and" an end',
        "plain",
    ]
    for name, rows in (("one.csv", bodies[:1]), ("all.csv", bodies)):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "created", "subject", "body"])
        for n, body in enumerate(rows):
            w.writerow([f"T{n}", "2026-01-01", f"Subject {n}", body])
        path = tmp_path / name
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        tf = read_tickets(path)
        assert tf.errors == []
        assert [t.body for t in tf.tickets] == rows


def _zendesk(n: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "subject": f"Parcel {i}", "description": f"Where is parcel {i}? " * (i % 7 + 1)}
        for i in range(n)
    ]


def test_json_is_read_piece_by_piece_with_the_same_tickets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _zendesk(40)
    shapes = {
        "list.json": json.dumps(rows, indent=1),
        "zendesk.json": json.dumps({"count": 40, "tickets": rows, "next_page": None}),
        "one.json": json.dumps({"id": 5, "subject": "Only", "body": "one ticket"}),
    }
    whole = {}
    for name, text in shapes.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        whole[name] = read_tickets(tmp_path / name).tickets
    monkeypatch.setattr(tickets_module, "CHUNK", 7)  # every value spans several reads
    for name in shapes:
        assert read_tickets(tmp_path / name).tickets == whole[name], name
    assert len(whole["list.json"]) == len(whole["zendesk.json"]) == 40
    assert [t.id for t in whole["one.json"]] == ["5"]


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"id": 1, "text": "ok"},\n{"id": 2, "text": oops}\n]\n', encoding="utf-8")
    with pytest.raises(KBError) as caught:
        list(TicketStream(path))
    assert str(caught.value).startswith(f"{path.as_posix()}:3: invalid JSON")
    assert "\n" not in str(caught.value)


def test_hostile_files_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tickets_module, "MAX_LINE", 200)
    monkeypatch.setattr(tickets_module, "MAX_RECORD", 300)
    csv_path = tmp_path / "t.csv"
    csv_path.write_text(f"id,body\n1,short\n2,{'x' * 5000}\n3,fine\n", encoding="utf-8", newline="")
    tf = read_tickets(csv_path)
    assert [t.id for t in tf.tickets] == ["1", "3"]
    assert [str(e) for e in tf.errors] == [
        f"{csv_path.as_posix()}:3: line longer than 200 characters"
    ]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(
        '{"id": 1, "text": "a"}\n{"id": 2, "text": "' + "y" * 900 + '"}\n{"id": 3, "text": "c"}\n'
    )
    tf = read_tickets(jsonl)
    assert [t.id for t in tf.tickets] == ["1", "3"] and tf.errors[0].row == 2
    big = tmp_path / "big.json"
    big.write_text('[{"id": 1, "text": "a"},\n{"id": 2, "text": "' + "z" * 900 + '"}]')
    with pytest.raises(KBError, match=r"big\.json:2: a JSON value longer than 300 characters"):
        list(TicketStream(big))


def test_bad_rows_are_counted_beyond_the_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tickets_module, "MAX_ERRORS", 3)
    path = tmp_path / "t.csv"
    path.write_text("id,body\n" + "".join(f",no id {n}\n" for n in range(10)) + "7,ok\n")
    stream = TicketStream(path)
    assert [t.id for t in stream] == ["7"]
    assert stream.error_count == 10 and len(stream.errors) == 3


# -- the same figures as the list-based code -------------------------------------------------------
def _old_kcs(matches: list[Match], kb: KnowledgeBase, gap_ids: set[str]) -> dict[str, Any]:
    """kcs_figures as it was before streaming (kb/stale/kcs.py at 6532333), the reference."""
    total = len(matches)
    linked = [m for m in matches if m.linked]
    reuse: Counter[str] = Counter()
    for m in linked:
        a = kb.get(m.linked or "")
        reuse[a.source_id if a else (m.linked or "")] += 1
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"tickets": 0, "linked": 0})
    per_article_month: dict[str, Counter[str]] = defaultdict(Counter)
    for m in matches:
        month = str(m.day)[:7] if m.day else "unknown"
        months[month]["tickets"] += 1
        if m.linked:
            months[month]["linked"] += 1
            a = kb.get(m.linked)
            per_article_month[a.source_id if a else m.linked][month] += 1
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: {"tickets": 0, "linked": 0})
    for m in matches:
        by_lang[m.lang]["tickets"] += 1
        by_lang[m.lang]["linked"] += int(bool(m.linked))
    return {
        "tickets": total,
        "linked": len(linked),
        "link_rate": round(len(linked) / total, 4) if total else None,
        "known": len(linked),
        "new": total - len(linked),
        "new_in_gaps": sum(1 for m in matches if not m.linked and m.ticket.id in gap_ids),
        "reuse": [{"article": aid, "tickets": n} for aid, n in reuse.most_common()],
        "by_month": [{"month": k, **v} for k, v in sorted(months.items())],
        "by_lang": [{"lang": k, **v} for k, v in sorted(by_lang.items())],
        "article_months": {
            aid: dict(sorted(c.items())) for aid, c in sorted(per_article_month.items())
        },
    }


def _old_drift_means(matches: list[Match], cut: dt.date) -> dict[str, tuple[float, float]]:
    """The before/after mean confidences of the list-based drift rule (statistics.fmean)."""
    out = {}
    for aid in sorted({aid for m in matches for aid, _ in m.top[:2]}):
        top = [m for m in matches if m.best == aid and m.day is not None]
        old = [m.confidence for m in top if m.day is not None and m.day < cut]
        new = [m.confidence for m in top if m.day is not None and m.day >= cut]
        if old and new:
            out[aid] = (statistics.fmean(old), statistics.fmean(new))
    return out


@pytest.fixture(scope="module")
def fixture_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The stale fixture KB in git (model: hash) and its ticket file."""
    root = tmp_path_factory.mktemp("volume") / "kb"
    root.mkdir()
    config = F.build_repo(_make(root))
    F.write_tickets(root / "tickets.csv")
    return config, root / "tickets.csv"


def _random_matches(kb: KnowledgeBase, n: int, seed: int = 3) -> list[Match]:
    rng = random.Random(seed)
    ids = [a.id for a in kb.articles] + ["gone-article"]
    out = []
    for i in range(n):
        top = tuple((aid, round(rng.random(), 3)) for aid in rng.sample(ids, 3))
        day = None if i % 17 == 0 else dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(354))
        text = f"ticket {i % 50} about the Shop app {rng.choice(['4.9', '5.0', '5.1.2'])}"
        t = Ticket(
            f"T-{i % (n - 7)}", "Help", text, str(day or ""), lang=rng.choice(["en", "en", "nl"])
        )
        out.append(Match(t, day, t.lang or "en", rng.random() < 0.3, top))
    return out


def test_streamed_figures_equal_the_list_based_ones(fixture_kb: tuple[Path, Path]) -> None:
    config, _ = fixture_kb
    kb = KnowledgeBase.load(Settings.load(config))
    matches = _random_matches(kb, 600)
    streamed = Tally(kb, TODAY, 90)
    for m in matches:
        streamed.add(m)
    gap_ids = {m.ticket.id for m in matches[::5] if m.abstained}
    gaps = [type("G", (), {"tickets": sorted(gap_ids)})()]
    assert kcs_figures(streamed, kb, gaps) == _old_kcs(matches, kb, gap_ids)  # type: ignore[arg-type]
    cut = TODAY - dt.timedelta(days=90)
    means = _old_drift_means(matches, cut)
    assert means  # the random history gives every article tickets on both sides
    for aid, (before, after) in means.items():
        d = streamed.drift[aid]
        assert (float(d.old) / d.old_n, float(d.new) / d.new_n) == (before, after)
    listed = ticket_drift(Context(kb=kb, today=TODAY, matches=matches))
    folded = ticket_drift(Context(kb=kb, today=TODAY, tally=streamed))
    assert [f.to_dict() for f in folded] == [f.to_dict() for f in listed]
    assert streamed.id_count() == 600 - 7  # ids repeat: T-0 .. T-592
    assert streamed.id_count(["T-1", "T-2", "nope"]) == 2


def _report(config: Path, tickets: Path, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    res = analyse(settings, kb, tickets_file=tickets, today=TODAY, **kw)
    data = to_data(res, len(kb.articles))
    return json.loads(json.dumps(data).replace(str(config.parent), "KB")), res.stats


def _copy(config: Path, to: Path) -> Path:
    shutil.copytree(config.parent, to, symlinks=True, ignore=shutil.ignore_patterns(".kb"))
    return to / "mkdocs.yml"


def test_only_new_tickets_are_answered_and_an_edit_embeds_none(
    fixture_kb: tuple[Path, Path], tmp_path: Path
) -> None:
    config, tickets = fixture_kb
    mine = _copy(config, tmp_path / "kb")
    history = tmp_path / "tickets.csv"
    shutil.copy(tickets, history)
    cold, stats = _report(mine, history, embedder=HashEmbedder())
    assert stats["cached"] == 0 and stats["embedded"] == stats["answered"] > 0
    warm, stats = _report(mine, history, embedder=HashEmbedder())
    assert (stats["answered"], stats["cached"], warm) == (0, stats["tickets"], cold)
    with history.open("a", encoding="utf-8") as fh:
        fh.write("T-5001,2026-11-10T10:00:00Z,Lamp,My lamp flickers after the update,x,en\n")
        fh.write("T-5002,2026-11-11T10:00:00Z,Sofa,The sofa legs do not fit,x,en\n")
    grown, stats = _report(mine, history, embedder=HashEmbedder())
    assert (stats["answered"], stats["embedded"]) == (2, 2)
    assert grown["summary"]["tickets"] == cold["summary"]["tickets"] + 2
    page = mine.parent / "articles" / "en" / "track-order.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nAlso by text message.\n")
    edited, stats = _report(mine, history, embedder=HashEmbedder())
    assert stats["answered"] > 0 and stats["embedded"] == 0  # matched again, from stored vectors
    assert stats["vectors_cached"] >= stats["answered"]
    # the same KB, index and tickets with nothing stored: the same report, every ticket embedded
    Settings.load(mine).caches.tickets.unlink()
    expected, stats = _report(mine, history, embedder=HashEmbedder())
    assert stats["cached"] == 0 and stats["embedded"] == stats["answered"] > 0
    assert edited == expected


def test_a_damaged_store_is_started_afresh(fixture_kb: tuple[Path, Path], tmp_path: Path) -> None:
    config, tickets = fixture_kb
    mine = _copy(config, tmp_path / "kb")
    store = Settings.load(mine).caches.tickets
    store.parent.mkdir(parents=True)
    store.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)  # a torn, foreign file
    data, stats = _report(mine, tickets)
    assert stats["cached"] == 0 and data["summary"]["tickets"] == 42
    again, stats = _report(mine, tickets)
    assert stats["cached"] == 42 and again == data


def test_capped_gap_tickets_are_said_in_the_report(
    fixture_kb: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, tickets = fixture_kb
    mine = _copy(config, tmp_path / "kb")
    monkeypatch.setattr(tally_module, "MAX_PER_LANG", 4)  # 6 gift-wrapping tickets, 4 kept
    settings = Settings.load(mine)
    kb = KnowledgeBase.load(settings)
    res = analyse(settings, kb, tickets_file=tickets, today=TODAY, duplicates=False)
    assert res.notes == [
        "content gaps (en): clustered the 4 most recent of the 6 tickets with no good article "
        "(the cap per language)"
    ]
    assert [g.size for g in res.gaps] == [4]
    assert to_data(res, len(kb.articles))["summary"]["notes"] == res.notes
    assert f"Note: {res.notes[0]}" in render_text(res, len(kb.articles))
