"""Exercises: the one table that says what each exercise asks, how to check it, and which
mistakes students make in it.

Adding an exercise or a mistake touches this file only (or a course's own entries, added with
:func:`register_file` from its ``nbgrader_config.py``: see docs/adding-an-exercise.md): the
probe planner (:mod:`graders.checks.run_plan`) reads which given cell makes each exercise's inputs
and which names to read back; the judge (:mod:`graders.checks.verdicts`) reads the shapes, the
reference computation, each test cell's check with its parameters, the hints and the mistakes;
``graders reference`` (:mod:`graders.reference`) the values the lesson publishes; the Gradescope
build which test cells repeat a visible check. Nothing else in the package names an exercise.
Everything here is plain Python in double precision, runs in the grading process only, and is
never importable from a sandboxed child.

A **mistake** is a small function of the inputs giving what a student who made it gets. When a
wrong answer matches a mistake on the lesson's data *and* on the fresh inputs of the grader's
re-run, that mistake is what the student did, and their message names it; a mistake may instead
be recognised by the error it raises (``error``) or by the kind of value it leaves (``kind``).
A check that decides from the trace rather than from values finds the mistake it names by its
``role`` (``input_changed``, ``copy``...: each check declares the roles it needs,
:data:`graders.checks.verdicts.CHECKS`), never by its code.

Every mistake is plain data: ``(exercise grade_id, code, sentence)``, its full code
``<grade_id>.<code>`` (:meth:`Exercise.code`); :func:`mistake_codes` lists them all.

Written by hand: the table is this course's. :func:`load_course` reads a course's
``nbgrader_config.py`` with traitlets' own loader, as nbgrader does.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

Matrix = list[list[float]]
Inputs = dict[str, Matrix]


# --------------------------------------------------------------------------- matrix helpers
def _sigmoid(m: Matrix) -> Matrix:
    return [[1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0 for x in row] for row in m]


def _mm(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


def _add(a: Matrix, b: Matrix) -> Matrix:
    """Element-wise sum, broadcasting a single row or a single value as torch does."""
    def at(m, i, j):
        return m[i if len(m) > 1 else 0][j if len(m[0]) > 1 else 0]
    rows, cols = max(len(a), len(b)), max(len(a[0]), len(b[0]))
    return [[at(a, i, j) + at(b, i, j) for j in range(cols)] for i in range(rows)]


def _mul(a: Matrix, b: Matrix) -> Matrix:
    return [[x * y for x, y in zip(ra, rb, strict=True)] for ra, rb in zip(a, b, strict=True)]


def _t(m: Matrix) -> Matrix:
    return [list(col) for col in zip(*m, strict=True)]


def _total(m: Matrix) -> Matrix:
    return [[sum(x for row in m for x in row)]]


def _scale(m: Matrix, factor: float) -> Matrix:
    return [[x * factor for x in row] for row in m]


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Mistake:
    """A known wrong way, and the sentence that tells the student what to change."""

    code: str
    says: str
    compute: Callable[[Inputs], dict[str, Matrix]] | None = None
    error: str = ""  # a piece of the error message this mistake raises
    kind: str = ""  # "number": the answer is a Python number instead of a tensor
    when_missing: str = ""  # with ``error``: the name left undefined when it is this mistake
    role: str = ""  # what a check finds it by (see graders.checks.verdicts.CHECKS), if any


@dataclass(frozen=True)
class Part:
    """One test cell: its points, the check it runs and that check's parameters."""

    points: int
    check: str  # a name in graders.checks.verdicts.CHECKS ("shape", "value", "method"...)
    names: tuple[str, ...]  # the outputs the check reads
    given: str = ""  # the input the check compares the answer with (the NumPy bridge's array)
    #: whether the release's visible test repeats this check (kind and shape): Gradescope then
    #: shows its outcome at once (see graders.gradescope.build)
    visible: bool = False


@dataclass(frozen=True)
class Exercise:
    grade_id: str  # the solution cell's nbgrader grade_id
    number: int
    data_cell: str  # the given cell that makes the inputs
    inputs: dict[str, tuple[int, ...]]
    outputs: dict[str, tuple[int, ...]]
    parts: dict[str, Part]
    reference: Callable[[Inputs], dict[str, Matrix]]
    hints: dict[str, str]  # per output: the general hint for a wrong value
    shape_hints: dict[str, str]
    mistakes: tuple[Mistake, ...] = ()
    input_kind: str = "tensor"  # "tensor" (float32) or "ndarray" (float64 in [0, 1))
    watched: tuple[str, ...] = ()  # inputs whose state after the exercise is checked
    scaled: str = ""  # the input matrix products see scaled in the fresh run (see run_plan)
    #: inputs a right answer may join to the scaled one inside its product (the "bias trick":
    #: bias appended to weights as one more column, features given a column of ones), which
    #: the grader's factor then scales too
    scaled_with: tuple[str, ...] = ()
    #: what the lesson prints, per output, to 4 decimals: `graders reference` refuses values
    #: that do not round to these
    published: dict[str, list[float]] = field(default_factory=dict)

    @property
    def points(self) -> dict[str, int]:
        return {name: part.points for name, part in self.parts.items()}

    def test_id(self, part: str) -> str:
        return f"test_{self.grade_id}_{part}"

    def code(self, mistake: str) -> str:
        return f"{self.grade_id}.{mistake}"

    def role(self, role: str) -> Mistake:
        """The mistake a check names by its role (every check's roles are in the entry: see
        :func:`graders.checks.verdicts.problems`)."""
        return next(m for m in self.mistakes if m.role == role)


