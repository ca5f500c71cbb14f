"""Bounded YAML: alias bombs, deep nesting and huge front matter are one line, fast; messages stay short.

The second half is property-based: random front matter and random ticket files never give a
traceback (only kb's own errors, or a clean result) and always finish within a deadline.
"""

from __future__ import annotations

import csv
import io
import json
import resource
import string
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb.core.collection import KnowledgeBase
from kb.core.configfile import ConfigFile
from kb.core.errors import KBError, SettingsError, ValidationFailed
from kb.core.frontmatter import MAX_DEPTH, parse, show
from kb.core.reading import read_article
from kb.core.schema import Context, Invalid, check_value
from kb.core.settings import Settings
from kb.suggest.cleaning import clean_text
from kb.suggest.tickets import TicketFile, read_tickets
from tests.conftest import REPO

TOO_BIG = "front matter: too big: aliases expand it to more than 10,000 values"


def bomb(levels: int = 14, width: int = 9) -> str:
    """A "billion laughs" front matter: each anchor is a list of `width` aliases of the last."""
    names = [f"laugh_{c}" for c in string.ascii_lowercase]
    lines = ["title: Bomb", f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        items = ", ".join([f"*{names[i - 1]}"] * width)
        lines.append(f"{names[i]}: &{names[i]} [{items}]")
    lines.append(f"tags: [*{names[levels - 1]}]")
    return "---\n" + "\n".join(lines) + "\n---\nBody.\n"


def shared_nest(levels: int, width: int = 9) -> Any:
    """What the bomb's last anchor is, built directly: every level shares one list."""
    value: Any = ["lol"] * width
    for _ in range(levels - 1):
        value = [value] * width
    return value


def _refused(text: str) -> bool:
    """True when parsing `text` reports a problem (a failing assert then prints no value)."""
    return bool(parse(text).problems)


def _one_gigabyte() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # fail fast, not swap


def _settings(root: Path) -> Settings:
    return Settings(root=root, docs_dir=root, languages=("en", "nl", "sv"))


# -- the alias bomb --------------------------------------------------------------------------------
def test_alias_bomb_is_refused_as_one_front_matter_line() -> None:
    text = bomb()
    assert 1400 < len(text) < 1800  # the reported 1.7 KB, 14 levels
    started = time.perf_counter()
    problems = parse(text).problems  # not `fm`: a failing assert would print its whole meta
    assert time.perf_counter() - started < 0.5
    assert problems == [(7, "front matter", TOO_BIG.removeprefix("front matter: "))]


def test_alias_bomb_costs_little_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.md"
    path.write_text(bomb(), encoding="utf-8")
    assert _refused(bomb())  # refused at all (else the read below would not end)
    tracemalloc.start()
    started = time.perf_counter()
    article, problems = read_article(path, _settings(tmp_path))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert article is None and [str(p) for p in problems] == [f"{path.as_posix()}:7: {TOO_BIG}"]
    assert elapsed < 0.5 and peak < 5_000_000


def test_kb_check_prints_one_line_for_a_bomb_in_well_under_a_second(tmp_path: Path) -> None:
    docs = tmp_path / "articles"
    docs.mkdir()
    (docs / "ok.md").write_text("---\ntitle: Fine\n---\nText.\n", encoding="utf-8")
    (docs / "bomb.md").write_text(bomb(), encoding="utf-8")
    code = textwrap.dedent(
        """
        import resource, sys, time
        from kb.cli import main
        started = time.perf_counter()
        code = main(sys.argv[1:])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print("COST", time.perf_counter() - started, rss)
        sys.exit(code)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "check", str(docs)],
        capture_output=True,
        text=True,
        timeout=60,  # without the limits this took minutes and gigabytes
        cwd=tmp_path,
        preexec_fn=_one_gigabyte,
    )
    assert "Traceback" not in run.stderr, run.stderr[-400:]
    assert run.returncode == 1, run.stderr
    *lines, cost = run.stdout.splitlines()
    assert lines == [f"articles/bomb.md:7: {TOO_BIG}"]
    seconds, rss_kb = cost.split()[1:]
    assert float(seconds) < 1.0  # the command itself, without Python's start-up
    assert int(rss_kb) < 300_000  # the interpreter and kb; nothing expanded


def test_build_and_serve_read_through_the_same_limits(make_kb: Any) -> None:
    """`kb build` (the plugin's on_files) and `kb serve` (its snapshot) call KnowledgeBase.load."""
    assert _refused(bomb())  # refused at all (else loading would not end)
    config = make_kb({"en/ok.md": {"title": "Fine"}, "en/bomb.md": bomb()})
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as caught:
        KnowledgeBase.load(Settings.load(config))
    assert time.perf_counter() - started < 2
    [error] = caught.value.errors
    assert str(error).endswith(f"articles/en/bomb.md:7: {TOO_BIG}")


def test_small_aliases_and_merge_keys_still_work() -> None:
    fm = parse(
        "---\ntitle: T\nbase: &b [invoice, pdf]\ntags: *b\n"
        "p: &p {name: Brightcart app}\nproducts: [{<<: *p, versions: ['5.0']}]\n---\n"
    )
    assert fm.problems == []
    assert fm.meta["tags"] == ["invoice", "pdf"]
    assert fm.meta["products"] == [{"name": "Brightcart app", "versions": ["5.0"]}]


@pytest.mark.parametrize(
    ("yaml_text", "line", "message"),
    [
        ("tags: &a [x, *a]", 3, "alias *a is used inside its own anchor"),
        ("s: &s " + "y" * 50_000 + "\ntags: [" + ", ".join(["*s"] * 25) + "]", 4, "too big: aliases expand it to more than 1,000,000 characters"),
        ("tags: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), 3, f"nested more than {MAX_DEPTH} levels deep"),
        ("tags:\n" + "".join(" " * i + "-\n" for i in range(MAX_DEPTH + 5)), 3 + MAX_DEPTH, f"nested more than {MAX_DEPTH} levels deep"),
        ("tags: [" + ", ".join(["x"] * 10_001) + "]", 3, "too big: it has more than 10,000 values"),
    ],
    ids=["recursive", "characters", "flow-depth", "block-depth", "plain-nodes"],
)  # fmt: skip
def test_limits_are_one_line_with_the_line(yaml_text: str, line: int, message: str) -> None:
    fm = parse(f"---\ntitle: T\n{yaml_text}\n---\n")
    assert fm.problems == [(line, "front matter", message)]


def test_nesting_up_to_the_limit_is_fine() -> None:
    fm = parse("---\ntitle: T\nx: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n---\n")
    assert fm.problems == [] and "x" in fm.meta


def test_deep_nesting_is_a_line_not_a_crash() -> None:
    """libyaml's composer recursed until the process died (SIGSEGV) on 30,000 brackets."""
    code = textwrap.dedent(
        """
        from kb.core.frontmatter import parse
        fm = parse("---\\ntitle: T\\ntags: " + "[" * 30000 + "]" * 30000 + "\\n---\\n")
        print(fm.problems)
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert (
        run.stdout.strip() == f"[(3, 'front matter', 'nested more than {MAX_DEPTH} levels deep')]"
    )


def test_front_matter_has_a_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("---\ntitle: T\nsummary: " + "word " * 14_000 + "\n---\nBody.\n")
    article, problems = read_article(path, _settings(tmp_path))  # 68 KB: below max_article_kb
    assert article is None
    assert [(p.line, p.field, p.message) for p in problems] == [
        (1, "front matter", "68 KB is larger than the 64 KB limit")
    ]


def test_a_control_character_is_one_line_at_its_line(tmp_path: Path) -> None:
    fm = parse("---\ntitle: T\nsummary: bell \x07 here\n---\n")
    assert fm.problems == [
        (3, "front matter", "invalid YAML: control characters are not allowed (character #x0007)")
    ]
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: X\nnav:\n  - a\x01\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:  # was a ReaderError traceback
        ConfigFile.read(config)
    assert str(caught.value) == (
        f"{config.as_posix()}:3: invalid YAML: special characters are not allowed (character #x0001)"
    )


# -- messages that show a value --------------------------------------------------------------------
def test_show_never_builds_the_whole_repr() -> None:
    value = shared_nest(14)  # 9**14 leaves: its repr would never finish
    started = time.perf_counter()
    text = show(value)
    assert time.perf_counter() - started < 0.05
    assert (
        len(text) == 60 and text.startswith("[[[[[[[[[[[[[['lol', 'lol'") and text.endswith("...")
    )


def test_schema_messages_are_short_and_fast_for_a_huge_value() -> None:
    started = time.perf_counter()
    with pytest.raises(Invalid) as caught:
        check_value("tags", [shared_nest(8)], Context())  # 43 million leaves
    assert time.perf_counter() - started < 0.5
    assert caught.value.message.startswith("item 1: must be text, got list [[[[[[[['lol',")
    assert len(caught.value.message) < 120


@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3) | st.tuples(inner) | st.frozensets(st.integers(), max_size=3).map(set), max_leaves=12), limit=st.integers(3, 80))  # fmt: skip
@settings(max_examples=150, deadline=2000)
def test_show_is_repr_cut_to_the_limit(value: Any, limit: int) -> None:
    full = repr(value)
    assert show(value, limit) == (full if len(full) <= limit else full[: limit - 3] + "...")


def test_product_with_mixed_key_types_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text("---\ntitle: T\nproducts:\n  - {name: App, 1: x, zz: y}\n---\n")
    article, problems = read_article(path, _settings(tmp_path))
    assert [(p.line, p.field, p.message) for p in problems] == [
        (4, "products", "item 1: unknown key 1; a product has 'name' and 'versions'")
    ]
    assert article is not None


# -- mkdocs.yml ------------------------------------------------------------------------------------
def test_mkdocs_yml_alias_bomb_and_depth_are_settings_errors(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    lines = bomb(levels=14).split("\n")[2:-4]  # the anchors only, as mkdocs.yml keys
    config.write_text("site_name: X\n" + "\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(SettingsError) as caught:
        ConfigFile.read(config)
    assert time.perf_counter() - started < 1
    assert (
        str(caught.value)
        == f"{config.as_posix()}:7: too big: aliases expand it to more than 200,000 values"
    )
    config.write_text("site_name: X\nnav: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"mkdocs.yml:2: nested more than 32 levels deep$"):
        ConfigFile.read(config)
    assert ConfigFile.read(REPO / "mkdocs.yml").data["site_name"]  # a real one still reads


# -- properties: front matter ----------------------------------------------------------------------
YAMLISH = st.lists(
    st.sampled_from(["&a ", "&b ", "*a", "*b", "[", "]", "{", "}", ", ", ": ", "- ", "\n", "  ", "title", "tags", "x", "'", '"', "!!str ", "!!set ", "!!binary ", "!!python/object ", "<<: ", "? ", "|\n", ">\n", "# c", "...", "---", "\t", "%YAML 1.1", "\\", "é"]),
    max_size=60,
).map("".join)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=15)
    | st.sampled_from(["6m", "en", "sop", "2026-01-01"])
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=10)  # fmt: skip
FIELDS = st.sampled_from(["title", "tags", "products", "related", "summary", "status", "x"])
PROPS = dict(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


class _Unbounded(yaml.SafeLoader):
    """PyYAML's own safe loader with kb's resolvers: what the bounded one must agree with."""


_Unbounded.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _one_line_problems(fm_problems: list[tuple[int, str, str]]) -> None:
    for line, field, message in fm_problems:
        assert line >= 1 and field and "\n" not in message and len(message) < 400


@given(text=YAMLISH)
@settings(**PROPS)
def test_yamlish_front_matter_is_problems_or_values(text: str) -> None:
    fm = parse(f"---\n{text}\n---\nbody")
    _one_line_problems(fm.problems)
    assert all(isinstance(k, str) and len(k) < 200 for k in fm.meta)


@given(shared=VALUES, meta=st.dictionaries(FIELDS, VALUES, max_size=5), copies=st.integers(1, 800))
@settings(**PROPS)
def test_dumped_values_with_aliases_read_back_the_same(
    shared: Any, meta: dict[str, Any], copies: int
) -> None:
    """yaml.dump writes shared values as anchors and aliases; the bounded loader agrees with PyYAML."""
    doc = {**meta, "title": "T", "shared": shared, "tags": [shared] * copies}
    source = yaml.dump(doc, allow_unicode=True, sort_keys=False)
    fm = parse(f"---\n{source}---\nbody")
    expected = yaml.load(source, Loader=_Unbounded)
    if fm.problems:  # only ever a limit, and then really over it
        _one_line_problems(fm.problems)
        assert fm.problems[0][2].startswith("too big")
        assert len(json.dumps(expected, default=str)) > 10_000
    else:
        assert fm.meta == expected


@given(data=st.binary(max_size=300), title=st.booleans())
@example(data=b"tags: " + b"[" * 40 + b"]" * 40, title=True)
@settings(**PROPS)
def test_random_bytes_between_fences_are_one_line_problems(
    tmp_path: Path, data: bytes, title: bool
) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(b"---\n" + (b"title: T\n" if title else b"") + data + b"\n---\nbody\n")
    article, problems = read_article(path, _settings(tmp_path))
    for p in problems:
        assert p.line >= 1 and p.field and "\n" not in str(p)
    assert article is not None or any(p.is_error for p in problems)


# -- properties: tickets ---------------------------------------------------------------------------
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "subject", "body", "text", "comment", "tags", "language", "created_at", "x"]) | st.text(max_size=5), inner, max_size=5), max_leaves=15)  # fmt: skip
CELLS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


def _read(tmp_path: Path, name: str, content: str | bytes) -> TicketFile | None:
    path = tmp_path / name
    path.write_bytes(
        content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    )
    started = time.perf_counter()
    try:
        tf = read_tickets(path)
    except KBError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(path.as_posix())
        return None
    finally:
        assert time.perf_counter() - started < 2
    for err in tf.errors:  # (a ticket id holding a line break still breaks the one-line form)
        assert (
            err.row >= 1 and err.message and str(err).startswith(f"{path.as_posix()}:{err.row}: ")
        )
    for t in tf.tickets:
        assert isinstance(t.id, str) and (t.subject or t.body)
    return tf


@given(
    content=st.text(max_size=400) | st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".json", ".jsonl", ".txt"]),
)
@example(content="[" * 100_000 + "]" * 100_000, suffix=".json")
@example(
    content='{"id": 1, "text": "x"}\n' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "\n",
    suffix=".jsonl",
)
@settings(**PROPS)
def test_random_ticket_files_never_raise(tmp_path: Path, content: str | bytes, suffix: str) -> None:  # fmt: skip
    _read(tmp_path, "t" + suffix, content)


@given(records=st.lists(JSON, max_size=6), shape=st.sampled_from(["list", "tickets", "jsonl"]))
@example(records=[{"id": 1, "body": [[[[["x"]]]]]}], shape="list")
@settings(**PROPS)
def test_random_json_tickets_never_raise(tmp_path: Path, records: list[Any], shape: str) -> None:
    if shape == "jsonl":
        _read(tmp_path, "t.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    else:
        _read(tmp_path, "t.json", json.dumps(records if shape == "list" else {"tickets": records}))


@given(header=st.lists(st.sampled_from(["id", "subject", "body", "Description Text", "tags", "language", "x"]) | CELLS, min_size=1, max_size=5), rows=st.lists(st.lists(CELLS, max_size=6), max_size=6), delimiter=st.sampled_from([",", ";", "\t"]))  # fmt: skip
@settings(**PROPS)
def test_random_csv_tickets_never_raise(tmp_path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> None:  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    _read(tmp_path, "t.csv", out.getvalue())


@given(head=st.sampled_from(["", "Hi\n\nthanks", "Hello\n\n", "On ", "<p>", "x@"]), unit=st.sampled_from(["a", " ", "a.", "<blockquote", "<blockquote>x", "1 ", "< ", ",", "\n"]), count=st.integers(0, 30_000), tail=st.sampled_from(["", "x", "@", "</blockquote>", " wrote:"]))  # fmt: skip
@example(
    head="", unit="a", count=30_000, tail=""
)  # one long word: the e-mail pattern was quadratic
@example(head="Hi\n\nthanks", unit=" ", count=30_000, tail="x")  # so was the sign-off one
@settings(max_examples=60, deadline=2000)
def test_cleaning_a_ticket_takes_linear_time(head: str, unit: str, count: int, tail: str) -> None:
    started = time.perf_counter()
    clean_text(head + unit * count + tail)
    assert time.perf_counter() - started < 1
