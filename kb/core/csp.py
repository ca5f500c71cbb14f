"""The help site's Content-Security-Policy: one policy `kb serve` sends and a static host can reuse.

The site's own scripts are files from its origin: Material's bundle, Pagefind's UI (whose search
runs as WebAssembly, hence 'wasm-unsafe-eval', and loads its index and fragments with fetch),
vendored Mermaid and theme/assets/kb.js. Mermaid writes inline styles, hence 'unsafe-inline' for
styles only. Material puts two tiny inline scripts in every page (partials/javascripts/base.html
and content.html); they are allowed by their SHA-256 hashes, one per page depth for the first,
whose text names the page's relative base URL. A Material upgrade that changes them needs the new
text here (tests/test_server_security.py checks every inline script of a built site).
"""

from __future__ import annotations

import base64
import hashlib

# Material 9's partials/javascripts/base.html; {scope} is config.extra.scope or the page's base_url
MATERIAL_SCOPE_SCRIPT = (
    '__md_scope=new URL("{scope}",location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+'
    "_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem("
    't.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{{try{{t.setItem('
    'a.pathname+"."+e,JSON.stringify(_))}}catch(e){{}}}}'
)
# Material 9's partials/javascripts/content.html (the second only with content.tabs.link)
MATERIAL_CONTENT_SCRIPTS = (
    "var target=document.getElementById(location.hash.slice(1));target&&target.name&&"
    '(target.checked=target.name.startsWith("__tabbed_"))',
    'var tabs=__md_get("__tabs");if(Array.isArray(tabs))e:for(var set of document.'
    'querySelectorAll(".tabbed-set")){var labels=set.querySelector(".tabbed-labels");for(var '
    'tab of tabs)for(var label of labels.getElementsByTagName("label"))if(label.innerText.trim()'
    "===tab){var input=document.getElementById(label.htmlFor);input.checked=!0;continue e}}",
)
MAX_DEPTH = 6  # pages up to six folders deep; kb's deepest, <lang>/<category>/<slug>/, are three


def script_hash(text: str) -> str:
    """The CSP source expression that allows one inline script: 'sha256-<base64>'."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _scopes() -> list[str]:
    """Material's base_url on a page at each depth, and "/" (the 404 page, site_url's path)."""
    return [".", "/", *("/".join([".."] * depth) for depth in range(1, MAX_DEPTH + 1))]


INLINE_SCRIPT_HASHES = tuple(
    [script_hash(MATERIAL_SCOPE_SCRIPT.format(scope=s)) for s in _scopes()]
    + [script_hash(text) for text in MATERIAL_CONTENT_SCRIPTS]
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' " + " ".join(INLINE_SCRIPT_HASHES),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# for a <meta http-equiv> in the pages themselves, for static hosts that send no header:
# browsers ignore frame-ancestors there (and say so in the console), so it is left out
META_POLICY = "; ".join(
    part for part in CONTENT_SECURITY_POLICY.split("; ") if not part.startswith("frame-ancestors")
)
