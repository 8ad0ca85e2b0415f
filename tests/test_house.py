"""The house rules, checked: short modules and functions, no import circles, every module says its job."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "audio"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
EXEMPT_FUNCTIONS = {
    ("audio/text/splitter.py", "split_script"),  # the splitter's rule table: one rule after another, in order
    ("audio/publish/player.py", "player_html"),  # the page's template
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def test_no_module_is_longer_than_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules().values()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_longer_than_60_lines():
    long = {}
    for path in _modules().values():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (where, node.name) not in EXEMPT_FUNCTIONS:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{where}:{node.lineno} {node.name}"] = length
    assert long == {}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports, at import time or inside its functions (not for type checking).

    Imports inside functions count: one that closes a circle only hides it until it runs.
    """
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom):
                base = package.split(".")
                if sub.level:
                    base = base[: len(base) - sub.level + 1]
                    target = ".".join(base + ([sub.module] if sub.module else []))
                else:
                    target = sub.module or ""
                for alias in sub.names:
                    full = f"{target}.{alias.name}"
                    found.add(full if full in known else target)
            elif isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names)
    return {m for m in found if m in known and m != name}


def test_no_import_circles():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    # a package's __init__ is imported with each of its modules: an edge into a package is not a circle back
    circles = []

    def visit(node, stack, seen):
        for nxt in sorted(graph[node]):
            if nxt in stack and not stack[stack.index(nxt):] == [nxt] and not node.startswith(nxt + "."):
                circles.append(" → ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, stack + [nxt], seen)

    for start in graph:
        visit(start, [start], {start})
    assert sorted(set(circles)) == []


def test_every_module_opens_with_what_it_does():
    missing = [str(p.relative_to(ROOT)) for p in _modules().values()
               if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text()))]  # fmt: skip
    assert missing == []
