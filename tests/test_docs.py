"""The docs are generated from the code they describe; these tests fail when they drift."""

from __future__ import annotations

from kb.core.schema import reference_markdown
from tests.conftest import REPO


def test_field_reference_matches_the_schema():
    text = (REPO / "docs" / "articles.md").read_text(encoding="utf-8")
    between = text.split("<!-- fields:start -->\n", 1)[1].split("<!-- fields:end -->", 1)[0]
    assert between == reference_markdown()


def test_settings_reference_matches_the_settings():
    from kb.core.settings import settings_reference

    text = (REPO / "docs" / "site.md").read_text(encoding="utf-8")
    between = text.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert between == settings_reference()


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


def test_the_docs_cite_only_files_that_exist():
    import re

    cited = re.compile(
        r"(?<![\w./-])((?:kb|bench|tests|theme|scripts|docs|examples|search)/[\w./-]*\w)"
    )
    missing = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for path in cited.findall(line):
                if "<" in path or "*" in path:
                    continue
                if not (REPO / path).exists() and not (REPO / path.rstrip("/")).exists():
                    missing.append(f"{page.name}:{n}: {path}")
    assert missing == []