def _neuron(i: Inputs) -> dict[str, Matrix]:
    return {"y": _sigmoid(_add(_total(_mul(i["features"], i["weights"])), i["bias"]))}


def _products(i: Inputs) -> Matrix:
    return _total(_mul(i["features"], i["weights"]))


NEURON_MISTAKES = (  # exercises 1 and 2 compute the same neuron
    Mistake("no_bias", "y equals activation(sum(features * weights)): the bias is missing; "
            "add bias before applying activation.",
            lambda i: {"y": _sigmoid(_products(i))}),
    Mistake("no_activation", "y equals sum(features * weights) + bias: activation was not "
            "applied; pass the total through activation(...).",
            lambda i: {"y": _add(_products(i), i["bias"])}),
    Mistake("activation_before_bias", "y equals activation(sum(features * weights)) + bias: "
            "activation was applied before adding bias; add bias first, then apply activation "
            "to the total.",
            lambda i: {"y": _add(_sigmoid(_products(i)), i["bias"])}),
    Mistake("python_float", "y is a Python number, not a tensor: .item() or float() turned it "
            "into one; keep the result a tensor.", kind="number"),
)


def _multilayer(i: Inputs, b1=True, b2=True, act_h=True, act_out=True) -> dict[str, Matrix]:
    h = _mm(i["features"], i["W1"])
    h = _add(h, i["B1"]) if b1 else h
    h = _sigmoid(h) if act_h else h
    out = _mm(h, i["W2"])
    out = _add(out, i["B2"]) if b2 else out
    return {"h": h, "output": _sigmoid(out) if act_out else out}


def _doubled(i: Inputs, times: int = 1) -> dict[str, Matrix]:
    a = _scale(i["a"], 2 ** times)
    return {"a": a, "b": a}


