"""`kb check` for editors: template text left in, articles without a category, mistyped links."""

from __future__ import annotations

from kb.cli import main

OPTIONS = {
    "languages": ["en"],
    "categories": {"account": {"title": "Account"}, "orders": {"title": "Orders"}},
}


def check(config, capsys, monkeypatch) -> tuple[int, list[str]]:
    monkeypatch.chdir(config.parent)
    code = main(["check", str(config), "--strict"])
    return code, capsys.readouterr().out.splitlines()


def test_template_text_left_in_a_published_article_is_flagged_a_draft_is_not(
    make_kb, capsys, monkeypatch
):
    body = "## Issue\n\nWhat the customer sees.\n\n## Resolution\n\n1. First step.\n2. Log in.\n"
    config = make_kb(
        {
            "en/account/a.md": (
                {
                    "title": "A",
                    "category": "account",
                    "summary": "One sentence that says what this article solves.",
                },
                body,
            ),
            "en/account/b.md": ({"title": "B", "category": "account", "status": "draft"}, body),
            "en/account/c.md": (
                {"title": "C", "category": "account"},
                "```\nFirst step.\n```\n\n## Still need help?\n\n"
                "Contact support and mention this article.\n",
            ),
        },
        kb_options=OPTIONS,
    )
    code, lines = check(config, capsys, monkeypatch)
    assert code == 1
    assert lines == [
        "articles/en/account/a.md:4: summary: warning: still the template's example",
        "articles/en/account/a.md:8: body: warning: template text left in: 'What the customer "
        "sees.'; write the real one",
        "articles/en/account/a.md:12: body: warning: template text left in: 'First step.'; "
        "write the real one",
    ]


def test_an_article_outside_any_category_gets_a_warning(make_kb, capsys, monkeypatch):
    config = make_kb(
        {
            "en/a.md": {"title": "A"},
            "en/account/b.md": {"title": "B", "category": "account"},
            "en/old.md": {"title": "Old", "status": "archived"},
        },
        kb_options=OPTIONS,
    )
    code, lines = check(config, capsys, monkeypatch)
    assert code == 1
    assert lines == [
        "articles/en/a.md:2: category: warning: no category: the site lists it under none; "
        "add one of: account, orders"
    ]


def test_a_mistyped_or_moved_link_gets_a_did_you_mean(make_kb, capsys, monkeypatch):
    config = make_kb(
        {
            "en/orders/track-order.md": {"title": "Track", "category": "orders"},
            "en/account/login.md": {"title": "Log in", "category": "account"},
            "en/orders/refunds.md": (
                {"title": "Refunds", "category": "orders"},
                "See [tracking](track-ordr.md) and [logging in](login.md#two-factor).\n",
            ),
        },
        kb_options=OPTIONS,
    )
    code, lines = check(config, capsys, monkeypatch)
    assert code == 1
    assert lines == [
        "articles/en/orders/refunds.md:5: links: broken link to 'login.md#two-factor': no such "
        "article (did you mean '../account/login.md'?)",
        "articles/en/orders/refunds.md:5: links: broken link to 'track-ordr.md': no such article "
        "(did you mean 'track-order.md'?)",
    ]


def test_kb_build_says_each_error_once(make_kb, capsys, monkeypatch):
    config = make_kb({"en/a.md": {"title": "A", "type": "nonsense"}}, kb_options=OPTIONS)
    assert main(["build", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    said = (captured.out + captured.err).count("'nonsense' is not one of")
    assert said == 1, captured.err
