"""Liquid and kramdown (Jekyll) and shortcodes (Hugo) in a page's Markdown, made plain kb Markdown.

Callouts become admonitions that keep their text, includes are inlined, `{:...}` attribute lists
go (a callout class makes its paragraph an admonition), `{% raw %}` text is kept as written, and
links by file (`{% link %}`, `{{< ref >}}`) are marked for the importer to resolve.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.authoring.importers.common import Export, Item, kb_language, url_path
from kb.authoring.importers.convert import CALLOUTS, admonition, callout_type, to_markdown
from kb.core.errors import UsageError, display_path
from kb.core.text import slugify

INCLUDE_DEPTH = 3
# every pattern is bounded (no `.*?` across a page): a hostile page costs linear time
RAW_OPEN = re.compile(r"{%-?\s*raw\s*-?%}")
RAW_CLOSE = re.compile(r"{%-?\s*endraw\s*-?%}")
LIQUID_TAG = re.compile(r"{%-?\s*(end)?(\w+)([^%]{0,500}?)-?%}")
SHORTCODE_TAG = re.compile(r"{{[<%]\s*(/)?(\w[\w-]{0,40})([^>%]{0,500}?)\s*[>%]}}")
INCLUDE = re.compile(r"{%-?\s*include(?:_relative)?\s+([\w./-]+)([^%]{0,2000}?)-?%}")
INCLUDE_PARAM = re.compile(r"""(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))""", re.S)
INCLUDE_VAR = re.compile(r"{{-?\s*include\.(\w+)((?:\s*\|[^}]*)?)\s*-?}}")
DEFAULT_FILTER = re.compile(r"""\|\s*default:\s*["']([^"']*)["']""")
LINK_TAG = re.compile(r"{%-?\s*(?:link|post_url)\s+([^\s%]+)\s*-?%}")
SITE_VAR = re.compile(r"{{-?\s*site\.(\w+)\s*-?}}")
HIGHLIGHT = ("highlight", "code", "codeblock")
RELATIVE_URL = re.compile(r"""{{-?\s*["']([^"']*)["']\s*\|\s*(relative_url|absolute_url)\s*-?}}""")
LIQUID_LEFT = re.compile(r"{%[^%]{0,500}%}|{{[^{}]{0,500}}}")
SHORTCODE_REF = re.compile(r"""{{[<%]\s*(?:rel)?ref\s+["']?([^"'\s>%]+)["']?\s*[>%]}}""")
SHORTCODE_LEFT = re.compile(r"{{[<%][^>%]{0,500}[>%]}}")
LONG_LINE = 5000  # longer lines keep their kramdown: no help article has headings that long
BLOCK_IAL = re.compile(r"^\s*{:\s*([^}]*)}\s*$")
INLINE_IAL = re.compile(r"{:[^}\n]*}")
HEADING_ID = re.compile(r"^(#{1,6}\s+.+?)\s*{\s*#([\w-]+)[^}]*}\s*$")
KB_SRC = "kbsrc:"


@dataclass
class Site:
    """What the importer knows of the site: its kind, content folder, base URL and languages."""

    kind: str
    root: Path
    content: Path
    url: str = ""  # https://host/base/
    baseurl: str = ""  # /base
    default_lang: str = "en"
    lang_dirs: dict[str, str] = field(default_factory=dict)  # folder below content -> language
    collections: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)  # site.X of the config, when text


class _AnyTag(yaml.SafeLoader):
    pass


_AnyTag.add_multi_constructor("", lambda loader, suffix, node: None)


def _config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")[:1_000_000]
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = yaml.load(text, Loader=_AnyTag)
    except (
        OSError,
        UnicodeDecodeError,
        yaml.YAMLError,
        tomllib.TOMLDecodeError,
        RecursionError,
    ) as exc:
        raise UsageError(
            f"{display_path(path)}: cannot read the site's settings: {str(exc)[:100]}"
        ) from None
    return data if isinstance(data, dict) else {}


def detect(root: Path) -> Site:
    """The kind of site in `root` and where its pages are."""
    if not root.is_dir():
        raise UsageError(f"{display_path(root)}: give the site's folder")
    for name in ("hugo.toml", "hugo.yaml", "config.toml", "config.yaml"):
        if (root / name).is_file() and (root / "content").is_dir():
            cfg = _config(root / name)
            url = str(cfg.get("baseURL") or cfg.get("baseurl") or "")
            site = Site("hugo", root, root / "content", url, "/" + url_path(url).strip("/"))
            site.default_lang = kb_language(str(cfg.get("defaultContentLanguage") or "en")) or "en"
            languages = cfg.get("languages")
            for code, spec in (languages if isinstance(languages, dict) else {}).items():
                folder = spec.get("contentDir") if isinstance(spec, dict) else None
                lang = kb_language(str(code))
                if lang:
                    rel = (
                        Path(folder).relative_to("content").as_posix()
                        if folder and str(folder).startswith("content/")
                        else str(code)
                    )
                    site.lang_dirs[rel] = lang
            return site
    if (root / "mkdocs.yml").is_file():
        cfg = _config(root / "mkdocs.yml")
        url = str(cfg.get("site_url") or "")
        theme: dict[str, Any] = cfg["theme"] if isinstance(cfg.get("theme"), dict) else {}
        site = Site(
            "mkdocs",
            root,
            root / str(cfg.get("docs_dir") or "docs"),
            url,
            "/" + url_path(url).strip("/"),
        )
        site.default_lang = kb_language(str(theme.get("language") or "en")) or "en"
        return site
    if (root / "_config.yml").is_file():
        cfg = _config(root / "_config.yml")
        base = "/" + str(cfg.get("baseurl") or "").strip("/")
        url = str(cfg.get("url") or "").rstrip("/") + base.rstrip("/") + "/"
        site = Site("jekyll", root, root, url, base.rstrip("/"))
        site.default_lang = kb_language(str(cfg.get("lang") or "en")) or "en"
        colls = cfg.get("collections")
        site.collections = tuple(f"_{c}" for c in colls) if isinstance(colls, dict | list) else ()
        site.variables = {
            str(k): str(v) for k, v in cfg.items() if isinstance(v, str) and len(v) <= 300
        }
        return site
    return Site("markdown", root, root)


def convert_body(site: Site, export: Export, item: Item, body: str) -> tuple[str, dict[str, str]]:
    """Liquid, kramdown and shortcodes out; the body as kb Markdown and its explicit anchors."""
    kept: list[str] = []

    text = _protect_raw(body, kept)
    for _ in range(INCLUDE_DEPTH):
        new = INCLUDE.sub(lambda m: _include(site, export, item, m), text)
        if new == text:
            break
        text = new
    text = SITE_VAR.sub(lambda m: _site_variable(site, m), text)
    text = RELATIVE_URL.sub(lambda m: site.baseurl.rstrip("/") + "/" + m.group(1).lstrip("/"), text)
    text = LINK_TAG.sub(lambda m: KB_SRC + m.group(1), text)
    text = SHORTCODE_REF.sub(lambda m: KB_SRC + _hugo_ref(site, item, m.group(1)), text)
    text = _pairs(text, LIQUID_TAG, lambda n, a, inner: _block(export, item, n, a, inner))
    text = _pairs(text, SHORTCODE_TAG, lambda n, a, inner: _block(export, item, n, a, inner))
    left = LIQUID_LEFT.findall(text) + SHORTCODE_LEFT.findall(text)
    if left:
        shown = ", ".join(dict.fromkeys(t[:40] for t in left))
        export.note(item.where, "markup", f"removed what kb cannot show: {shown[:200]}")
        text = SHORTCODE_LEFT.sub("", LIQUID_LEFT.sub("", text))
    text, anchors = _kramdown(text)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    text = re.sub(r"kbraw(\d+)kbraw", lambda m: kept[int(m.group(1))], text)
    return text.strip() + "\n", anchors


def _protect_raw(text: str, kept: list[str]) -> str:
    """`{% raw %}` text out of the way of every other step, as placeholders into `kept`."""
    out, pos = [], 0
    for m in RAW_OPEN.finditer(text):
        if m.start() < pos:
            continue
        close = RAW_CLOSE.search(text, m.end())
        if close is None:
            break  # no later close for any later open either
        out.append(text[pos : m.start()])
        kept.append(text[m.end() : close.start()])
        out.append(f"kbraw{len(kept) - 1}kbraw")
        pos = close.end()
    out.append(text[pos:])
    return "".join(out)


def _pairs(text: str, tag: re.Pattern[str], render: Callable[[str, str, str], str]) -> str:
    """Each block `{% x %}...{% endx %}` (or `{{< x >}}...{{< /x >}}`) replaced by `render`.

    One pass over the tags with a stack, innermost blocks first; a tag with no partner stays as
    it is. Linear in the page, however the tags nest or fail to close.
    """
    tokens = list(tag.finditer(text))
    closers = {m.group(2) for m in tokens if m.group(1)}
    root: list[str] = []
    stack: list[tuple[str, str, str, list[str]]] = []  # name, args, opening text, parts
    pos = 0
    for m in tokens:
        parts = stack[-1][3] if stack else root
        parts.append(text[pos : m.start()])
        pos = m.end()
        closing, name, args = bool(m.group(1)), m.group(2), m.group(3)
        if not closing and name in closers:
            stack.append((name, args, m.group(0), []))
        elif closing and any(frame[0] == name for frame in stack):
            while stack:
                frame_name, frame_args, opening, inner = stack.pop()
                parent = stack[-1][3] if stack else root
                if frame_name == name:
                    parent.append(render(name, frame_args, "".join(inner)))
                    break
                parent.extend([opening, *inner])  # never closed: kept as written
        else:
            parts.append(m.group(0))
    (stack[-1][3] if stack else root).append(text[pos:])
    while stack:
        _, _, opening, inner = stack.pop()
        (stack[-1][3] if stack else root).extend([opening, *inner])
    return "".join(root)


def _hugo_ref(site: Site, item: Item, target: str) -> str:
    path, _, anchor = target.partition("#")
    folder = item.base or site.content
    for candidate in (folder / path, site.content / path.lstrip("/")):
        if candidate.is_file():
            return candidate.resolve().as_posix() + (f"#{anchor}" if anchor else "")
    hits = sorted(site.content.rglob(Path(path).name))
    if hits:
        same = [h for h in hits if h.is_relative_to(folder)] or hits
        return same[0].resolve().as_posix() + (f"#{anchor}" if anchor else "")
    return path + (f"#{anchor}" if anchor else "")


def _include(site: Site, export: Export, item: Item, m: re.Match[str]) -> str:
    name, params_text = m.group(1), m.group(2)
    params = {
        p.group(1): p.group(2) if p.group(2) is not None else (p.group(3) or p.group(4) or "")
        for p in INCLUDE_PARAM.finditer(params_text)
    }
    params = {k: v.replace('\\"', '"') for k, v in params.items()}
    folder = site.root / "_includes"
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        export.note(item.where, "include", f"{name}: not in _includes/, left out")
        return params.get("content", "")
    try:
        template = path.read_text(encoding="utf-8")[:100_000]
    except (OSError, UnicodeDecodeError):
        return params.get("content", "")
    kind = callout_type(re.findall(r'class="([^"]*)"', template)[:1] or None) or (
        CALLOUTS.get(Path(name).stem.lower()) if Path(name).stem.lower() in CALLOUTS else None
    )
    if kind is None and params.get("type") in CALLOUTS:
        kind = CALLOUTS[params["type"]]
    if kind is not None:
        kind = CALLOUTS.get(params.get("type", ""), kind)
        return (
            admonition(kind, params.get("title"), params.get("content", ""))
            if params.get("content")
            else ""
        )

    def var(v: re.Match[str]) -> str:
        default = DEFAULT_FILTER.search(v.group(2) or "")
        return params.get(v.group(1)) or (default.group(1) if default else "")

    filled = INCLUDE_VAR.sub(var, template)
    if "<" in filled:
        return to_markdown(filled).markdown
    return filled


def _site_variable(site: Site, m: re.Match[str]) -> str:
    name = m.group(1)
    if name == "baseurl":
        return site.baseurl
    if name == "url":
        return site.url.rstrip("/").removesuffix(site.baseurl)
    return site.variables.get(name, m.group(0))  # unknown: removed and reported below


def _block(export: Export, item: Item, name: str, args: str, inner: str) -> str:
    if name.lower() == "comment":
        return ""
    if name.lower() in HIGHLIGHT:  # {% highlight ruby %}: a fenced code block
        language = (args.split() or [""])[0]
        return f"\n```{language}\n{inner.strip(chr(10))}\n```\n"
    words = [name.lower(), *re.findall(r"[a-z]+", args.lower())]
    kinds = [CALLOUTS[w] for w in words if w in CALLOUTS]
    if kinds:
        specific = [k for k in kinds if k != "note"]
        title = re.search(r"""title\s*=\s*["']([^"']+)["']""", args)
        return admonition(
            specific[0] if specific else kinds[0], title.group(1) if title else None, inner.strip()
        )
    if name.lower() in ("if", "unless", "for", "capture", "case"):
        export.note(
            item.where, "markup", f"a {{% {name} %}} block: its text kept, the condition dropped"
        )
        return inner
    export.note(item.where, "markup", f"{name}: a block kb does not know: its text kept")
    return inner


def _kramdown(text: str) -> tuple[str, dict[str, str]]:
    """Block IALs: callout classes become admonitions, the rest go; heading ids become anchors."""
    anchors: dict[str, str] = {}
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if len(line) > LONG_LINE:
            out.append(line)
            continue
        heading = HEADING_ID.match(line) if "{" in line else None
        if heading:
            title = re.sub(r"^#+\s+", "", heading.group(1)).strip()
            anchors[heading.group(2)] = slugify(title)
            out.append(heading.group(1))
            continue
        ial = BLOCK_IAL.match(line)
        if ial:
            kind = callout_type(" ".join(re.findall(r"\.([\w-]+)", ial.group(1))))
            if kind and out and out[-1].strip():
                start = len(out)
                while start > 0 and out[start - 1].strip():
                    start -= 1
                para = "\n".join(out[start:])
                del out[start:]
                out.extend(admonition(kind, None, para).strip("\n").split("\n"))
            continue
        out.append(INLINE_IAL.sub("", line))
    return "\n".join(out), anchors
