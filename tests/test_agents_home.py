"""The agents' home (kb.site.agents): the handbook's search, recent changes, reviews falling due."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess

import pytest

from kb.core.schema import Duration
from kb.core.settings import Settings
from kb.site.build import build_site

pytestmark = pytest.mark.slow
TODAY = dt.date.today()


def commit(root, paths, day: str) -> None:
    """Commit `paths` below `root` on `day` (YYYY-MM-DD)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": f"{day}T12:00:00+00:00",
        "GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00",
    }
    subprocess.run(["git", "add", *paths], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", day], cwd=root, env=env, check=True)


def titles(section: str) -> list[str]:
    """The linked titles of a home page section's list, in order."""
    return re.findall(r'<li class="kb-list__item"><a href="[^"]*">([^<]+)</a>', section)


def section(page: str, css: str) -> str:
    """The HTML of `<section class="css">` on `page`."""
    found = re.search(rf'<section class="{css}">(.*?)</section>', page, re.S)
    assert found, css
    return found.group(1)


def test_the_agents_home_lists_recent_changes_and_reviews_due_and_no_customer_block(make_kb):
    year_ago = TODAY - dt.timedelta(days=400)
    soon = TODAY - dt.timedelta(days=365 - 10)  # a 1y review falls due in ten days
    meta = {"category": "billing", "owner": "ana"}
    config = make_kb(
        {
            "en/billing/overdue.md": {**meta, "title": "Overdue one", "reviewed": year_ago},
            "en/billing/soon.md": {**meta, "title": "Due soon", "reviewed": soon},
            "en/billing/fresh.md": {**meta, "title": "Fresh one", "reviewed": TODAY},
            "en/billing/undated.md": {"title": "Undated", "category": "billing"},
            "en/billing/secret.md": {
                "title": "Secret SOP",
                "category": "billing",
                "audience": "internal",
                "reviewed": year_ago,
            },
            "en/billing/draft.md": {"title": "A draft", "category": "billing", "status": "draft"},
        },
        kb_options={
            "languages": ["en"],
            "categories": ["billing"],
            "support": {"email": "help@example.com", "hours": "Mon-Fri"},
        },
    )
    root = config.parent
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    commit(root, ["articles"], "2024-01-01")
    path = root / "articles/en/billing/undated.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    commit(root, ["articles/en/billing/undated.md"], "2025-06-01")
    settings = Settings.load(config)

    internal = (build_site(settings, internal=True, full=True) / "index.html").read_text("utf-8")
    assert "<h1>Search the handbook</h1>" in internal
    assert 'data-placeholder="Search articles and procedures…"' in internal
    changed = section(internal, "kb-changed")
    assert titles(changed)[0] == "Undated"  # the newest commit first
    assert "changed 1 June 2025" in changed and "A draft" not in changed
    due = section(internal, "kb-due")
    assert titles(due) == ["Overdue one", "Secret SOP", "Due soon"]  # by due date, then title
    overdue_on = Duration(1, "y").after(year_ago)
    assert f"overdue since {overdue_on.day} " in due and "Owner: ana" in due
    assert "kb-list__note--overdue" in due and "Fresh one" not in due
    assert "Still need help?" not in internal and "help@example.com" not in internal

    public = (build_site(settings, internal=False, full=True) / "index.html").read_text("utf-8")
    assert "How can we help?" in public and "Still need help?" in public
    assert "Due for review" not in public and "Secret SOP" not in public
