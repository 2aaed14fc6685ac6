"""Hidden checks: what the notebook's hidden tests run inside the student's kernel.

Each hidden test cell of ``source/tensors/tensors.ipynb`` ends with::

    import importlib, graders.hidden_checks
    importlib.reload(graders.hidden_checks).check(get_ipython(), "<exercise>", "<part>")

``check`` raises ``AssertionError`` with a message written for the student (variable, expected vs
actual, hint) or returns ``None``; nbgrader turns that into 0 or full marks for the cell.

Written by hand because no library does this job: nbgrader only runs cells and reads their
outputs. What this adds on top of a plain ``assert``:

* **Fresh inputs.** The student's own code for the exercise (the cells they ran between the given
  cells and this test, read back from IPython's input history) is run again in a copy of their
  namespace with new random inputs and the outputs removed. Values typed in from the lesson's
  printed output, a blank exercise that still sees ``y`` from the exercise before, or code that
  only works on the seeded data all fail here.
* **Nothing the student can patch decides a grade.** Values are read through the C-level
  ``torch._C.TensorBase`` and ``numpy.ndarray`` descriptors (immutable types), types are compared
  exactly (a ``Tensor`` subclass with an always-true ``==`` is refused), and no comparison helper
  (``torch.allclose``, ``np.testing``...) is called. Replacing one of those helpers is reported
  as tampering and fails every check that runs after it.
* **No stderr.** Warnings are silenced and the re-run's output is captured: nbgrader gives 0 to a
  test cell that writes anything to stderr.

The test cell reloads this module so that a student who imported and patched it earlier gets a
fresh copy. Reference values (the seeded answers) come from ``reference_values.json``, written by
``python -m graders reference`` from the source solution.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import os
import sys
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE_FILE = Path(__file__).with_name("reference_values.json")

#: Lines that start every code cell that is not the student's: given cells and test cells.
GIVEN_MARK = "# Given: "
TEST_MARK = "# Test "

#: Absolute tolerance on the sigmoid outputs (they lie in (0, 1)).
TOLERANCE = 1e-4

#: Seed of the private generator that makes the fresh inputs (the lesson uses 7).
FRESH_SEED = 2024


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: its given inputs (name → shape), the names the student defines and
    the points of each part its test cells check, in notebook order."""

    number: int
    inputs: dict[str, tuple[int, ...]]
    outputs: tuple[str, ...]
    points: dict[str, int] = field(default_factory=dict)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.points)


EXERCISES: dict[str, Exercise] = {
    "single_layer_sum": Exercise(
        1,
        {"features": (1, 5), "weights": (1, 5), "bias": (1, 1)},
        ("y",),
        {"shape": 1, "value": 2},
    ),
    "single_layer_mm": Exercise(
        2,
        {"features": (1, 5), "weights": (1, 5), "bias": (1, 1)},
        ("y",),
        {"shape": 1, "value": 2, "method": 1},
    ),
    "multilayer": Exercise(
        3,
        {"features": (1, 3), "W1": (3, 2), "W2": (2, 1), "B1": (1, 2), "B2": (1, 1)},
        ("h", "output"),
        {"shape": 1, "hidden": 1, "output": 2},
    ),
    "numpy_bridge": Exercise(
        4,
        {"a": (4, 3)},
        ("b",),
        {"type": 1, "memory": 2, "doubled": 1},
    ),
}

#: Expected shape of every output.
OUTPUT_SHAPES = {"y": (1, 1), "h": (1, 2), "output": (1, 1), "b": (4, 3)}

#: Helpers a cheater might replace with something that always agrees: (module, dotted name).
GUARDED_HELPERS = [
    ("torch", name)
    for name in (
        "allclose", "isclose", "equal", "eq", "sigmoid", "sum", "mm", "matmul",
        "from_numpy", "as_tensor", "testing.assert_close",
        "Tensor.__eq__", "Tensor.__ne__", "Tensor.__bool__", "Tensor.__float__", "Tensor.tolist",
        "Tensor.allclose", "Tensor.equal", "Tensor.numpy", "Tensor.item",
    )
] + [
    ("numpy", name)
    for name in (
        "allclose", "isclose", "array_equal", "shares_memory", "may_share_memory",
        "testing.assert_allclose", "testing.assert_array_equal", "testing.assert_almost_equal",
        "testing.assert_array_almost_equal", "testing.assert_equal",
    )
]


