"""The kb plugin declares every kb setting to MkDocs, and the switches are checked like the rest."""

from __future__ import annotations

import pytest

from kb.cli import main
from kb.core.settings import OPTIONS
from kb.site.config import BUILD_SWITCHES, KBPluginConfig


def test_the_plugin_declares_every_kb_setting_and_nothing_else():
    declared = {name for name, _ in KBPluginConfig._schema} - set(BUILD_SWITCHES)
    assert declared == {o.name for o in OPTIONS}
    assert all(o.help and len(o.help) < 100 for o in OPTIONS)


@pytest.mark.parametrize("switch", ["parallel", "cache"])
def test_a_switch_must_be_true_or_false(make_kb, capsys, switch):
    config = make_kb({"en/a.md": {"title": "A"}}, kb_options={switch: "sometimes"})
    assert main(["check", str(config)]) == 1
    assert f"kb.{switch}: must be true or false" in capsys.readouterr().err
    config = make_kb({"en/a.md": {"title": "A"}}, kb_options={switch: False})
    assert main(["check", str(config)]) == 0


def test_enabled_false_is_mkdocs_own_switch(make_kb):
    from mkdocs.config import load_config

    config = make_kb({"en/a.md": {"title": "A"}}, kb_options={"enabled": False})
    assert "kb" not in load_config(config_file=str(config)).plugins
    config = make_kb({"en/a.md": {"title": "A"}}, kb_options={"enabled": True})
    assert "kb" in load_config(config_file=str(config)).plugins
