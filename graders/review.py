"""Review: a static scan of a student's own cells for code worth an instructor's look.

Reads each of the student's cells (IPython's own transformer turns magics and ``!`` commands into
Python first), parses it with ``ast`` and reports every line that reaches for introspection or
escape: ``ctypes``, ``gc``, ``sys.modules`` and frames, ``importlib``, IPython's hooks and
internals, assignments to builtins or to library attributes (monkeypatching), the grader's own
package, processes and signals (``os.fork``, ``os.kill``, ``subprocess``...), raw file
descriptors, sockets, dynamic code (``exec``, ``eval``, ``__import__``, ``getattr`` with a
computed name) and files outside the working folder. A hit costs no points: it is a pointer for
the instructor, shown in the run's summary, the gradebook's comments and the report. Code that
fails to parse is reported as such.

Written by hand: linters look for bugs, not for a student poking at the grader; the patterns are
what this project's attack corpus (``tests/attacks/``) uses.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

MODULES = {
    "ctypes": "introspection", "gc": "introspection", "inspect": "introspection",
    "importlib": "introspection", "builtins": "monkeypatching", "sys": None, "os": None,
    "subprocess": "processes", "multiprocessing": "processes", "signal": "processes",
    "pty": "processes", "socket": "network", "urllib": "network", "http": "network",
    "requests": "network", "ftplib": "network", "smtplib": "network", "sqlite3": "files",
    "shutil": "files", "pickle": "dynamic code", "marshal": "dynamic code",
    "code": "dynamic code", "graders": "the grader's package", "nbgrader": "the grader's package",
    "resource": "limits", "fcntl": "raw descriptors", "mmap": "raw descriptors",
    "threading": "processes", "_thread": "processes", "atexit": "IPython internals",
    "traceback": "introspection", "weakref": "introspection",
}
ATTRIBUTES = {
    ("sys", "modules"): "introspection", ("sys", "_getframe"): "introspection",
    ("sys", "settrace"): "introspection", ("sys", "setprofile"): "introspection",
    ("sys", "meta_path"): "introspection", ("sys", "path_hooks"): "introspection",
    ("sys", "excepthook"): "IPython internals", ("sys", "exit"): "processes",
    ("sys", "stdout"): "IPython internals", ("sys", "stderr"): "IPython internals",
    ("gc", "get_objects"): "introspection", ("gc", "get_referrers"): "introspection",
    ("gc", "get_referents"): "introspection", ("gc", "callbacks"): "introspection",
    ("sys", "addaudithook"): "introspection", ("sys", "setswitchinterval"): "introspection",
    ("sys", "_current_frames"): "introspection", ("threading", "setprofile"): "introspection",
    ("threading", "settrace"): "introspection", ("threading", "setprofile_all_threads"):
    "introspection", ("threading", "settrace_all_threads"): "introspection",
}
#: Private parts of torch that reach the grader's trace (a TorchFunctionMode) or the dispatcher's
#: mode stacks: ``torch.overrides._get_current_function_mode()``, ``torch._C._pop_...``.
TORCH_INTERNALS = ("torch.overrides._", "torch._C._", "torch.utils._python_dispatch",
                   "torch._C.DisableTorchFunction")
OS_CALLS = {
    "fork": "processes", "forkpty": "processes", "kill": "processes", "killpg": "processes",
    "setsid": "processes", "setpgid": "processes", "system": "processes", "popen": "processes",
    "_exit": "processes", "abort": "processes", "execv": "processes", "execve": "processes",
    "execvp": "processes", "spawnv": "processes", "posix_spawn": "processes",
    "dup": "raw descriptors", "dup2": "raw descriptors", "write": "raw descriptors",
    "read": "raw descriptors", "open": "raw descriptors", "pipe": "raw descriptors",
    "close": "raw descriptors", "closerange": "raw descriptors", "chdir": "files",
    "remove": "files", "unlink": "files", "rmdir": "files", "rename": "files",
    "listdir": "files", "scandir": "files", "walk": "files", "getppid": "processes",
}
IPYTHON_ATTRIBUTES = {
    "set_custom_exc", "events", "_showtraceback", "showtraceback", "run_cell", "run_cell_async",
    "user_ns", "user_global_ns", "history_manager", "InteractiveTB", "SyntaxTB",
    "ast_transformers", "input_transformers_post", "input_transformers_cleanup",
    "displayhook", "display_pub", "register_magic_function", "run_line_magic",
    "run_cell_magic", "ex", "ev", "kernel", "excepthook", "custom_exceptions",
}
DUNDERS = {
    "__globals__", "__code__", "__closure__", "__subclasses__", "__bases__", "__mro__",
    "__builtins__", "__import__", "f_back", "f_globals", "f_locals", "f_code", "tb_frame",
    "gi_frame", "cr_frame", "cell_contents", "__dict__", "__class__", "__getattribute__",
    "__reduce__", "__reduce_ex__", "__setattr__", "__init_subclass__",
}
DYNAMIC = {"exec", "eval", "compile", "__import__", "breakpoint"}
LIBRARIES = {"torch", "np", "numpy", "nn", "F", "math", "builtins"}
MAGICS = {"run_cell_magic": "a cell magic", "system": "a shell command",
          "getoutput": "a shell command", "run_line_magic": "a line magic"}
SAFE_LINE_MAGICS = {"time", "timeit", "matplotlib", "precision", "who", "whos", "pinfo"}


@dataclass(frozen=True)
class Hit:
    cell: int  # notebook cell index
    line: int  # line in the cell (1-based)
    category: str
    what: str
    code: str  # the line itself, shortened

    def describe(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.what} ({self.category}): {self.code}"


def _name(node) -> str:
    """Dotted name of an attribute chain (``os.path.join``), or ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _name(node.func)
        return ".".join([inner + "()", *reversed(parts)]) if inner else ""
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, lines: list[str]) -> None:
        self.lines, self.hits = lines, []
        self.aliases: dict[str, str] = {}  # local name -> module

    def hit(self, node, category: str, what: str) -> None:
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.hits.append((line, category, what, text[:120]))

    # imports -------------------------------------------------------------------------------
    def visit_Import(self, node) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.aliases[alias.asname or top] = alias.name if alias.asname else top
            if MODULES.get(top):
                self.hit(node, MODULES[top], f"imports {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node) -> None:
        top = (node.module or "").split(".")[0]
        if MODULES.get(top):
            self.hit(node, MODULES[top], f"imports from {node.module}")
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            if top == "os" and alias.name in OS_CALLS:
                self.hit(node, OS_CALLS[alias.name], f"imports {full}")
            if (top, alias.name) in ATTRIBUTES:
                self.hit(node, ATTRIBUTES[(top, alias.name)], f"imports {full}")
            if full.startswith(TORCH_INTERNALS) or (node.module or "").startswith(
                    TORCH_INTERNALS):
                self.hit(node, "introspection", f"imports {full} (torch internals)")
        self.generic_visit(node)

    # names and attributes ------------------------------------------------------------------
    def _resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        module = self.aliases.get(head)
        return f"{module}.{rest}" if module and rest else (module or dotted)

    def visit_Attribute(self, node) -> None:
        dotted = self._resolve(_name(node))
        parts = dotted.split(".")
        if dotted.startswith(TORCH_INTERNALS):
            self.hit(node, "introspection", f"uses {dotted} (torch internals)")
        elif len(parts) >= 2 and (parts[0], parts[1]) in ATTRIBUTES:
            self.hit(node, ATTRIBUTES[(parts[0], parts[1])], f"uses {parts[0]}.{parts[1]}")
        elif len(parts) >= 2 and parts[0] == "os" and parts[1] in OS_CALLS:
            self.hit(node, OS_CALLS[parts[1]], f"uses os.{parts[1]}")
        elif node.attr in DUNDERS:
            self.hit(node, "introspection", f"uses {node.attr}")
        elif (node.attr in IPYTHON_ATTRIBUTES and "get_ipython()" in dotted
              and node.attr not in MAGICS):  # magics: judged by visit_Call, by their name
            self.hit(node, "IPython internals", f"uses get_ipython().{node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node) -> None:
        if node.id in DUNDERS:
            self.hit(node, "introspection", f"uses {node.id}")
        self.generic_visit(node)

    # calls ---------------------------------------------------------------------------------
    def visit_Call(self, node) -> None:
        func = _name(node.func)
        short = func.rsplit(".", 1)[-1]
        if func in DYNAMIC:
            self.hit(node, "dynamic code", f"calls {func}()")
        elif func in ("getattr", "setattr", "delattr") and len(node.args) >= 2 and not (
                isinstance(node.args[1], ast.Constant)):
            self.hit(node, "dynamic code", f"calls {func}() with a computed name")
        elif func in ("setattr", "delattr"):
            self.hit(node, "monkeypatching", f"calls {func}()")
        elif func == "open" and node.args and _outside(node.args[0]):
            self.hit(node, "files", "opens a file outside the working folder")
        elif func.startswith("get_ipython()") and short in MAGICS:
            magic = node.args[0].value if node.args and isinstance(node.args[0],
                                                                   ast.Constant) else ""
            if short != "run_line_magic" or magic not in SAFE_LINE_MAGICS:
                if not (short == "run_cell_magic" and magic in SAFE_LINE_MAGICS):
                    shell = short in ("system", "getoutput")
                    shown = (f": !{magic}" if shell else f" %{magic}") if magic else ""
                    self.hit(node, "processes" if shell else "IPython internals",
                             f"runs {MAGICS[short]}{shown}")
        self.generic_visit(node)

    # assignments ---------------------------------------------------------------------------
    def _target(self, target, node) -> None:
        if isinstance(target, ast.Attribute):
            dotted = self._resolve(_name(target))
            head = dotted.split(".")[0]
            if head in LIBRARIES or head in ("torch", "numpy", "builtins", "graders"):
                self.hit(node, "monkeypatching", f"assigns to {dotted}")
            elif "get_ipython()" in dotted:
                self.hit(node, "IPython internals", f"assigns to {dotted}")
        elif isinstance(target, ast.Subscript) and _name(target.value) in (
                "__builtins__", "sys.modules", "globals()"):
            self.hit(node, "monkeypatching", f"assigns into {_name(target.value)}")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                self._target(item, node)

    def visit_Assign(self, node) -> None:
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node) -> None:
        self._target(node.target, node)
        self.generic_visit(node)


def _outside(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        path = node.value
        return path.startswith(("/", "~")) or ".." in path.split("/")
    return False


_transformer = TransformerManager()


def scan_cell(index: int, source: str) -> list[Hit]:
    try:
        python = _transformer.transform_cell(source)
        tree = ast.parse(python)
    except (SyntaxError, ValueError) as err:
        return [Hit(index, getattr(err, "lineno", None) or 1, "syntax",
                    "could not be parsed", str(err)[:120])]
    # Show the student's own line where the transformer kept the lines where they were.
    same_lines = python.rstrip("\n").count("\n") == source.rstrip("\n").count("\n")
    scanner = _Scanner(source.splitlines() if same_lines else python.splitlines())
    scanner.visit(tree)
    seen, out = set(), []
    for line, category, what, text in sorted(scanner.hits):
        if (line, what) not in seen:
            seen.add((line, what))
            out.append(Hit(index, line, category, what, text))
    return [h for h in out if h.category != "syntax"] + [h for h in out if h.category == "syntax"]


def scan(cells: list[tuple[int, str]]) -> list[Hit]:
    """Every hit in the student's ``cells`` ((index, source) pairs), in notebook order."""
    return [hit for index, source in cells for hit in scan_cell(index, source)]