def load_reference() -> dict:
    """The seeded answers, as written by ``python -m graders reference``."""
    with open(REFERENCE_FILE, encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------- entry point
def check(ip, exercise: str, part: str) -> None:
    """Run one hidden check for ``exercise`` (a solution grade_id) and ``part`` of it."""
    if exercise not in EXERCISES or part not in EXERCISES[exercise].parts:
        # an authoring error in the notebook, not a student's
        raise ValueError(f"unknown check {exercise!r}/{part!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _refuse_tampering()
        code = student_code(_input_history(ip), exercise)
        if exercise == "numpy_bridge":
            _check_numpy_bridge(ip.user_ns, code, part)
        else:
            _check_tensor_exercise(ip.user_ns, code, exercise, part)


# --------------------------------------------------------------------------- tampering
def _resolve(module: str, dotted: str):
    obj = sys.modules.get(module)
    for attr in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, attr, None)
    return obj


def _library_roots(module: str) -> tuple[str, ...]:
    mod = sys.modules.get(module)
    paths = getattr(mod, "__path__", None) or []
    return tuple(os.path.realpath(p) + os.sep for p in paths)


def _is_genuine(obj, package: str, roots: tuple[str, ...]) -> bool:
    """True when ``obj`` is the library's own function, not something defined by the student."""
    impl = getattr(obj, "_implementation", obj)  # numpy's array-function dispatchers
    code = getattr(impl, "__code__", None)
    if code is not None:  # a Python function: it must live in the library's files
        filename = code.co_filename
        return filename.startswith(roots) or os.path.realpath(filename).startswith(roots)
    if isinstance(impl, types.BuiltinFunctionType):
        return (getattr(impl, "__module__", None) or "").split(".")[0] == package
    if isinstance(impl, (types.MethodDescriptorType, types.WrapperDescriptorType)):
        return impl.__objclass__.__module__.split(".")[0] == package
    return False  # a lambda's partial, a class, a student's object with __call__...


def _refuse_tampering() -> None:
    roots = {package: _library_roots(package) for package in ("torch", "numpy")}
    torch = sys.modules.get("torch")
    if torch is not None and torch.Tensor is not sys.modules["torch._tensor"].Tensor:
        raise AssertionError(
            "torch.Tensor has been replaced in this notebook, so the grader cannot trust any "
            "check. Remove the code that assigns to torch.Tensor."
        )
    for package, dotted in GUARDED_HELPERS:
        if package not in sys.modules:
            continue
        obj = _resolve(package, dotted)
        if obj is None:
            continue
        if not _is_genuine(obj, package, roots[package]):
            short = "np" if package == "numpy" else package
            raise AssertionError(
                f"{short}.{dotted} has been replaced in this notebook (it is now "
                f"{_describe(obj)}). Grading cannot trust a notebook that redefines the library's "
                f"comparison and tensor functions, so no check after that line can pass. "
                f"Remove the line that assigns to {short}.{dotted} and run all cells again."
            )


def _describe(obj) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__name__
    return f"{type(obj).__name__} {name!r}"


# --------------------------------------------------------------------------- student code
def _input_history(ip) -> list[str]:
    return list(ip.history_manager.input_hist_parsed)


def student_code(history: list[str], exercise: str) -> list[str]:
    """The cells the student ran for ``exercise``: from the last given or test cell of another
    exercise up to the test cell that is running now (the last entry of ``history``)."""
    entries = history[:-1]
    end = len(entries)
    while end > 0 and _marks(entries[end - 1], f"{TEST_MARK}{exercise}:"):
        end -= 1
    start = end
    while start > 0 and not _marks(entries[start - 1], GIVEN_MARK, TEST_MARK):
        start -= 1
    return [src for src in entries[start:end] if src.strip()]


def _marks(src: str, *prefixes: str) -> bool:
    """Whether a line of ``src`` starts with one of ``prefixes`` (nbgrader puts a notice line
    above a test cell it restores, so the mark is not always the first line)."""
    return any(line.startswith(prefixes) for line in src.splitlines()[:4])


def run_again(code: list[str], user_ns: dict, inputs: dict, drop: tuple[str, ...], exercise: str):
    """Run the student's cells again in a copy of their namespace with ``inputs`` swapped in and
    ``drop`` removed. Output is captured; returns the resulting namespace."""
    ex = EXERCISES[exercise]
    label = f"Exercise {ex.number} ({exercise})"
    if not code:
        raise AssertionError(
            f"{label}: no code of yours ran before this test. Write your answer in the exercise's "
            f"cell (replacing `raise NotImplementedError()`) and run it."
        )
    ns = dict(user_ns)
    for name in drop:
        ns.pop(name, None)
    ns.update(inputs)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for index, src in enumerate(code):
            try:
                compiled = compile(src, f"<exercise {ex.number} cell {index + 1}>", "exec")
                exec(compiled, ns)  # noqa: S102 - re-running the student's own cell is the point
            except NotImplementedError:
                raise AssertionError(
                    f"{label} is not done yet: replace `raise NotImplementedError()` with your "
                    f"code."
                ) from None
            except Exception as err:  # noqa: BLE001 - every student error becomes a message
                raise AssertionError(
                    f"{label}: your code raised {type(err).__name__}: {err}. Run your cell, fix "
                    f"the error, and make sure it only uses the given variables "
                    f"({', '.join(ex.inputs)})."
                ) from None
    return ns


# --------------------------------------------------------------------------- reading values
def _torch():
    import torch

    return torch


def plain_tensor(name: str, value, shape: tuple[int, ...], *, where: str = ""):
    """``value`` as a list of floats after checking it is an exact ``torch.Tensor`` of ``shape``."""
    torch = _torch()
    genuine = sys.modules["torch._tensor"].Tensor
    if type(value) is not genuine:
        if isinstance(value, genuine):
            raise AssertionError(
                f"{name}{where} is a {type(value).__name__}, a subclass of torch.Tensor; it must "
                f"be a plain torch.Tensor. Hint: build it with torch operations only."
            )
        hint = (
            " Hint: keep the result as a tensor; .item() and float() turn it into a Python number."
            if isinstance(value, (int, float))
            else ""
        )
        raise AssertionError(
            f"{name}{where} should be a torch.Tensor, but it is a {type(value).__name__}.{hint}"
        )
    base = torch._C.TensorBase
    actual = tuple(base.shape.__get__(value))
    if actual != shape:
        raise AssertionError(
            f"{name}{where} should have shape {shape}, but it has shape {actual}. "
            f"{_shape_hint(name)}"
        )
    if base.is_complex(value):
        raise AssertionError(f"{name}{where} should hold real numbers, not complex ones.")
    return base.tolist(base.detach(value))


def _shape_hint(name: str) -> str:
    return {
        "y": "Hint: the sum gives a single number; adding bias, shape (1, 1), keeps y (1, 1).",
        "h": "Hint: features (1, 3) times W1 (3, 2) gives (1, 2); then add B1.",
        "output": "Hint: h (1, 2) times W2 (2, 1) gives (1, 1); then add B2.",
        "b": "Hint: b should have a's shape, (4, 3): make it from a without reshaping.",
    }.get(name, "")


def flatten(values) -> list[float]:
    """A nested list of numbers (``tensor.tolist()``) as a flat list of floats."""
    if isinstance(values, list):
        return [x for row in values for x in flatten(row)]
    return [float(values)]


def _max_diff(actual, expected) -> float:
    a, e = flatten(actual), flatten(expected)
    if any(math.isnan(x) for x in a):
        return math.inf
    return max(abs(x - y) for x, y in zip(a, e, strict=True))


def _fmt(values) -> str:
    flat = flatten(values)
    if len(flat) == 1:
        return f"{flat[0]:.4f}"
    return "[" + ", ".join(f"{x:.4f}" for x in flat) + "]"


# --------------------------------------------------------------------------- fresh inputs
def fresh_inputs(exercise: str) -> dict:
    """New random inputs of the given shapes, from a private generator (global RNGs untouched)."""
    torch = _torch()
    gen = torch.Generator().manual_seed(FRESH_SEED + EXERCISES[exercise].number)
    return {
        name: torch.randn(shape, generator=gen)
        for name, shape in EXERCISES[exercise].inputs.items()
    }


def expected_outputs(exercise: str, inputs: dict) -> dict:
    """The right answers for ``inputs``, computed in double precision from the input values."""
    torch = _torch()
    base = torch._C.TensorBase
    vals = {k: base.tolist(v) for k, v in inputs.items()}

    def sigmoid(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    def layer(x: list[list[float]], w: list[list[float]], b: list[list[float]]):
        cols = range(len(w[0]))
        return [[sigmoid(sum(x[0][i] * w[i][j] for i in range(len(w))) + b[0][j]) for j in cols]]

    if exercise in ("single_layer_sum", "single_layer_mm"):
        total = sum(f * w for f, w in zip(vals["features"][0], vals["weights"][0], strict=True))
        return {"y": [[sigmoid(total + vals["bias"][0][0])]]}
    if exercise == "multilayer":
        h = layer(vals["features"], vals["W1"], vals["B1"])
        return {"h": h, "output": layer(h, vals["W2"], vals["B2"])}
    raise ValueError(exercise)


# --------------------------------------------------------------------------- tensor exercises
def _check_tensor_exercise(user_ns: dict, code: list[str], exercise: str, part: str) -> None:
    ex = EXERCISES[exercise]
    reference = load_reference()[exercise]
    inputs = fresh_inputs(exercise)
    expected = expected_outputs(exercise, inputs)
    fresh_ns = run_again(code, user_ns, inputs, ex.outputs, exercise)

    names = {"hidden": ("h",), "output": ("output",)}.get(part, ex.outputs)
    for name in names:
        if name not in fresh_ns:
            raise AssertionError(
                f"Exercise {ex.number}: your code does not assign {name}. Store your result in a "
                f"variable named {name}."
            )
        fresh = plain_tensor(name, fresh_ns[name], OUTPUT_SHAPES[name])
        if name not in user_ns:
            raise AssertionError(f"{name} is not defined: run your cell for exercise {ex.number}.")
        seeded = plain_tensor(name, user_ns[name], OUTPUT_SHAPES[name])
        # Typed in (or computed from data the student made up): new inputs, same answer.
        if (_max_diff(fresh, seeded) < TOLERANCE
                and _max_diff(expected[name], reference[name]) > 10 * TOLERANCE):
            raise AssertionError(
                f"{name} does not change when the inputs change: on new inputs your code still "
                f"gives {_fmt(fresh)}, as on the lesson's data. Compute {name} from the given "
                f"{', '.join(ex.inputs)} instead of typing a number in or making your own data."
            )

    if part in ("value", "hidden", "output"):
        for name in names:
            _check_values(name, user_ns[name], reference[name], "", exercise)
            _check_values(name, fresh_ns[name], expected[name], " on new inputs", exercise)
    elif part == "method":
        _check_matrix_multiplication(code, user_ns, fresh_ns)


def _check_values(name, value, expected, where, exercise) -> None:
    actual = plain_tensor(name, value, OUTPUT_SHAPES[name], where=where)
    if _max_diff(actual, expected) < TOLERANCE:
        return
    raise AssertionError(
        f"{name}{where} is {_fmt(actual)} but should be {_fmt(expected)}. "
        f"{_value_hint(exercise, name)}"
    )


def _value_hint(exercise: str, name: str) -> str:
    if exercise == "multilayer":
        layer = "features, W1 and B1" if name == "h" else "h, W2 and B2"
        return (
            f"Hint: {name} = activation(matrix product of {layer.replace(' and ', ' plus ')}); "
            f"check that you use {layer}, add the bias after the product, and apply activation."
        )
    return (
        "Hint: y = activation(sum of features * weights, plus bias). Check that you add bias "
        "once, sum over all five products, and apply activation to the total."
    )


_MATMUL_FUNCS = {"mm", "matmul", "mv", "einsum", "tensordot", "linear", "addmm", "inner", "dot"}


def _check_matrix_multiplication(code: list[str], user_ns: dict, fresh_ns: dict) -> None:
    uses_matmul = False
    for src in code:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                uses_matmul = True
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                uses_matmul |= called in _MATMUL_FUNCS
    if not uses_matmul:
        raise AssertionError(
            "Exercise 2 asks for a matrix multiplication: use torch.mm(features, ...), "
            "torch.matmul or the @ operator, with weights reshaped to (5, 1) "
            "(weights.view(5, 1), weights.reshape(5, 1) or weights.T)."
        )
    torch = _torch()
    for ns, where in ((user_ns, ""), (fresh_ns, " (when your code runs on new inputs)")):
        weights = ns.get("weights")
        shape = tuple(torch._C.TensorBase.shape.__get__(weights)) if weights is not None else None
        if shape != (1, 5):
            raise AssertionError(
                f"weights should still have shape (1, 5) after exercise 2{where}, but it has shape "
                f"{shape}. Hint: reshape inside the expression, e.g. torch.mm(features, "
                f"weights.view(5, 1)); resize_ and `weights = ...` change weights for every later "
                f"cell."
            )


# --------------------------------------------------------------------------- numpy bridge
def _check_numpy_bridge(user_ns: dict, code: list[str], part: str) -> None:
    import numpy as np

    torch = _torch()
    reference = load_reference()["numpy_bridge"]
    gen = np.random.default_rng(FRESH_SEED)
    fresh_a = gen.random((4, 3))
    fresh_before = fresh_a.copy()
    fresh_ns = run_again(code, user_ns, {"a": fresh_a}, ("b",), "numpy_bridge")
    if "b" not in fresh_ns:
        raise AssertionError("Exercise 4: your code does not assign b. Name your tensor b.")

    for ns, where in ((user_ns, ""), (fresh_ns, " when your code runs on a new array")):
        b = ns.get("b")
        if b is None:
            raise AssertionError("b is not defined: run your cell for exercise 4.")
        b_values = plain_tensor("b", b, (4, 3), where=where)
        a = ns.get("a")
        if type(a) is not np.ndarray:
            raise AssertionError(
                f"a should still be the given NumPy array{where}, but it is a {type(a).__name__}. "
                "Hint: don't reassign a; change it through b."
            )
        if part == "memory":
            dtype = torch._C.TensorBase.dtype.__get__(b)
            if dtype != torch.float64:
                raise AssertionError(
                    f"b should have dtype torch.float64 (the dtype of a){where}, but it has "
                    f"{dtype}. Hint: .float() and .to(...) make a float32 copy; "
                    f"torch.from_numpy(a) keeps float64."
                )
            if not _shares_memory(torch, b, a):
                raise AssertionError(
                    f"b does not share memory with a{where}: it is a copy. Hint: torch.tensor(a), "
                    f"a.copy() and .float() copy the data; torch.from_numpy(a) (or torch.as_tensor"
                    f"(a)) shares it, so changing b changes a. Double b in place (b.mul_(2) or "
                    f"b *= 2) instead of writing b = b * 2."
                )
        if part == "doubled":
            before = reference["a_before"] if ns is user_ns else fresh_before.tolist()
            want = [[2 * x for x in row] for row in before]
            got_a = np.ndarray.tolist(a)
            if got_a != want:
                times = _ratio(got_a, before)
                raise AssertionError(
                    f"a should be doubled exactly once, in place{where}: a[0, 0] should be "
                    f"{want[0][0]:.4f} but it is {got_a[0][0]:.4f} ({times}). Hint: one in-place "
                    f"operation on b, such as b.mul_(2) or b *= 2, doubles a too because they "
                    f"share memory."
                )
            if b_values != got_a:
                raise AssertionError(
                    f"b should hold the same numbers as a after doubling{where}, but "
                    f"b[0, 0] = {b_values[0][0]:.4f} and a[0, 0] = {got_a[0][0]:.4f}. Hint: make b "
                    f"with torch.from_numpy(a) and double it in place."
                )


def _shares_memory(torch, b, a) -> bool:
    base = torch._C.TensorBase
    start = base.data_ptr(b)
    size = base.numel(b) * base.element_size(b)
    a_start = a.__array_interface__["data"][0]
    return start < a_start + a.nbytes and a_start < start + size


def _ratio(got, before) -> str:
    if before[0][0] == 0:
        return "unchanged"
    r = got[0][0] / before[0][0]
    if abs(r - 1) < 1e-9:
        return "unchanged: the doubling did not reach a"
    return f"{r:g} times the original"
