"""kb stale on Dask: a LocalCluster of two worker processes gives the same report as one process."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.stale.report import to_data
from kb.stale.run import analyse
from tests.fixtures import stale_kb as F
from tests.test_stale import _make

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
TODAY = "2026-11-20"


def realistic_tickets(path: Path, copies: int = 6) -> int:
    """The fixture's planted tickets, each topic asked `copies` times in other words and dates."""
    seed = path.with_suffix(".seed.csv")
    F.write_tickets(seed)
    with seed.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for n in range(copies):
            for r in rows:
                body = r.get("body") or r.get("description") or ""
                extra = ("", " Thanks!", " Any news?", " Please help.")[n % 4]
                key = "body" if "body" in r else "description"
                w.writerow({**r, "id": f"{r['id']}-{n}", key: body + extra})
    return copies * sum(1 for r in rows if r["created"] <= TODAY)


@pytest.fixture(scope="module")
def kb_copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, int]:
    """Two copies of the fixture KB (one per side, so neither answers from the other's cache)."""
    base = tmp_path_factory.mktemp("dask")
    root = base / "one" / "kb"
    root.mkdir(parents=True)
    config = F.build_repo(_make(root))
    tickets = base / "tickets.csv"
    n = realistic_tickets(tickets)
    other = base / "two" / "kb"
    shutil.copytree(root, other, symlinks=True)
    return config, other / "mkdocs.yml", tickets, n


def _data(config: Path, tickets: Path, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = Settings.load(config)
    kb = KnowledgeBase.load(settings)
    res = analyse(settings, kb, tickets_file=tickets, today=F.TODAY, **kw)
    data = to_data(res, len(kb.articles))
    data.pop("tickets_file")
    text = json.dumps(data).replace(str(config.parent.resolve()), "KB")  # paths name the copy
    return json.loads(text), res.stats


def test_dask_local_cluster_gives_the_single_process_report(kb_copies: Any) -> None:
    pytest.importorskip("dask.distributed")
    one, two, tickets, n = kb_copies
    single, single_stats = _data(one, tickets)
    spread, stats = _data(two, tickets, dask="local:2", partition_size=37)
    assert stats["tickets"] == single_stats["tickets"] == n
    # every distinct text answered on the workers (copies in one partition only once)
    assert stats["answered"] >= single_stats["answered"] > 0
    assert stats["answered"] + stats["cached"] <= n
    assert spread == single
    assert {f["rule"] for f in single["findings"]} >= {"ticket-drift", "unused", "content-gap"}
    assert single["kcs"]["tickets"] == n and single["gaps"]
    # the client's answer store now holds them: a second run sends nothing to the workers
    again, stats = _data(two, tickets, dask="local:2")
    assert stats["answered"] == 0 and stats["cached"] == n and again == single


def test_cli_dask_json_equals_the_one_process_json(
    kb_copies: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    one, two, tickets, _ = kb_copies
    fresh = tmp_path / "kb"
    shutil.copytree(two.parent, fresh, symlinks=True, ignore=shutil.ignore_patterns(".kb"))
    argv = ["stale", "--tickets", str(tickets), "--today", TODAY, "--format", "json"]
    assert main([*argv, "-f", str(one)]) == 0
    single = json.loads(capsys.readouterr().out)
    assert main([*argv, "-f", str(fresh / "mkdocs.yml"), "--dask", "local:2"]) == 0
    spread = json.loads(capsys.readouterr().out.replace(str(fresh.resolve()), str(one.parent)))
    assert spread == single


def test_dask_missing_is_one_line(
    kb_copies: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _, tickets, _ = kb_copies
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    code = main(["stale", "-f", str(one), "--tickets", str(tickets), "--dask", "local"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err == 'kb stale: --dask needs dask.distributed: pip install "kb[dask]"'


def test_bad_dask_options_are_one_line(kb_copies: Any, capsys: pytest.CaptureFixture[str]) -> None:
    one, _, tickets, _ = kb_copies
    argv = ["stale", "-f", str(one), "--tickets", str(tickets)]
    assert main([*argv, "--partition-size", "10"]) == 2
    assert capsys.readouterr().err.strip() == "kb stale: --partition-size needs --dask"
    pytest.importorskip("dask.distributed")
    assert main([*argv, "--dask", "local:x"]) == 1
    assert capsys.readouterr().err.strip() == (
        "kb stale: --dask local:x: expected local or local:N (N workers)"
    )