EXERCISES: dict[str, Exercise] = {e.grade_id: e for e in (
    Exercise(
        "single_layer_sum", 1, "given_single_layer_data",
        inputs={"features": (1, 5), "weights": (1, 5), "bias": (1, 1)},
        outputs={"y": (1, 1)},
        parts={"shape": Part(1, "shape", ("y",), visible=True),
               "value": Part(2, "value", ("y",))},
        reference=_neuron,
        published={"y": [0.1595]},
        hints={"y": "Hint: y = activation(sum of features * weights, plus bias): multiply "
                    "element by element, add up the five products, add bias once, then apply "
                    "activation."},
        shape_hints={"y": "Hint: the sum is a single number; adding bias, shape (1, 1), "
                          "makes y (1, 1)."},
        mistakes=NEURON_MISTAKES + (
            Mistake("bias_per_element", "y equals activation(sum(features * weights + bias)): "
                    "bias was added to each of the five products, so it counts five times; add "
                    "it once, after the sum.",
                    lambda i: {"y": _sigmoid(_add(_products(i), _scale(i["bias"], 5)))}),
            Mistake("no_sum", "y equals activation(features * weights + bias), one value per "
                    "input: the products were not added up; sum them with torch.sum(...) "
                    "before adding bias.",
                    lambda i: {"y": _sigmoid(_add(_mul(i["features"], i["weights"]),
                                                  i["bias"]))}),
        ),
        scaled="weights",
        scaled_with=("bias",),
    ),
    Exercise(
        "single_layer_mm", 2, "given_single_layer_data",
        inputs={"features": (1, 5), "weights": (1, 5), "bias": (1, 1)},
        outputs={"y": (1, 1)},
        parts={"shape": Part(1, "shape", ("y",), visible=True),
               "value": Part(2, "value", ("y",)), "method": Part(1, "method", ("y",))},
        reference=_neuron,
        published={"y": [0.1595]},
        hints={"y": "Hint: y = activation(torch.mm(features, weights reshaped to (5, 1)) + "
                    "bias)."},
        shape_hints={"y": "Hint: torch.mm of a (1, 5) and a (5, 1) matrix gives (1, 1)."},
        mistakes=NEURON_MISTAKES + (
            Mistake("wrong_order", "y has one value per pair of inputs: the product was taken "
                    "in the wrong order (weights (5, 1) times features (1, 5) gives 5 x 5); "
                    "multiply features by the reshaped weights: torch.mm(features, "
                    "weights.view(5, 1)).",
                    lambda i: {"y": _sigmoid(_add(_mm(_t(i["weights"]), i["features"]),
                                                  i["bias"]))}),
            Mistake("transposed_features", "y has one value per pair of inputs: features was "
                    "transposed instead of weights (features.T times weights gives 5 x 5); "
                    "reshape weights, not features: torch.mm(features, weights.view(5, 1)).",
                    lambda i: {"y": _sigmoid(_add(_mm(_t(i["features"]), i["weights"]),
                                                  i["bias"]))}),
            Mistake("weights_changed", "weights no longer has shape (1, 5) after this exercise: "
                    "resize_ or `weights = ...` changed it for every later cell; reshape "
                    "inside the expression instead, e.g. torch.mm(features, weights.view(5, "
                    "1)), and run the given data cell again.", role="input_changed"),
            Mistake("no_matrix_product", "y has the right value, but it was not computed with a "
                    "matrix multiplication of features and weights (a sum of products, say); "
                    "use torch.mm(features, weights.view(5, 1)), torch.matmul or the @ "
                    "operator.", role="not_product"),
        ),
        watched=("weights",),
        scaled="weights",
        scaled_with=("bias",),
    ),
    Exercise(
        "multilayer", 3, "given_multilayer_data",
        inputs={"features": (1, 3), "W1": (3, 2), "W2": (2, 1), "B1": (1, 2), "B2": (1, 1)},
        outputs={"h": (1, 2), "output": (1, 1)},
        parts={"shape": Part(1, "shape", ("h", "output"), visible=True),
               "hidden": Part(1, "value", ("h",)), "output": Part(2, "value", ("output",))},
        reference=_multilayer,
        published={"h": [0.6813, 0.4355], "output": [0.3171]},
        hints={"h": "Hint: h = activation(torch.mm(features, W1) + B1): multiply features by "
                    "W1, add B1, then apply activation.",
               "output": "Hint: output = activation(torch.mm(h, W2) + B2): multiply h by W2, "
                         "add B2, then apply activation."},
        shape_hints={"h": "Hint: features (1, 3) times W1 (3, 2) gives (1, 2); then add B1.",
                     "output": "Hint: h (1, 2) times W2 (2, 1) gives (1, 1); then add B2."},
        mistakes=(
            Mistake("no_b1", "h equals activation(features @ W1): B1 is missing; add B1 before "
                    "applying activation.", lambda i: _multilayer(i, b1=False)),
            Mistake("no_b2", "output equals activation(h @ W2): B2 is missing; add B2 before "
                    "applying activation.", lambda i: _multilayer(i, b2=False)),
            Mistake("no_activation_hidden", "h equals features @ W1 + B1: activation was not "
                    "applied to the hidden layer; h = activation(...).",
                    lambda i: _multilayer(i, act_h=False)),
            Mistake("no_activation_output", "output equals h @ W2 + B2: activation was not "
                    "applied to the output; output = activation(...).",
                    lambda i: _multilayer(i, act_out=False)),
            Mistake("weights_swapped", "computing h failed because features (1, 3) was "
                    "multiplied by W2 (2, 1): W1 and W2 are swapped; h uses W1 (3, 2), output "
                    "uses W2.", error="(1x3 and 2x1)", when_missing="h"),
            Mistake("output_from_features", "computing output failed because features (1, 3) "
                    "was multiplied by W2 (2, 1): the output layer takes h, not features; "
                    "output = activation(torch.mm(h, W2) + B2).",
                    error="(1x3 and 2x1)", when_missing="output"),
        ),
    ),
    Exercise(
        "numpy_bridge", 4, "given_numpy_data",
        inputs={"a": (4, 3)},
        outputs={"b": (4, 3)},
        parts={"type": Part(1, "bridge_type", ("b",), given="a", visible=True),
               "memory": Part(2, "bridge_memory", ("b",), given="a"),
               "doubled": Part(1, "bridge_doubled", ("b",), given="a")},
        reference=_doubled,
        hints={"b": "Hint: b = torch.from_numpy(a), then b.mul_(2) (or b *= 2)."},
        shape_hints={"b": "Hint: b should have a's shape, (4, 3): make it from a without "
                          "reshaping."},
        input_kind="ndarray",
        watched=("a",),
        mistakes=(
            Mistake("float_copy", "b is a float32 copy of a (.float() or a dtype argument "
                    "converts every value, so the memory is not shared); torch.from_numpy(a) "
                    "keeps float64 and shares memory.", role="converted"),
            Mistake("copy", "b is a copy of a (torch.tensor(a), a.copy() and .clone() copy the "
                    "data); torch.from_numpy(a) or torch.as_tensor(a) shares a's memory.",
                    role="copy"),
            Mistake("doubled_out_of_place", "b = b * 2 makes a new tensor, so a keeps its old "
                    "values; double b in place: b.mul_(2) or b *= 2.",
                    lambda i: {"a": i["a"], "b": _scale(i["a"], 2)}, role="out_of_place"),
            Mistake("doubled_twice", "a holds four times its original values: it was doubled "
                    "twice (the cell ran twice, or two in-place doublings); run the given cell "
                    "again, then your cell once.", lambda i: _doubled(i, times=2)),
            Mistake("doubled_a_directly", "a was doubled by NumPy (a *= 2, or through "
                    "b.numpy()), not by a tensor operation on b; the exercise asks to double the "
                    "tensor b in place (b.mul_(2) or b *= 2) and see a change because they share "
                    "memory.", role="given_changed_directly"),
            Mistake("a_replaced", "a no longer is the given array: a line such as a = ... "
                    "(a = b.numpy(), say) bound the name to another array; keep the given a, "
                    "make b from it with torch.from_numpy(a), and double b in place.",
                    role="given_replaced"),
            Mistake("not_doubled", "a and b still hold the original values: nothing was "
                    "doubled; multiply b by 2 in place: b.mul_(2) or b *= 2.",
                    lambda i: {"a": i["a"], "b": i["a"]}),
        ),
    ),
)}

