"""An article becomes a site: the MkDocs plugin, the site model, i18n and the build.

The only package that imports MkDocs. Its speed machinery is in `kb.site.fast`. The build runs
on MkDocs 1.x or on ProperDocs, its maintained continuation: `KB_ENGINE=properdocs` (or a machine
with ProperDocs and no MkDocs) sends every `mkdocs.*` import to ProperDocs, as ProperDocs' own
command line does.
"""

from __future__ import annotations

import importlib.util
import os
import sys

ENGINE_ENV = "KB_ENGINE"  # mkdocs or properdocs


def _engine() -> str:
    if "properdocs" in sys.modules and sys.modules.get("mkdocs") is sys.modules["properdocs"]:
        return "properdocs"  # run by ProperDocs' command line
    wanted = os.environ.get(ENGINE_ENV, "").strip().lower()
    if wanted not in ("", "mkdocs", "properdocs"):
        wanted = ""
    has_properdocs = importlib.util.find_spec("properdocs") is not None
    if wanted == "properdocs" or (
        not wanted and has_properdocs and importlib.util.find_spec("mkdocs") is None
    ):
        import properdocs.replacement  # noqa: F401  (mkdocs.* imports become properdocs.*)

        return "properdocs"
    return "mkdocs"


ENGINE = _engine()
LOGGER = ENGINE  # the root logger of the engine's messages (MkDocs' strict mode counts them)
