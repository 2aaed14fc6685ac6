"""Run plan: plan the grader's own re-runs of a submission (trusted side).

For each notebook the grading side runs the student's code twice more, each time in a new sealed
child forked from the template, never in the student's notebook kernel:

* the **seeded** run: every given and student cell in notebook order, on the lesson's data.
  The engine runs it as the notebook's own run (``main``: the same steps with the test cells in
  their places and every cell's output kept, which is the notebook nbgrader grades), so a
  notebook costs two sealed processes, not three; under stock ``nbgrader autograde`` the
  notebook runs in its own Jupyter kernel, and the seeded run apart;
* the **fresh** run: the same cells, but right after each given cell that makes an exercise's
  data, the inputs are replaced by new values chosen here (:func:`fresh_inputs`).

The student's cells are known by what they are, not by how they look: the given and test cells
are the ones carrying the release's nbgrader ids (restored by nbgrader from the gradebook), and
every other code cell, the answer cells, cells the student added, cells with magics, is the
student's. An exercise's own cells are the run of the student's cells around its answer cell.
Before they run, whatever hooks earlier cells planted are reset and the names in place are
noted (``forget``: an answer counts only if the exercise's own cells rebind it, and their source
must bind it, :mod:`graders.checks.bindings`), and the exercise's inputs are marked (``label``);
right after them, the child reads the answers back (``extract``). In the fresh run, every matrix
product of exercise 1's and 2's inputs sees ``weights`` times a factor only the grader knows, so
an answer that comes out of a matrix product has values no sum of products gives (the method
point rests on those values), and the exercise's cells then run once more on the same inputs:
an answer that changes by itself was not computed from them. Test cells run only in ``main``,
each after its exercise's answers were read back, so they cannot change them.

A student's own check of the product against the sum (the lesson says the two agree) fails on
the scaled products, and when it stands before the answer, the fresh run never assigns it. So
when an exercise's cells raised in the fresh run, the child runs them once more (and again, to
compare), from the same saved namespace and on the same inputs as the re-check, with the
matrix products unscaled (``unscaled``), and reports those answers as well. The judge
(:mod:`graders.checks.verdicts`) then decides shape and value on them; the method point still
rests on the scaled run's values alone, so a check that stopped that run before the answer
costs exactly that point, never more, and code whose cells raise for real raises there too
(nothing changes). Only notebooks whose scaled run raised pay for those runs.

The fresh inputs come from a generator seeded with an HMAC of the notebook's code under a secret
kept in the course folder (``.graders/secret``, created on first use, out of the sandbox's
reach): the student cannot predict them, and regrading the same notebook uses the same ones, so
grades are reproducible.

Standard library only (``hmac``, ``random``). Written by hand: no grading library re-runs a
student's code on inputs of its own choosing.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import random
import secrets
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..protocol import Cell, Extract, Forget, Inject, Label, Snapshot, Step
from .bindings import bound
from .exercises import DATA_CELLS, EXERCISES, TESTS, Exercise

SECRET_FILE = Path(".graders") / "secret"


@dataclass
class ProbePlan:
    """Both re-runs of one notebook, and what the judge needs to read their results."""

    seeded: list[Step] = field(default_factory=list)
    main: list[Step] = field(default_factory=list)  # the seeded run with the test cells, shown
    fresh: list[Step] = field(default_factory=list)
    fresh_inputs: dict = field(default_factory=dict)  # exercise -> name -> matrix
    regions: dict = field(default_factory=dict)  # exercise -> its own cells (indices)
    tests: dict = field(default_factory=dict)  # test grade_id -> cell index
    student_cells: list = field(default_factory=list)  # every cell index that is the student's
    #: exercise -> the names its own cells bind, read from their source (None: not known)
    assigned: dict = field(default_factory=dict)
    #: exercise -> how much the fresh run scales the ``scaled`` input inside matrix products
    scale: dict = field(default_factory=dict)


def course_secret(root: str | os.PathLike) -> bytes:
    """The course's secret key, made on first use (readable by the grader only)."""
    path = Path(root) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return bytes.fromhex(key)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def classify(cell) -> str:
    """"test", "given" or "student" for a code cell of a sanitised notebook."""
    meta = _nbgrader(cell)
    grade_id = meta.get("grade_id")
    if grade_id in TESTS and meta.get("grade") and not meta.get("solution"):
        return "test"
    if grade_id and meta.get("locked") and not meta.get("solution") and not meta.get("grade"):
        return "given"
    return "student"


