"""The package's layers, read from its source with ``ast`` (nothing is imported): no import cycles
among graders' modules, and the engine never reaches up to the stages.

The layers, bottom up: the child's code (``graders.kernel``) and the protocol it speaks
(``graders.protocol``); the trusted checks (``graders.checks``); the course's knowledge
(``graders.course``); the engine that runs sealed children (``graders.engine``); the nbgrader stages
(``graders.preprocessors``); the batch (``graders.autograde``) and the tools on top (cli, serve,
report, gradescope, lms). A module may import from its own layer or below, never above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graders"


#: Known exceptions, each with its reason. The child copies the submission's folder into its
#: private tmpfs with the engine's bounded copy (one implementation of the walk's rules).
ALLOWED = {("graders.kernel.confine", "graders.engine"),
           ("graders.kernel.confine", "graders.engine.scratch")}


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path], top_level_only: bool) -> set[str]:
    """The graders modules ``name`` imports (``top_level_only``: those imported when it is)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also what a module-level if/try imports (not TYPE_CHECKING's)
        nodes = [n for stmt in tree.body for n in _module_level(stmt)]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in modules:
                found.add(target)
    found.discard(name)
    return found


def _module_level(stmt):
    if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
        return
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        yield stmt
    elif isinstance(stmt, ast.If | ast.Try):
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                yield from _module_level(child)
        for handler in getattr(stmt, "handlers", []):
            for child in handler.body:
                yield from _module_level(child)


def graph(root: Path = PACKAGE, top_level_only: bool = True) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: _imports(name, path, modules, top_level_only)
            for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``edges`` (one per strongly connected component of two or more
    modules, or a module importing itself), by Tarjan's algorithm."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_no_module_of_graders_imports_itself_back():
    found = cycles(graph())
    assert found == [], f"import cycles: {found}"


@pytest.mark.parametrize(("lower", "upper"), [
    ("graders.engine", "graders.preprocessors"),
    ("graders.engine", "graders.autograde"),
    ("graders.course", "graders.engine"),
    ("graders.kernel", "graders.engine"),
    ("graders.kernel", "graders.checks"),
    ("graders.protocol", "graders."),
    ("graders.checks", "graders.engine"),
    ("graders.checks", "graders.preprocessors"),
    ("graders.preprocessors", "graders.autograde"),
])
def test_a_layer_never_imports_one_above_it(lower, upper):
    """Even inside a function: a lazy import is a dependency too."""
    wrong = [(name, sorted(t for t in targets if t.startswith(upper)
                           and (name, t) not in ALLOWED))
             for name, targets in graph(top_level_only=False).items()
             if name.startswith(lower)]
    wrong = [(name, targets) for name, targets in wrong if targets]
    assert wrong == [], f"{lower} imports {upper}: {wrong}"


def test_the_child_side_imports_only_the_standard_library_from_the_protocol():
    """The protocol runs in the sandbox with the student's code: standard library only."""
    tree = ast.parse((PACKAGE / "protocol.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and not node.level}
    import sys

    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_the_checks_find_a_cycle_and_a_layer_broken(tmp_path):
    """The two checks above can fail: a small package with a cycle and an upward import."""
    pkg = tmp_path / "graders"
    for sub in ("engine", "preprocessors"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "engine" / "batch.py").write_text(
        "from ..preprocessors.stage import Stage\nfrom . import pool\n")
    (pkg / "engine" / "pool.py").write_text("def f():\n    pass\nfrom .batch import x\n")
    (pkg / "preprocessors" / "stage.py").write_text("Stage = 1\n")
    edges = graph(pkg)
    assert cycles(edges) == [["graders.engine.batch", "graders.engine.pool"]]
    assert "graders.preprocessors.stage" in edges["graders.engine.batch"]
