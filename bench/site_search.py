"""Compare browser search engines on the sample KB: Pagefind (kb's choice) and Material's lunr search.

Builds the sample KB twice (our theme with Pagefind; plain Material with its search plugin set to
en, nl and sv), then drives Chromium: for each query, which results come back, in which language,
and how many bytes the browser fetched for the first query. Prints a table.

    python bench/site_search.py
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
# (home page, query, the article that should come first: a path fragment)
QUERIES = [
    ("nl/", "facturen", "nl/billing/download-invoice"),
    ("nl/", "wachtwoorden", "nl/account/reset-password"),
    ("sv/", "fakturor", "sv/billing/download-invoice"),
    ("sv/", "beställningar", "sv/orders/track-order"),
    ("", "invoices", "en/billing/download-invoice"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def build(root: Path) -> tuple[Path, Path]:
    """Build the sample KB with kb (Pagefind) and with plain Material search; return both sites."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    ours = root / "pagefind-site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-q",
            "-f",
            str(REPO / "mkdocs.yml"),
            "-d",
            str(ours),
        ],
        check=True,
        env=env,
    )
    config = {
        "site_name": "Lunr comparison",
        "docs_dir": str(REPO / "articles"),
        "use_directory_urls": True,
        "theme": {"name": "material", "font": False},
        "plugins": [{"search": {"lang": ["en", "nl", "sv"]}}],
        "nav": [{"Home": "en/account/reset-password.md"}],
    }
    plain_cfg = root / "mkdocs-lunr.yml"
    plain_cfg.write_text(yaml.safe_dump(config, allow_unicode=True))
    lunr = root / "lunr-site"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(plain_cfg), "-d", str(lunr)],
        check=True,
        env=env,
    )
    return ours, lunr


def query(page: Any, base: str, home: str, text: str, engine: str) -> tuple[list[str], int]:
    """Run one query; return result hrefs and the bytes fetched for search while it ran."""
    fetched: list[int] = []

    def on_response(response: Any) -> None:
        url = response.url
        if "/pagefind/" in url or "search" in url or "lunr" in url:
            with contextlib.suppress(Exception):
                fetched.append(len(response.body()))

    page.goto(f"{base}/{home if engine == 'pagefind' else 'en/account/reset-password/'}")
    page.on("response", on_response)
    if engine == "pagefind":
        page.locator(".pagefind-ui__search-input").first.fill(text)
        page.wait_for_selector(".pagefind-ui__result-link, .pagefind-ui__message", timeout=15_000)
        page.wait_for_timeout(800)
        links = page.locator(".pagefind-ui__result-inner > .pagefind-ui__result-title a")
    else:
        page.locator(".md-search__input").click()
        page.locator(".md-search__input").fill(text)
        page.wait_for_timeout(6000)
        links = page.locator(".md-search-result__item > .md-search-result__link")
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    page.remove_listener("response", on_response)
    return hrefs, sum(fetched)


def main() -> None:
    """Build both sites, run the queries in Chromium and print the comparison."""
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="kb-search-bench-"))
    try:
        ours, lunr = build(root)
        sizes = {
            "pagefind": sum(
                p.stat().st_size for p in (ours / "pagefind").rglob("*") if p.is_file()
            ),
            "lunr": (lunr / "search/search_index.json").stat().st_size,
        }
        handler = functools.partial(_Quiet, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            print(
                f"index on disk: pagefind {sizes['pagefind'] / 1e3:.0f} KB (all files), lunr {sizes['lunr'] / 1e3:.0f} KB"
            )
            print(
                f"{'engine':9} {'query':15} {'first hit ok':13} {'results':8} {'other-language':15} {'KB fetched':10}"
            )
            for engine, site in (("pagefind", ours), ("lunr", lunr)):
                for home, text, expected in QUERIES:
                    page = browser.new_page()
                    hrefs, fetched = query(page, f"{base}/{site.name}", home, text, engine)
                    page.close()
                    lang = expected.split("/")[0]
                    other = [h for h in hrefs if f"/{lang}/" not in h]
                    ok = bool(hrefs) and expected in hrefs[0]
                    print(
                        f"{engine:9} {text:15} {ok!s:13} {len(hrefs):<8} {len(other):<15} {fetched / 1e3:<10.0f}"
                    )
            browser.close()
        server.shutdown()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