def fingerprint(nb) -> bytes:
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8", "replace") + b"\0")
    return digest.digest()


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


#: The fresh inputs are drawn again (at most :data:`MAX_DRAWS` times) until each answer on them
#: differs from the answer on the lesson's data by at least this much in some element. Otherwise
#: about one draw in a hundred gives a one-number answer within 1e-2 of the lesson's, one in a
#: thousand within the tolerance: then an answer typed in from the lesson's output would pass
#: on the new inputs too, and a wrong answer could look unchanged, i.e. typed in.
FAR = 1e-2
MAX_DRAWS = 100
#: Answers a student can give without computing anything: a sigmoid's centre and its ends. A
#: fresh answer is drawn again when it lies within :data:`FAR` of one of them everywhere, or an
#: answer that gives the lesson's values on the lesson's data and ``0.5`` on any other would
#: pass (a one-number answer lands within the tolerance of 0.5 about once in 5,000 draws: attack
#: 33 earned exercise 3's output points so, once, in CI).
GUESSES = (0.0, 0.5, 1.0)
#: The lesson's inputs and answers (written by `graders reference`; the judge reads them too):
#: the package's own, unless the course configures another (:func:`graders.course.reference_file`).
REFERENCE_FILE = Path(__file__).resolve().parent / "reference_values.json"


@functools.cache
def _lesson() -> dict:
    try:
        return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _far_from_lesson(exercises: list[Exercise], inputs: dict, lessons: dict) -> bool:
    for ex in exercises:
        lesson = lessons.get(ex.grade_id)
        if lesson is None:
            continue
        new = ex.reference(inputs)
        for name in ex.outputs:
            pairs = zip(sum(new[name], []), sum(lesson[name], []), strict=False)
            if max((abs(a - b) for a, b in pairs), default=0.0) < FAR:
                return False
    return True


def _far_from_guesses(exercises: list[Exercise], inputs: dict) -> bool:
    for ex in exercises:
        new = ex.reference(inputs)
        for name in ex.outputs:
            values = sum(new[name], [])
            if any(max((abs(v - guess) for v in values), default=0.0) < FAR
                   for guess in GUESSES):
                return False
    return True


def scaled_inputs(ex: Exercise, inputs: dict, alpha: float, joined: bool = False) -> dict:
    """What code whose matrix products see ``ex.scaled`` times ``alpha`` computes from (the
    fresh run scales that operand of every matrix product of the inputs: see :func:`plan`);
    ``joined``: the inputs ``ex.scaled_with`` rode in that operand and were scaled with it."""
    out = dict(inputs)
    for name in (ex.scaled, *(ex.scaled_with if joined else ())):
        out[name] = [[x * alpha for x in row] for row in inputs[name]]
    return out


def _separated(exercises: list[Exercise], inputs: dict, alpha: float) -> bool:
    """Whether the answer through a scaled matrix product is at least :data:`FAR` from the plain
    one, so only code whose answer comes out of the product can give it."""
    for ex in exercises:
        if not ex.scaled:
            continue
        plain, scaled = ex.reference(inputs), ex.reference(scaled_inputs(ex, inputs, alpha))
        for name in ex.outputs:
            pairs = zip(sum(plain[name], []), sum(scaled[name], []), strict=True)
            if max((abs(a - b) for a, b in pairs), default=0.0) < FAR:
                return False
    return True


