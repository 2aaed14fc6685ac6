"""Probes: plan the grader's own re-runs of a submission (trusted side).

For each notebook the grading side runs the student's code twice more, each time in a new sealed
child forked from the template, never in the student's notebook kernel:

* the **seeded** run: every given and student cell in notebook order, on the lesson's data;
* the **fresh** run: the same cells, but right after each given cell that makes an exercise's
  data, the inputs are replaced by new values chosen here (:func:`fresh_inputs`).

The student's cells are known by what they are, not by how they look: the given and test cells
are the ones carrying the release's nbgrader ids (restored by nbgrader from the gradebook), and
every other code cell, the answer cells, cells the student added, cells with magics, is the
student's. Test cells do not run in these re-runs; at each one the child reads the answers back
(``extract``). Before each exercise's own cells run its answers are forgotten (``drop``: a blank
exercise cannot inherit ``y`` from the one before) and its inputs marked (``label``, for the
trace that tells how ``y`` was computed).

The fresh inputs come from a generator seeded with an HMAC of the notebook's code under a secret
kept in the course folder (``.graders/secret``, created on first use, out of the sandbox's
reach): the student cannot predict them, and regrading the same notebook uses the same ones, so
grades are reproducible.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import secrets
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .exercises import DATA_CELLS, EXERCISES, TESTS, Exercise

SECRET_FILE = Path(".graders") / "secret"


@dataclass
class ProbePlan:
    """Both re-runs of one notebook, and what the judge needs to read their results."""

    seeded: list = field(default_factory=list)
    fresh: list = field(default_factory=list)
    fresh_inputs: dict = field(default_factory=dict)  # exercise -> name -> matrix
    regions: dict = field(default_factory=dict)  # exercise -> the student's cell indices
    tests: dict = field(default_factory=dict)  # test grade_id -> cell index
    student_cells: list = field(default_factory=list)  # every cell index that is the student's


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


def _inject_step(ex: Exercise, values: dict) -> list:
    kind = "ndarray" if ex.input_kind == "ndarray" else "tensor"
    dtype = "float64" if kind == "ndarray" else "float32"
    return ["inject", {name: {"kind": kind, "dtype": dtype, "values": values[ex.grade_id][name]}
                       for name in ex.inputs}]


def plan(nb, key: bytes) -> ProbePlan:
    """The seeded and fresh re-runs of ``nb`` (a sanitised notebook) for the HMAC ``key``."""
    rng = random.Random(hmac.new(key, fingerprint(nb), hashlib.sha256).digest())
    result = ProbePlan()
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    kinds = {i: classify(c) for i, c in cells}
    result.student_cells = [i for i, _ in cells if kinds[i] == "student"]

    # Each exercise's first test cell, and the student's cells right before it.
    first_test: dict[str, int] = {}
    for i, cell in cells:
        if kinds[i] == "test":
            test_id = _nbgrader(cell)["grade_id"]
            result.tests[test_id] = i
            first_test.setdefault(TESTS[test_id][0].grade_id, i)
    region_start: dict[int, list[Exercise]] = {}
    for name, test_index in first_test.items():
        before = [i for i, _ in cells if i < test_index]
        region: list[int] = []
        for i in reversed(before):
            if kinds[i] != "student":
                break
            region.insert(0, i)
        result.regions[name] = region
        region_start.setdefault(region[0] if region else test_index, []).append(EXERCISES[name])

    by_cell: dict[str, dict] = {}  # exercises that share a given cell share its inputs
    for ex in EXERCISES.values():
        if ex.data_cell not in by_cell:
            by_cell[ex.data_cell] = fresh_inputs(ex, rng)
        result.fresh_inputs[ex.grade_id] = by_cell[ex.data_cell]
    for i, cell in cells:
        for ex in region_start.get(i, []):
            # The fresh inputs again, in case code before this exercise replaced them (a copy of
            # the given cell in an earlier answer, say): each exercise runs on its fresh inputs.
            result.fresh.append(_inject_step(ex, result.fresh_inputs))
            begin = [["drop", list(ex.outputs)], ["label", list(ex.inputs) + list(ex.watched)]]
            result.seeded += begin
            result.fresh += begin
        if kinds[i] == "test":
            test_id = _nbgrader(cell)["grade_id"]
            ex = TESTS[test_id][0]
            step = ["extract", test_id, list(ex.outputs) + list(ex.watched)]
            result.seeded.append(step)
            result.fresh.append(step)
            continue
        step = ["cell", i, cell.source, False]
        result.seeded.append(step)
        result.fresh.append(step)
        data_id = _nbgrader(cell).get("grade_id") if kinds[i] == "given" else None
        if data_id in DATA_CELLS:
            result.fresh.append(_inject_step(DATA_CELLS[data_id][0], result.fresh_inputs))
    return result
