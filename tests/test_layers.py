"""The package's shape, checked with plain ``ast``: no import cycle in ``kiosk/`` (imports inside functions
count), and the layers point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import kiosk

ROOT = Path(kiosk.__file__).resolve().parent

# Which top-level parts of the package each part may import (its own modules always).  Data flows one way:
# shells (cli, tui) -> services -> store and renderers -> core.
MAY_IMPORT = {
    "core": {"errors"},
    "store": {"core", "errors", "files"},
    "badges": {"core", "errors", "fonts", "files"},
    "reports": {"core", "errors", "fonts", "files"},
    "fonts": {"errors"},
    "files": set(),
    "errors": set(),
    "hub": {"core", "errors"},  # the PostgreSQL hub: its schema, its admin, the client a kiosk syncs with
    "services": {"core", "store", "errors", "badges", "reports", "files", "hub"},
    "cli": {"core", "store", "services", "errors", "badges", "reports", "tui", "files", "hub"},
    "tui": {"core", "services", "errors", "badges", "reports", "files"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``kiosk`` module ``path`` imports, wherever the import statement is (functions included), except
    those only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for statement in block.body for node in ast.walk(statement)}
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    modules = {_module_name(file) for file in ROOT.rglob("*.py")}
    return {name for name in found if name in modules}


def graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) - {_module_name(path)} for path in ROOT.rglob("*.py")}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a cycle or a knot of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _is_package_init(name: str) -> bool:
    return (ROOT.parent / Path(*name.split(".")) / "__init__.py").exists()


def test_no_import_cycles():
    edges = graph()
    # A package's __init__ is imported with any of its modules; that link is Python's, not a design choice.
    pruned = {module: {target for target in targets if not (_is_package_init(target)
                                                              and module.startswith(f"{target}."))}
              for module, targets in edges.items()}
    assert cycles(pruned) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_layers_point_one_way():
    wrong = []
    for module, targets in graph().items():
        part = module.split(".")[1] if "." in module else "kiosk"
        allowed = MAY_IMPORT.get(part)
        if allowed is None:
            continue
        for target in targets:
            other = target.split(".")[1] if "." in target else "kiosk"
            if other != part and other not in allowed and other != "kiosk":
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_core_never_imports_textual_or_io_layers():
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        banned = ("textual", "rich", "sqlite3", "sqlite_utils")
        assert not {name for name in names if name.split(".")[0] in banned}, path


def test_no_module_is_too_long():
    long = {str(path.relative_to(ROOT)): lines for path in ROOT.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}
