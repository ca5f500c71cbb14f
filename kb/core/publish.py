"""What under the articles folder may become a site file: kb check and the build apply these rules.

- Markdown is read only from files ending in `.md`; any other Markdown name (`.markdown`, `.mkd`,
  `.MD`...) is an error, because MkDocs would publish it past kb's audience and status rules.
- A symbolic link that leaves the articles folder, or leads nowhere, is an error; nothing is
  published from outside the KB.
- A static file (an image, a PDF) is published only when an article of the build links to it, or
  when it sits in one of the `assets` folders, which are published as they are.
- A public article may include (`--8<--`, pymdownx.snippets) only public articles, asset files
  and files of the project outside the articles folder; never a non-public article, never a
  file outside the project, never a URL.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.core.article import Article
from kb.core.errors import ArticleError
from kb.core.reading import SKIP_DIRS, shown_path
from kb.core.settings import Settings
from kb.core.text import links

# every name Python-Markdown and MkDocs read as Markdown (mkdocs.utils.markdown_extensions)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd", ".mdwn", ".mdtxt", ".mdtext")
HTML_REF = re.compile(
    r"""<(?:img|a|source|video|audio|link|embed|object)\b[^>]*?\b(?:src|href|data|poster)\s*=\s*["']([^"']+)["']""",
    re.I,
)
REF_TARGET = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?", re.M)
SNIPPET = re.compile(r"""^\s*(;?)-{1,}8<-{1,}\s*(?:(["'])(.*?)\2)?\s*$""")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def docs_problems(settings: Settings) -> list[ArticleError]:
    """Symbolic links out of the articles folder and Markdown files kb would not read."""
    root = settings.docs_dir
    real_root = os.path.realpath(root)
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            rel = Path(path).relative_to(root).as_posix()
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    message = f"a symbolic link to nothing ({os.readlink(path)}): remove it"
                elif not _inside(target, real_root):
                    message = (
                        f"a symbolic link to {os.readlink(path)}, outside the articles folder: "
                        "kb publishes nothing from outside the knowledge base"
                    )
                else:
                    continue
                out.append(ArticleError(shown_path(root, rel), 1, "file", message))
            elif name in files and _bad_markdown_name(name):
                out.append(
                    ArticleError(
                        shown_path(root, rel),
                        1,
                        "file",
                        "kb reads Markdown only from files ending in .md, so this one would be "
                        f"published unchecked: rename it to {name.rsplit('.', 1)[0]}.md",
                    )
                )
    return out


def _bad_markdown_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(MARKDOWN_SUFFIXES) and not name.endswith(".md")


def outside(settings: Settings, abs_path: str) -> bool:
    """True when a file MkDocs found is, once links are followed, not inside the articles folder."""
    return not _inside(os.path.realpath(abs_path), os.path.realpath(settings.docs_dir))


def file_links(article: Article) -> Iterator[tuple[int, str]]:
    """(line, articles-folder path) of each local file an article's body links to or shows."""
    base = posixpath.dirname(article.rel_path)
    found = list(links(article.body, article.body_line, images=True))
    if "]:" in article.body:
        for m in REF_TARGET.finditer(article.body):
            found.append((article.body_line + article.body.count("\n", 0, m.start()), m.group(1)))
    if "<" in article.body:
        for m in HTML_REF.finditer(article.body):
            found.append((article.body_line + article.body.count("\n", 0, m.start()), m.group(1)))
    for line, target in found:
        if not target or "://" in target or target.startswith(("#", "mailto:", "tel:", "data:")):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path:
            continue
        resolved = posixpath.normpath(
            path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
        )
        if not resolved.startswith("../"):
            yield line, resolved


def published_files(articles: Iterable[Article], settings: Settings) -> set[str]:
    """Articles-folder paths of the static files the articles of a build link to."""
    return {path for a in articles for _, path in file_links(a) if not path.endswith(".md")}


def in_assets(rel: str, settings: Settings) -> bool:
    """True for a file in one of the `assets` folders, which are published as they are."""
    return any(rel == f or rel.startswith(f.rstrip("/") + "/") for f in settings.assets)


def includes(body: str) -> Iterator[tuple[int, str]]:
    """(body line, target) of each pymdownx.snippets include (`--8<-- "file"`, block form too)."""
    block = False
    for n, line in enumerate(body.splitlines()):
        m = SNIPPET.match(line)
        if m:
            if m.group(1):  # `;--8<--` is an escaped, inert include
                continue
            if m.group(3) is not None:
                yield n, m.group(3)
            else:
                block = not block
            continue
        if block and line.strip() and not line.lstrip().startswith(";"):
            yield n, line.strip()


def include_problems(
    article: Article, by_path: dict[str, Article], settings: Settings
) -> Iterator[ArticleError]:
    """A public article's includes of anything but public articles and the project's own files."""
    if "8<" not in article.body or not article.is_public:
        return
    docs = os.path.realpath(settings.docs_dir)
    project = os.path.realpath(settings.root)
    for n, target in includes(article.body):
        where = shown_path(settings.docs_dir, article.rel_path)
        line = article.body_line + n
        name = target.split(":", 1)[0] if "://" not in target else target
        if "://" in name:
            yield ArticleError(
                where, line, "includes", f"includes a URL ({target}): kb includes no remote text"
            )
            continue
        for base in (settings.docs_dir, settings.root):
            candidate = os.path.realpath(os.path.join(base, name))
            if os.path.exists(candidate):
                break
        else:
            continue  # pymdownx.snippets reports a missing file itself
        message = ""
        if not _inside(candidate, project):
            message = "is outside the project: kb publishes nothing from outside the knowledge base"
        elif _inside(candidate, docs):
            rel = Path(candidate).relative_to(docs).as_posix()
            other = by_path.get(rel)
            if other is not None and not other.is_public:
                message = f"is a non-public article ({other.id}, {other.audience}, {other.status})"
            elif other is None and not in_assets(rel, settings):
                message = "is not an article or an asset file of the articles folder"
        if message:
            yield ArticleError(where, line, "includes", f"the include {target!r} {message}")