def _draw(exercises: list[Exercise], rng: random.Random, lessons: dict) -> tuple[dict, float]:
    """Fresh inputs for the exercises that share a data cell, far from the lesson's and from
    :data:`GUESSES` (see :data:`FAR`), and the factor of their matrix products (negative:
    between -2 and -1)."""
    for _ in range(MAX_DRAWS):
        inputs = fresh_inputs(exercises[0], rng)
        alpha = -1.0 - rng.random()
        if (_far_from_lesson(exercises, inputs, lessons) and _far_from_guesses(exercises, inputs)
                and _separated(exercises, inputs, alpha)):
            break
    return inputs, alpha


def fresh_inputs(exercise: Exercise, rng: random.Random) -> dict:
    """New inputs of the exercise's shapes: float32 normals for tensors, float64 uniforms in
    [0, 1) for arrays, as the lesson's own data."""
    out = {}
    for name, (rows, cols) in exercise.inputs.items():
        if exercise.input_kind == "ndarray":
            out[name] = [[rng.random() for _ in range(cols)] for _ in range(rows)]
        else:
            out[name] = [[_float32(rng.gauss(0.0, 1.0)) for _ in range(cols)]
                         for _ in range(rows)]
    return out


def _inject_step(ex: Exercise, values: dict) -> Inject:
    """Bind the exercise's inputs to the fresh values; arrays are given read-only (backed by
    immutable bytes), so NumPy cannot write into them: only a tensor sharing their memory can
    (exercise 4 asks to double ``a`` through ``b``)."""
    kind = "ndarray" if ex.input_kind == "ndarray" else "tensor"
    dtype = "float64" if kind == "ndarray" else "float32"
    return Inject({name: {"kind": kind, "dtype": dtype, "values": values[ex.grade_id][name],
                          **({"readonly": True} if kind == "ndarray" else {})}
                   for name in ex.inputs})


def _regions(cells, kinds) -> dict[str, list[int]]:
    """Each exercise's own cells: the run of the student's cells around its answer cell (a
    cell's place, not a test cell's, says whose it is: copied test cells can move). Where one
    run holds several answer cells, it is split at them; an exercise whose answer cell is gone
    gets the student's cells right before its first test cell."""
    order = [i for i, _ in cells]
    answers = {}
    for i, cell in cells:
        meta = _nbgrader(cell)
        if meta.get("solution") and meta.get("grade_id") in EXERCISES:
            answers.setdefault(meta["grade_id"], i)
    runs, current = [], []
    for i in order:
        if kinds[i] == "student":
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    regions: dict[str, list[int]] = {}
    for run in runs:
        owners = sorted((i, name) for name, i in answers.items() if i in run)
        for k, (answer, name) in enumerate(owners):
            start = run[0] if k == 0 else answer
            end = owners[k + 1][0] if k + 1 < len(owners) else run[-1] + 1
            regions[name] = [i for i in run if start <= i < end]
    for name in EXERCISES:
        if name in regions:
            continue
        tests = [i for i, c in cells if kinds[i] == "test"
                 and TESTS[_nbgrader(c)["grade_id"]][0].grade_id == name]
        if not tests:
            continue
        before: list[int] = []
        for i in reversed([i for i in order if i < tests[0]]):
            if kinds[i] != "student":
                break
            before.insert(0, i)
        regions[name] = before
    return regions


