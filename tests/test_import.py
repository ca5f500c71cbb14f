"""`kb import`: each hand-written export (tests/fixtures/import/README.md) imported, checked, built, searched."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from kb.cli import main
from kb.core.collection import KnowledgeBase
from kb.core.settings import Settings
from kb.core.translations import state

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
LEAKS = ("INTERNAL-ONLY refund override code", "AGENTS-ONLY carrier escalation hotline")


def run_import(tmp_path: Path, source: str, fixture: str, capsys, *extra: str) -> tuple[Path, str]:
    target = tmp_path / "kb"
    assert main(["import", source, str(FIXTURES / fixture), "--into", str(target), *extra]) == 0
    return target, capsys.readouterr().out


def load(target: Path) -> KnowledgeBase:
    settings = Settings.load(target / "mkdocs.yml")
    settings.cache = False
    return KnowledgeBase.scan(settings)


def build_and_check(target: Path, capsys) -> Path:
    """kb check (no warning but untranslated kb strings), kb build; nothing non-public leaks."""
    config = str(target / "mkdocs.yml")
    capsys.readouterr()
    assert main(["check", config]) == 0, capsys.readouterr().out
    # the one warning allowed: a language (de) whose kb interface strings are still English
    warnings = [line for line in capsys.readouterr().out.splitlines() if ": warning: " in line]
    assert [w for w in warnings if "until kb.strings." not in w] == []
    assert main(["build", "--config", config]) == 0, capsys.readouterr().err
    site = target / "site"
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for phrase in LEAKS:
                assert phrase.encode() not in data, f"{phrase!r} in {path}"
    return site


def search(target: Path, query: str, capsys, lang: str | None = None) -> list[str]:
    capsys.readouterr()
    argv = ["search", query, "--config", str(target / "mkdocs.yml"), "--json"]
    assert main([*argv, *(["--lang", lang] if lang else [])]) in (0, 1)  # 1: no hits
    hits = json.loads(capsys.readouterr().out)
    return [h["id"] for h in hits["hits"]]


def test_zendesk_keeps_ids_languages_visibility_dates_votes_and_old_urls(tmp_path, capsys):
    target, report = run_import(tmp_path, "zendesk", "zendesk", capsys)
    kb = load(target)
    assert kb.errors == [] and kb.warnings == []
    track = kb.get("zendesk-360012345678")
    assert track is not None and track.lang == "en" and track.owner == "Maya Okafor"
    assert str(track.reviewed) == "2024-05-02" and track.tags == ("tracking", "parcel-status")
    assert "hc/en-us/articles/360012345678-Track-a-parcel" in track.aliases
    # callout kept with its text, table, code, image copied next to the article
    assert '!!! warning "Note"' in track.body and "up to two hours" in track.body
    assert "| Status |" in track.body and "```" in track.body
    assert "](images/label.png)" in track.body
    assert (kb.path_of(track).parent / "images" / "label.png").is_file()
    # links to other articles: relative .md links with the kb anchor of the heading
    assert "../addresses-and-delivery/change-address.md#before-dispatch" in track.body
    assert "delivery-time-windows.md)" in track.body
    # translations linked; the outdated one is outdated, the others current
    nl, sv = kb.get("zendesk-360012345678-nl"), kb.get("zendesk-360012345678-sv")
    assert nl.translation_of == sv.translation_of == track.id
    assert state(kb, nl) == "current" and state(kb, sv) == "outdated"
    # a Dutch page linking an article with no Dutch version gets the English one
    assert "../../en/addresses-and-delivery/delivery-time-windows.md" in nl.body
    assert kb.get("zendesk-360012345681").audience == "internal"
    assert kb.get("zendesk-360012345682").status == "draft"
    # two sections called "General" in different categories stay apart
    cats = Settings.load(target / "mkdocs.yml").categories
    assert {"sending-parcels-general", "account-and-billing-general"} <= set(cats)
    general = cats["sending-parcels-general"]
    assert general.title_in("nl") == "Pakketten versturen: Algemeen"  # the sections' translations
    assert general.title_in("sv") == "Sending parcels: General"
    # the report: the missing image and the link to an article not in the export
    assert "time-window-picker.png: not in the export, kept as it was" in report
    assert "360099999999-Customs-forms: no imported article at this address" in report
    close = kb.get("zendesk-360012345683")
    assert "https://parcelly.zendesk.com/hc/en-us/articles/360099999999-Customs-forms" in close.body
    assert "](#)" not in close.body
    # votes as history in the feedback store: 6 of 10 -> 8 up, 2 down
    db = sqlite3.connect(target / ".kb" / "feedback.db")
    rows = dict(
        ((a, h), n)
        for a, h, n in db.execute("SELECT article, helpful, COUNT(*) FROM feedback GROUP BY 1, 2")
    )
    assert rows[("zendesk-360012345678", 1)] == 8 and rows[("zendesk-360012345678", 0)] == 2
    site = build_and_check(target, capsys)
    # the old address redirects to the new page
    old = site / "hc/en-us/articles/360012345678-Track-a-parcel/index.html"
    assert old.is_file() and "sending-parcels-general/track-a-parcel/" in old.read_text()
    assert search(target, "tracking number", capsys, "en")[0] == track.id
    assert "zendesk-360012345681" not in search(target, "refund override", capsys)


def test_zendesk_import_again_updates_in_place_without_duplicates(tmp_path, capsys):
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "zendesk", export)
    target = tmp_path / "kb"
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    first = sorted(p.relative_to(target) for p in (target / "articles").rglob("*.md"))
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    assert "0 new, 0 updated, 10 unchanged" in capsys.readouterr().err
    page = export / "articles.json"
    data = json.loads(page.read_text())
    data["articles"][0]["title"] = "Track your parcel"
    data["articles"][0]["vote_count"] = 20
    data["articles"][0]["vote_sum"] = 10
    page.write_text(json.dumps(data))
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    assert "1 updated" in capsys.readouterr().err
    assert sorted(p.relative_to(target) for p in (target / "articles").rglob("*.md")) == first
    kb = load(target)
    assert kb.get("zendesk-360012345678").title == "Track your parcel"
    # the Dutch translation now lags behind its changed source
    assert state(kb, kb.get("zendesk-360012345678-nl")) == "outdated"
    db = sqlite3.connect(target / ".kb" / "feedback.db")
    n = db.execute("SELECT COUNT(*) FROM feedback WHERE article = 'zendesk-360012345678'")
    assert n.fetchone()[0] == 20


def test_a_link_to_an_article_gone_from_a_newer_export_goes_to_the_kept_article(tmp_path, capsys):
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "zendesk", export)
    target = tmp_path / "kb"
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    page = export / "articles.json"
    data = json.loads(page.read_text())
    data["articles"] = [a for a in data["articles"] if a["id"] != 360012345680]
    page.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    out = capsys.readouterr().out
    kb = load(target)
    windows = kb.get("zendesk-360012345680")  # kept, and reported as gone from the export
    assert windows is not None and "zendesk-360012345680 is not in this export any more" in out
    track = kb.get("zendesk-360012345678")  # links to it without its slug
    change = kb.get("zendesk-360012345679")  # links to it with an anchor
    link = os.path.relpath(kb.path_of(windows), kb.path_of(track).parent)
    assert f"]({link})" in track.body
    assert "hc/en-us/articles/360012345680" not in track.body + change.body
    assert "#choose-a-window)" in change.body
    assert "not in this export: kept from an earlier import" in out
    build_and_check(target, capsys)  # kb check finds every link
    # made internal since: a public page's link to it loses its address, its text stays
    path = kb.path_of(windows)
    path.write_text(path.read_text().replace("\nlang: en\n", "\nlang: en\naudience: internal\n"))
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    assert "links to zendesk-360012345680, which customers cannot open (internal" in (
        capsys.readouterr().out
    )
    assert "delivery-time-windows.md" not in load(target).get("zendesk-360012345678").body


def test_zendesk_outdated_locale_is_reported_by_kb_stale(tmp_path, capsys):
    target, _ = run_import(tmp_path, "zendesk", "zendesk", capsys)
    capsys.readouterr()
    # the outdated-translation rule needs no vectors (near-duplicates: tests/test_stale.py, and on
    # real models over the sample KB, tests/test_stale_e2e.py)
    assert main(
        ["stale", "--config", str(target / "mkdocs.yml"), "--format", "json", "--no-duplicates"]
    ) in (0, 1)
    found = json.loads(capsys.readouterr().out)
    outdated = [f for f in found["findings"] if f["rule"] == "outdated-translation"]
    assert [f["article"] for f in outdated] == ["zendesk-360012345678-sv"]
    assert "marked outdated" in outdated[0]["message"]


def test_freshdesk_folders_visibility_drafts_summaries_and_translations(tmp_path, capsys):
    target, report = run_import(tmp_path, "freshdesk", "freshdesk", capsys)
    kb = load(target)
    pickup = kb.get("freshdesk-80001234560")
    assert pickup.summary == "Have a Parcelly courier collect your parcel from your door."
    assert "pack-your-parcel.md#weight-limits" in pickup.body and "| Parcel size |" in pickup.body
    assert kb.get("freshdesk-80001234569").audience == "internal"  # agents-only folder
    assert kb.get("freshdesk-80001234568").audience == "internal"  # logged-in users
    assert "logged-in users: imported as internal" in report
    assert kb.get("freshdesk-80001234570").status == "draft"
    sv = kb.get("freshdesk-80001234560-sv")
    assert sv.translation_of == pickup.id and state(kb, sv) == "current"
    assert "../../en/sending-a-parcel/pack-your-parcel.md#weight-limits" in sv.body
    # a Dutch link to a Dutch heading gets the Dutch heading's anchor
    assert "pack-your-parcel.md#gewichtslimieten" in kb.get("freshdesk-80001234560-nl").body
    build_and_check(target, capsys)
    assert search(target, "pickup courier", capsys, "en")[0] == pickup.id


def test_jekyll_liquid_and_kramdown_become_plain_markdown(tmp_path, capsys):
    target, report = run_import(tmp_path, "markdown", "jekyll", capsys)
    kb = load(target)
    track = kb.get("track-a-parcel")
    body = track.body
    assert "{%" not in body.replace("{{ ticket.tracking_number }}", "") and "{:" not in body
    assert "!!! note\n\n    A new parcel can take up to two hours" in body  # {: .note}
    assert "!!! info\n\n    Recipients can follow the parcel too" in body  # {% callout %}
    assert "Tracking numbers are not case-sensitive." in body  # {% include note.html %}
    assert "{{ ticket.tracking_number }}" in body  # {% raw %} kept as written
    assert "(../delivery/change-address.md#before-dispatch)" in body  # site.baseurl link
    assert "(../delivery/delivery-windows.md)" in body  # {% link %}
    assert "[carrier status page](https://status.parcelly.example)" in body
    assert (kb.path_of(track).parent / "images" / "box.png").is_file()
    assert {"help/track/", "help/articles/tracking.html"} <= set(track.aliases)
    assert {a.lang for a in kb.articles} == {"en", "nl", "sv", "de"}
    sv = kb.get("track-a-parcel-sv")
    assert sv.translation_of == track.id and state(kb, sv) == "outdated"
    assert kb.get("parcel-lockers").status == "draft"
    assert "marked outdated" in report
    build_and_check(target, capsys)


def test_hugo_shortcodes_refs_and_languages(tmp_path, capsys):
    target, _ = run_import(tmp_path, "markdown", "hugo", capsys)
    kb = load(target)
    track = kb.get("articles-track-a-parcel")
    assert "!!! warning\n\n    A new parcel can take up to **two hours**" in track.body
    assert "{{<" not in track.body and "{{%" not in track.body
    assert "change-address.md#before-dispatch" in track.body
    assert kb.get("articles-track-a-parcel-nl").translation_of == track.id
    assert kb.get("articles-parcel-lockers").status == "draft"
    assert "help/track/" in track.aliases
    build_and_check(target, capsys)


def test_mkdocs_suffix_translations_and_relative_links(tmp_path, capsys):
    target, _ = run_import(tmp_path, "markdown", "mkdocs", capsys)
    kb = load(target)
    nl = kb.get("track-a-parcel-nl")
    assert nl.lang == "nl" and nl.translation_of == "track-a-parcel"
    assert "](../../en/general/change-address.md#before-dispatch)" in nl.body  # no Dutch version
    assert not nl.body.lstrip().startswith("# ")  # its H1 is the title, not said twice
    build_and_check(target, capsys)


def test_raw_html_link_to_a_draft_loses_its_address_keeps_its_text(tmp_path, capsys):
    source = tmp_path / "site"
    shutil.copytree(FIXTURES / "mkdocs", source)
    (source / "docs" / "account" / "refund-override.md").write_text(
        "---\ntitle: Refund override\ndraft: true\n---\n\nAgents only, for now.\n"
    )
    page = source / "docs" / "account" / "close-account.md"
    page.write_text(
        page.read_text() + '\nAsk about <a class="x" href="refund-override.md">overrides</a>.\n'
    )
    assert main(["import", "markdown", str(source), "--into", str(tmp_path / "kb")]) == 0
    report = capsys.readouterr().out
    body = (tmp_path / "kb" / "articles" / "en" / "account" / "close-account.md").read_text()
    assert 'Ask about <a class="x">overrides</a>.' in body  # no href="" to a page of its own
    assert "which customers cannot open" in report


def test_html_pages_lose_their_chrome(tmp_path, capsys):
    target, report = run_import(tmp_path, "html", "html", capsys)
    kb = load(target)
    change = kb.get("articles-change-address")
    assert change.title == "Change address"
    assert "Parcelly B.V." not in change.body and "Breadcrumb" not in change.body
    assert "track-a-parcel.md#tracking-statuses" in change.body
    assert "edit-address-screen.png: not in the export" in report
    assert kb.get("articles-track-a-parcel-nl").translation_of == "articles-track-a-parcel"
    site = build_and_check(target, capsys)
    assert (site / "articles/track-a-parcel.html").is_file()  # the old address redirects


def test_import_into_an_existing_kb_adds_its_languages_and_categories(tmp_path, capsys):
    target = tmp_path / "kb"
    assert main(["init", str(target), "--lang", "en", "--lang", "nl"]) == 0
    assert main(["import", "zendesk", str(FIXTURES / "zendesk"), "--into", str(target)]) == 0
    out = capsys.readouterr().out
    assert "languages: added sv" in out and "categories: added" in out
    settings = Settings.load(target / "mkdocs.yml")
    assert list(settings.languages)[:3] == ["en", "nl", "sv"]
    assert {"account", "sending-parcels-general"} <= set(settings.categories)
    assert main(["check", str(target / "mkdocs.yml")]) == 0
    # what is left to the team: the starter's categories have no Swedish title yet
    warnings = [ln for ln in capsys.readouterr().out.splitlines() if "warning" in ln]
    assert warnings and all("no title in sv" in ln for ln in warnings)


def test_hostile_exports_get_one_line_and_nothing_outside(tmp_path, capsys):
    bad = tmp_path / "deep"
    bad.mkdir()
    (bad / "articles.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["import", "zendesk", str(bad), "--into", str(tmp_path / "kb")]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "Traceback" not in err
    export = tmp_path / "evil"
    export.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    (export / "pic.png").symlink_to(secret)
    article = {
        "id": 1,
        "title": "Evil",
        "locale": "en-us",
        "source_locale": "en-us",
        "html_url": "https://x.zendesk.com/hc/en-us/articles/1-Evil",
        "body": '<p><a href="javascript:alert(1)">click</a> <img src="/pic.png"></p>'
        "<script>alert(2)</script>",
    }
    (export / "articles.json").write_text(json.dumps({"articles": [article]}))
    assert main(["import", "zendesk", str(export), "--into", str(tmp_path / "kb2")]) == 0
    out = capsys.readouterr().out
    assert "outside the export, not copied" in out and "a script, not a link" in out
    text = next((tmp_path / "kb2" / "articles").rglob("*.md")).read_text()
    assert "javascript:" not in text and "alert" not in text and "click" in text
    assert not list((tmp_path / "kb2" / "articles").rglob("*.png"))


def test_jekyll_site_variables_highlight_posts_and_shared_redirects(tmp_path, capsys):
    site = tmp_path / "site"
    (site / "_docs").mkdir(parents=True)
    (site / "_posts").mkdir()
    (site / "_config.yml").write_text(
        "url: https://docs.example.org\nrepository: https://git.example.org/acme\n"
        "collections:\n  docs:\n    output: true\n"
    )
    (site / "_posts" / "2024-01-01-news.md").write_text("---\ntitle: News\n---\nHello.\n")
    page = "---\ntitle: {title}\nredirect_from: /old/index.html\n---\n{body}\n"
    (site / "_docs" / "one.md").write_text(
        page.format(
            title="One",
            body="See [the repo]({{ site.repository }}/issues/1).\n\n"
            "{% highlight ruby %}\nputs 1\n{% endhighlight %}",
        )
    )
    (site / "_docs" / "two.md").write_text(page.format(title="Two", body="Two."))
    target = tmp_path / "kb"
    assert main(["import", "markdown", str(site), "--into", str(target), "--dry-run"]) == 0
    assert not (target / "articles").exists()
    assert main(["import", "markdown", str(site), "--into", str(target)]) == 0
    out = capsys.readouterr().out
    assert "2024-01-01-news.md:1: skipped: a blog post" in out
    assert "old/index.html is already the address of one: not redirected here" in out
    kb = load(target)
    one = kb.get("one")
    assert "(https://git.example.org/acme/issues/1)" in one.body
    assert "```ruby\nputs 1\n```" in one.body
    assert one.aliases == ("docs/one/", "old/index.html")
    assert kb.get("two").aliases == ("docs/two/",)
    assert main(["check", str(target / "mkdocs.yml"), "--strict"]) == 0


def test_freshdesk_article_of_an_unknown_folder_is_internal(tmp_path, capsys):
    export = tmp_path / "fd"
    export.mkdir()
    secret = {"id": 7, "title": "Hotline", "folder_id": 99, "status": 2, "description": "<p>X</p>"}
    (export / "articles.json").write_text(json.dumps([secret]))
    assert main(["import", "freshdesk", str(export), "--into", str(tmp_path / "kb")]) == 0
    assert "folder 99 is not in the export" in capsys.readouterr().out
    assert load(tmp_path / "kb").get("freshdesk-7").audience == "internal"


def test_reimport_keeps_what_authors_added_and_never_takes_over_their_articles(tmp_path, capsys):
    target = tmp_path / "kb"
    assert main(["init", str(target)]) == 0
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text("site_name: S\n")
    (site / "docs" / "reset-password.md").write_text("# Reset\n\nImported text.\n")
    (site / "docs" / "tool.js.md").write_text("# Tool\n\nNot a language.\n")
    (site / "docs" / "guide.md").write_text(
        '# Guide\n\n<iframe src="javascript:alert(1)"></iframe>\n\n![x](pic.svg)\n'
    )
    (site / "docs" / "pic.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    starter = target / "articles/en/account/reset-password.md"
    before = starter.read_text()
    assert main(["import", "markdown", str(site), "--into", str(target)]) == 0
    out = capsys.readouterr().out
    assert starter.read_text() == before  # the KB's own article, untouched
    assert "reset-password is the id of en/account/reset-password.md" in out
    kb = load(target)
    assert "Imported text." in kb.get("markdown-reset-password").body
    assert kb.get("tool-js").lang == "en"  # `.js` is no language
    guide = kb.get("guide")
    assert "javascript:" not in guide.body and "an SVG can carry script" in out
    # an author's edits survive a second import of the same site
    path = kb.path_of(guide)
    path.write_text(
        path.read_text().replace("lang: en\n", "lang: en\ntype: faq\nreview_every: 6m\n")
    )
    assert main(["import", "markdown", str(site), "--into", str(target)]) == 0
    again = load(target).get("guide")
    assert again.type == "faq" and str(again.review_every) == "6m"


def test_percent_encoded_old_urls_and_votes_that_drop_to_zero(tmp_path, capsys):
    export = tmp_path / "zd"
    export.mkdir()
    art = {
        "id": 5,
        "title": "Spåra",
        "locale": "sv",
        "source_locale": "sv",
        "html_url": "https://x.zendesk.com/hc/sv/articles/5-Sp%C3%A5ra",
        "body": "<p>Text.</p>",
        "vote_sum": 4,
        "vote_count": 4,
    }
    (export / "articles.json").write_text(json.dumps({"articles": [art]}))
    target = tmp_path / "kb"
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    assert "hc/sv/articles/5-Spåra" in load(target).get("zendesk-5").aliases
    art["vote_sum"] = art["vote_count"] = 0
    (export / "articles.json").write_text(json.dumps({"articles": [art]}))
    assert main(["import", "zendesk", str(export), "--into", str(target)]) == 0
    db = sqlite3.connect(target / ".kb" / "feedback.db")
    assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


def test_two_pages_with_one_id_keep_their_own_translations(tmp_path, capsys):
    site = tmp_path / "site"
    for rel, title in (
        ("a/b-c.md", "First"),
        ("a/b-c.nl.md", "Eerste"),
        ("a-b/c.md", "Second"),
        ("a-b/c.nl.md", "Tweede"),
    ):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(f"---\ntitle: {title}\n---\nText.\n")
    assert main(["import", "markdown", str(site), "--into", str(tmp_path / "kb")]) == 0
    kb = load(tmp_path / "kb")
    pairs = {a.title: kb.get(a.translation_of).title for a in kb.articles if a.translation_of}
    assert pairs == {"Eerste": "First", "Tweede": "Second"}
