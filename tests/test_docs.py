"""The docs are generated from the code they describe; these tests fail when they drift."""

from __future__ import annotations

from kb.schema import reference_markdown
from tests.conftest import REPO


def test_field_reference_matches_the_schema():
    text = (REPO / "docs" / "articles.md").read_text(encoding="utf-8")
    between = text.split("<!-- fields:start -->\n", 1)[1].split("<!-- fields:end -->", 1)[0]
    assert between == reference_markdown()
