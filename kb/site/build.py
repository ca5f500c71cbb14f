"""The commands' way into MkDocs: `kb build` builds beside the live site and swaps; `kb serve --live`."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, MkDocsException

from kb.core.errors import KBError, SettingsError, UsageError, display_path
from kb.core.settings import Settings
from kb.site import LOGGER
from kb.site.checks import config_problems
from kb.site.output import Staging
from kb.site.plugin import AUDIENCE_ENV, KBPlugin


def load(settings: Settings, site_dir: Path, internal: bool) -> tuple[MkDocsConfig, KBPlugin]:
    """The MkDocs config of `settings` writing into `site_dir`, and its kb plugin."""
    if settings.config_file is None:
        raise UsageError("kb build needs a mkdocs.yml with the kb plugin (give --config PATH)")
    errors = [p for p in config_problems(settings) if p.is_error]
    if errors:
        raise SettingsError("\n".join(map(str, errors)))
    config = _load_config(settings, site_dir)
    plugin = config.plugins.get("kb")
    if not isinstance(plugin, KBPlugin):
        raise UsageError(f"{settings.config_file}: add the kb plugin under 'plugins:'")
    plugin.config.internal = internal
    # this build's switches are the caller's (the same mkdocs.yml, or settings changed in code)
    plugin.config.parallel = settings.parallel
    plugin.config.cache = settings.cache
    plugin.kb_build = True
    return config, plugin


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _load_config(settings: Settings, site_dir: Path) -> MkDocsConfig:
    """MkDocs' own validation of mkdocs.yml; its errors become one SettingsError, no traceback."""
    assert settings.config_file is not None
    collect = _Collect()
    logger = logging.getLogger(f"{LOGGER}.config")
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False  # errors said once, below
    try:
        config = load_config(config_file=str(settings.config_file), site_dir=str(site_dir))
    except (Abort, MkDocsException) as exc:
        where = display_path(settings.config_file)
        # in strict mode MkDocs aborts on its warnings: they are the reason to name
        errors = [r.getMessage() for r in collect.records if r.levelno >= logging.ERROR]
        errors = errors or [r.getMessage() for r in collect.records]
        raise SettingsError("\n".join(f"{where}: {m}" for m in errors or [str(exc)])) from None
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    for record in collect.records:  # MkDocs' warnings about the config, as it logs them
        logger.handle(record)
    return config


@contextlib.contextmanager
def _mkdocs_errors(plugin: KBPlugin) -> Iterator[None]:
    try:
        yield
    except (Abort, MkDocsException) as exc:
        if plugin.failure is not None:
            raise plugin.failure from None
        raise KBError(f"the site build failed: {exc}") from None


class _Quiet(logging.Filter):
    """MkDocs' note on a 'dirty' build, and its log line of a kb failure that kb build reports."""

    def __init__(self, plugin: KBPlugin) -> None:
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        failure = self.plugin.failure
        if failure is not None and record.levelno >= logging.ERROR and message == str(failure):
            return False  # said once, by kb build, when the build stops
        return "'dirty' build" not in message


def build_site(
    settings: Settings, internal: bool = False, full: bool = False, staging: Staging | None = None
) -> Path:
    """Build the public (or internal) site beside its target, then swap it in; return the target.

    `staging` is the folder to build in when the caller started it early (see kb.site.output).
    """
    from mkdocs.commands.build import build

    staging = staging or Staging.for_site(settings, internal, full)
    pid = os.getpid()
    try:
        config, plugin = load(settings, staging.folder, internal)
        quiet = _Quiet(plugin)
        logging.getLogger(f"{LOGGER}.commands.build").addFilter(quiet)
        staging.ready()
        try:
            with _mkdocs_errors(plugin):
                # dirty: MkDocs skips the pages whose is_modified() is False: the ones an
                # incremental build keeps and the other renderer's half (kb.site.fast.split)
                build(config, dirty=True)
        finally:
            logging.getLogger(f"{LOGGER}.commands.build").removeFilter(quiet)
        return staging.commit()
    finally:
        if os.getpid() != pid:  # a forked renderer never gets here normally; never cleans up
            os._exit(1)
        staging.close()


def serve(settings: Settings, host: str, port: int, internal: bool = False) -> None:
    """Preview the site with live reload (the agents' site with internal=True)."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    if settings.config_file is None:
        raise UsageError("kb serve needs a mkdocs.yml with the kb plugin (give --config PATH)")
    if internal:
        os.environ[AUDIENCE_ENV] = "internal"
    try:
        mkdocs_serve(
            config_file=str(settings.config_file), dev_addr=f"{host}:{port}", livereload=True
        )
    except (Abort, MkDocsException) as exc:
        raise KBError(f"the preview failed: {exc}") from None