#: Every test cell's grade_id -> its exercise and part.
TESTS: dict[str, tuple[Exercise, str]] = {}
#: Given cells that make inputs, and the exercises that use them.
DATA_CELLS: dict[str, list[Exercise]] = {}
#: The files of a course's own entries registered in this process (see :func:`register_file`).
COURSE_FILES: list[Path] = []


def _index() -> None:
    """Rebuild :data:`TESTS` and :data:`DATA_CELLS` in place (modules that imported them see
    the change), in exercise order."""
    TESTS.clear()
    DATA_CELLS.clear()
    for ex in sorted(EXERCISES.values(), key=lambda e: e.number):
        for part in ex.parts:
            TESTS[ex.test_id(part)] = (ex, part)
        DATA_CELLS.setdefault(ex.data_cell, []).append(ex)


_index()


def register(*entries: Exercise) -> None:
    """Add a course's own exercises to the table (an entry with an existing grade_id replaces
    it, so loading a course's configuration twice changes nothing). Refused with ValueError
    when an entry is inconsistent: a check the judge lacks, a role or a name it needs missing,
    a number taken by another exercise."""
    from .verdicts import problems  # the checks live with the judge

    for ex in entries:
        taken = {e.number for e in EXERCISES.values() if e.grade_id != ex.grade_id}
        found = problems(ex) + ([f"exercise number {ex.number} is taken"]
                                if ex.number in taken else [])
        if found:
            raise ValueError(f"exercise {ex.grade_id}: " + "; ".join(found))
    for ex in entries:
        EXERCISES[ex.grade_id] = ex
    ordered = sorted(EXERCISES.values(), key=lambda e: e.number)
    EXERCISES.clear()
    EXERCISES.update((e.grade_id, e) for e in ordered)
    _index()


def register_file(path: str | Path) -> tuple[Exercise, ...]:
    """Register the ``EXERCISES`` (a sequence of :class:`Exercise`) of the Python file ``path``:
    a course's own entries, named from its ``nbgrader_config.py`` so that every command that
    reads the course's configuration (``nbgrader autograde``, ``graders autograde``, ``graders
    reference``...) grades them. Returns the entries."""
    path = Path(path).resolve()
    name = f"graders_course_exercises_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load exercises from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up
    spec.loader.exec_module(module)
    entries = tuple(module.EXERCISES)
    register(*entries)
    if path not in COURSE_FILES:
        COURSE_FILES.append(path)
    return entries


def load_course(root: str | Path):
    """Read the course's ``nbgrader_config.py`` (as nbgrader does) for the exercises it
    registers, in a command that does not read it otherwise (``graders reference``, the
    Gradescope build); returns the configuration it sets (None without the file)."""
    config = Path(root) / "nbgrader_config.py"
    if not config.is_file():
        return None
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(config.name, path=str(config.parent)).load_config()


def mistake_codes() -> Iterator[tuple[Exercise, Mistake]]:
    """Every catalogued mistake with its exercise: its code is ``exercise.code(mistake.code)``,
    its sentence ``mistake.says``."""
    for ex in EXERCISES.values():
        for m in ex.mistakes:
            yield ex, m


def mistake(exercise: Exercise, code: str) -> Mistake:
    return next(m for m in exercise.mistakes if m.code == code)
