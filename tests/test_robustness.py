"""Random front matter and random bytes never produce a traceback: always a one-line error or success."""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.core.errors import ArticleError
from kb.core.frontmatter import parse
from kb.core.reading import read_article
from kb.core.schema import FIELDS
from kb.core.settings import Settings

FIELD_NAMES = [f.name for f in FIELDS] + ["unknown", "Title", "tag"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates().map(str),
    st.sampled_from(["6m", "90d", "1y", "0d", "x", "public", "sop", "en", "nl"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
metas = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=10)
SETTINGS = dict(
    deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _settings(root: Path) -> Settings:
    return Settings(root=root, docs_dir=root, languages=("en", "nl", "sv"))


def _assert_clean(problems: list[ArticleError]) -> None:
    for p in problems:
        line = str(p)
        assert "\n" not in line and "Traceback" not in line
        assert p.line >= 1 and p.field


@settings(**SETTINGS)
@given(meta=metas, body=st.text(max_size=200))
def test_random_front_matter_never_raises(tmp_path, meta, body):
    path = tmp_path / "a.md"
    try:
        head = yaml.safe_dump(meta, allow_unicode=True)
    except yaml.YAMLError:
        return
    path.write_text(f"---\n{head}---\n{body}", encoding="utf-8")
    article, problems = read_article(path, _settings(tmp_path))
    _assert_clean(problems)
    if article is None:
        assert any(p.is_error for p in problems)
    else:
        assert article.title and article.id


@settings(**SETTINGS)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path, data):
    path = tmp_path / "b.md"
    path.write_bytes(b"---\n" + data if data[:1] != b"-" else data)
    _, problems = read_article(path, _settings(tmp_path))
    _assert_clean(problems)


@settings(**SETTINGS)
@given(text=st.text(alphabet=string.printable + "åäöé:-[]{}&*!|>'\"#", max_size=300))
def test_random_yaml_text_never_raises(text):
    fm = parse("---\n" + text + "\n---\nbody")
    assert all(isinstance(line, int) and line >= 1 for line, _, _ in fm.problems)
