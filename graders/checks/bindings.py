"""Bindings: which names an exercise's own cells assign, read from their source (trusted side).

A blank exercise must stay blank whatever code from other cells does (a thread, a hook, a
finalizer): an answer counts only when the exercise's own cells bind its name. The cells are read
as the grader sees them, after IPython's own transformer (magics and ``!`` commands become
Python; the body of a cell magic such as ``%%time`` and the line of ``%time`` are read too), and
parsed with ``ast``. A name is bound by an assignment (tuple targets included), an augmented or
annotated assignment, a walrus, a ``for``/``with``/``except ... as`` target, a ``match`` capture,
an import, a ``def``/``class``, a ``global`` declaration in a function, an item assignment into
``globals()``, ``locals()`` or ``vars()`` with the name written out, a ``globals().update(...)``
with the names written out (keywords or a dict with string keys), or code run by ``exec`` from a
string written out in the cell (read like a magic's body). Code run from a string made at run
time binds nothing here: the grader cannot know what it binds.

Leans on IPython's own transformer (``TransformerManager``) for magics and on ``ast``. Written by
hand: which names a cell binds; no library answers that for a grader.
"""

from __future__ import annotations

import ast

from IPython.core.inputtransformer2 import TransformerManager

_transformer = TransformerManager()
MAGICS_WITH_CODE = {"time", "timeit", "capture", "prun", "debug"}


def _parse(source: str) -> ast.AST | None:
    try:
        return ast.parse(_transformer.transform_cell(source))
    except (SyntaxError, ValueError, TypeError):
        return None


def _names(tree: ast.AST, depth: int = 0) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Global):
            out.update(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                out.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            out.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out.add(node.rest)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and (
                _is_globals(node.value) and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)):
            out.add(node.slice.value)
        elif isinstance(node, ast.Call) and depth < 3:
            out |= _magic_body(node, depth) | _exec_body(node, depth) | _update_keys(node)
    return out


def _is_globals(node) -> bool:
    """``globals()``, and ``locals()`` or ``vars()`` (the same namespace at a cell's top level)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "locals", "vars") and not node.args)


def _exec_body(node: ast.Call, depth: int) -> set[str]:
    """``exec("y = ...")``: the names the string written out in the call binds."""
    if not (isinstance(node.func, ast.Name) and node.func.id == "exec" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return set()
    tree = _parse(node.args[0].value)
    return _names(tree, depth + 1) if tree is not None else set()


def _update_keys(node: ast.Call) -> set[str]:
    """``globals().update(y=...)`` or ``globals().update({"y": ...})``: the keys written out."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "update" and _is_globals(func.value)):
        return set()
    out = {kw.arg for kw in node.keywords if kw.arg}
    for arg in node.args:
        if isinstance(arg, ast.Dict):
            out |= {k.value for k in arg.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return out


def _magic_body(node: ast.Call, depth: int) -> set[str]:
    """The code inside ``%time ...`` / ``%%time`` (IPython turns them into
    ``get_ipython().run_line_magic('time', 'code')`` / ``run_cell_magic('time', '', 'code')``)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic",
                                                              "run_cell_magic")):
        return set()
    args = [a.value for a in node.args if isinstance(a, ast.Constant)]
    if len(args) != len(node.args) or not args or args[0] not in MAGICS_WITH_CODE:
        return set()
    body = args[-1]
    if func.attr == "run_line_magic":  # %timeit -n 1 x = 1: the options come first
        words = body.split(" ")
        for start in range(len(words)):
            if _parse(" ".join(words[start:])) is not None:
                body = " ".join(words[start:])
                break
    tree = _parse(body) if isinstance(body, str) else None
    return _names(tree, depth + 1) if tree is not None else set()


def bound(sources: list[str]) -> set[str]:
    """Every name the cells ``sources`` bind at their top level or through ``global``."""
    out: set[str] = set()
    for source in sources:
        tree = _parse(source)
        if tree is not None:
            out |= _names(tree)
    return out