def plan(nb, key: bytes, lessons: dict | None = None) -> ProbePlan:
    """The seeded and fresh re-runs of ``nb`` (a sanitised notebook) for the HMAC ``key``;
    ``lessons``: the seeded answers (default: the package's :data:`REFERENCE_FILE`)."""
    lessons = _lesson() if lessons is None else lessons
    rng = random.Random(hmac.new(key, fingerprint(nb), hashlib.sha256).digest())
    result = ProbePlan()
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    kinds = {i: classify(c) for i, c in cells}
    result.student_cells = [i for i, _ in cells if kinds[i] == "student"]
    for i, cell in cells:
        if kinds[i] == "test":
            result.tests[_nbgrader(cell)["grade_id"]] = i
    result.regions = _regions(cells, kinds)
    for name, region in result.regions.items():
        result.assigned[name] = sorted(bound([nb.cells[i].source for i in region])
                                       & set(EXERCISES[name].outputs))
    by_cell: dict[str, tuple] = {}  # exercises that share a given cell share its inputs
    for ex in EXERCISES.values():
        if ex.data_cell not in by_cell:
            by_cell[ex.data_cell] = _draw(
                [e for e in EXERCISES.values() if e.data_cell == ex.data_cell], rng, lessons)
        result.fresh_inputs[ex.grade_id] = by_cell[ex.data_cell][0]
        if ex.scaled:
            result.scale[ex.grade_id] = by_cell[ex.data_cell][1]

    # Where each exercise begins and ends: before its first own cell, after its last (an empty
    # region: right before its first test cell).
    starts: dict[int, list[Exercise]] = {}
    ends: dict[int, list[Exercise]] = {}
    for name, region in result.regions.items():
        ex = EXERCISES[name]
        if region:
            starts.setdefault(region[0], []).append(ex)
            ends.setdefault(region[-1], []).append(ex)
        else:
            first_test = min(result.tests[ex.test_id(p)] for p in ex.parts
                             if ex.test_id(p) in result.tests)
            starts.setdefault(first_test, []).append(ex)
            ends.setdefault(-first_test - 1, []).append(ex)  # before the cell, not after

    def begin(ex: Exercise) -> None:
        # The fresh inputs again, in case code before this exercise replaced them (a copy of
        # the given cell in an earlier answer, say); then the exercise forgets its answers and
        # whatever hooks earlier cells planted, and its inputs are marked for the trace. In the
        # fresh run every matrix product of the inputs sees the ``scaled`` input times a factor
        # only the grader chose: an answer that comes out of a product follows it, a sum of
        # products does not (the judge tells them apart by their values).
        inject = _inject_step(ex, result.fresh_inputs)
        result.fresh.append(inject)
        label = Label(list(ex.inputs) + list(ex.watched))
        result.main.extend([Forget(list(ex.outputs)), label])
        scale = ({"input": ex.scaled, "by": result.scale[ex.grade_id]} if ex.scaled else None)
        result.fresh.extend([Forget(list(ex.outputs)), replace(label, scale=scale),
                             Snapshot(ex.grade_id)])

    def end(ex: Exercise) -> None:
        step = Extract(ex.grade_id, list(ex.outputs) + list(ex.watched))
        result.main.append(step)
        # The fresh run runs the exercise's cells once more on the same inputs, output muted,
        # from the namespace they started with: an answer drawn at random changes, one
        # computed from the inputs does not. Where the cells raised under the scaled products
        # (a check of the product against a sum of products, say), they run again from there
        # with the products left alone, so the judge can read the answers they give.
        region = result.regions.get(ex.grade_id, [])
        later = list(EXERCISES.values())[ex.number:]
        # the cells up to the next exercise on the same inputs keep the scaled products (a
        # product made in a scratch cell between them and used there is still one)
        keep = bool(ex.scaled) and any(e.scaled and e.data_cell == ex.data_cell for e in later)
        result.fresh.append(replace(step, recheck=[[i, nb.cells[i].source] for i in region],
                                    outputs=list(ex.outputs),
                                    inject=_inject_step(ex, result.fresh_inputs).values,
                                    keep_scaling=keep, unscaled=bool(ex.scaled)))

    for i, cell in cells:
        for ex in starts.get(i, []):
            begin(ex)
        for ex in ends.get(-i - 1, []):
            end(ex)
        result.main.append(Cell(i, cell.source, True))
        if kinds[i] != "test":  # the grader's own tests do not run in its re-runs
            result.fresh.append(Cell(i, cell.source, False))
            data_id = _nbgrader(cell).get("grade_id") if kinds[i] == "given" else None
            if data_id in DATA_CELLS:
                result.fresh.append(_inject_step(DATA_CELLS[data_id][0], result.fresh_inputs))
        for ex in ends.get(i, []):
            end(ex)
    # The seeded re-run apart (stock nbgrader's): the notebook's run without the test cells,
    # its cells' output not kept.
    result.seeded = [replace(s, report=False) if isinstance(s, Cell) else s for s in result.main
                     if not (isinstance(s, Cell) and kinds[s.index] == "test")]
    return result
