"""The docs are generated from the code they describe; these tests fail when they drift."""

from __future__ import annotations

from kb.core.schema import reference_markdown
from tests.conftest import REPO


def test_field_reference_matches_the_schema():
    text = (REPO / "docs" / "articles.md").read_text(encoding="utf-8")
    between = text.split("<!-- fields:start -->\n", 1)[1].split("<!-- fields:end -->", 1)[0]
    assert between == reference_markdown()


def test_command_reference_is_generated_from_help():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == module.render(), "docs/cli.md is stale: run python scripts/gen_cli_docs.py"


def test_every_command_is_in_the_readme():
    from kb.cli import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"`kb {name}" in readme, f"README does not mention kb {name}"
