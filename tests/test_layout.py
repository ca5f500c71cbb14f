"""The package's shape: no import cycles, lower layers never import higher ones, MkDocs only in kb/site.

Every `import` statement counts, also those inside functions and under TYPE_CHECKING: a lazy
import in a circle is still a circle.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kb"
# each package may import the packages listed for it (and itself); everything may import kb.core
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "search": set(),
    "suggest": {"search"},
    "stale": {"search", "suggest", "server"},
    "authoring": {"search", "suggest", "stale"},
    "site": {"search"},
    "server": {"search", "suggest"},
    "commands": {"authoring", "search", "suggest", "stale", "site", "server"},
}


def modules() -> dict[str, Path]:
    """Every module of kb by dotted name."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(module, line) of every kb module that `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _kb(alias.name, node.lineno, known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield from _kb(sub if sub in known else base, node.lineno, known)


def _kb(target: str, line: int, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    while target and target not in known:
        target = target.rpartition(".")[0]
    if target.startswith("kb"):
        yield target, line


def graph() -> dict[str, dict[str, int]]:
    """Module -> {imported kb module: line}."""
    known = modules()
    out: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges = out.setdefault(name, {})
        for target, line in imported(name, path, known):
            if target != name:
                edges.setdefault(target, line)
    return out


def find_cycle(edges: dict[str, dict[str, int]]) -> list[str]:
    """One import cycle as a list of modules (first == last), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def layer(module: str) -> str:
    """The package a module belongs to: kb.search.index -> search; kb.cli -> cli."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kb"


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    cycle = find_cycle(edges)
    where = [f"{a} (line {edges[a][b]}) -> {b}" for a, b in itertools.pairwise(cycle)]
    assert cycle == [], "import cycle: " + "; ".join(where)


def test_the_cycle_check_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 3}}) == []


def test_lower_layers_never_import_higher_ones() -> None:
    wrong = []
    for module, targets in graph().items():
        here = layer(module)
        if here not in LAYERS:
            continue  # kb, kb.cli, kb.__main__: the top
        allowed = {here, "core", "kb"} | LAYERS[here]
        for target, line in targets.items():
            if layer(target) not in allowed:
                wrong.append(f"{module}:{line} imports {target}")
    assert wrong == []


def test_every_package_is_declared() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(LAYERS)


def test_only_the_site_package_imports_mkdocs() -> None:
    found = []
    for name, path in modules().items():
        if layer(name) == "site":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{name}:{node.lineno}" for n in names if n.split(".")[0] == "mkdocs"]
    assert found == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_each_module_says_what_it_is_in_its_first_line_and_stays_small(name: str) -> None:
    path = modules()[name]
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text))
    assert doc and doc.split("\n", 1)[0].strip(), f"{path}: no docstring"
    assert len(text.splitlines()) <= 400, f"{path}: {len(text.splitlines())} lines"


def test_a_suggester_is_made_by_its_factory_only() -> None:
    """Suggester.from_settings is the one way kb builds a suggester from settings."""
    home = PACKAGE / "suggest" / "suggester.py"
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == home:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name == "Suggester":
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_kb_folder_paths_are_declared_in_one_place() -> None:
    """Paths below .kb/ come from kb.core.cache.Layout, not from joins spread over the code."""
    joins = ("kb_dir /", "cache_dir /", "index_dir /", '"articles.pickle"', '"feedback.db"')
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() in ("core/cache.py", "core/settings.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(j in line for j in joins):
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert found == []
