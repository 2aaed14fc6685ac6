"""Verdicts: decide each test cell from the plain data of the grader's two re-runs.

Runs in the grading process, never in a student's. The data is what :mod:`graders.kernel.instrument`
read back (kinds, shapes, dtypes, values, marks) from the seeded run (the lesson's data) and the
fresh run (inputs chosen by :mod:`graders.checks.run_plan`). A test passes when the answer has the
right kind and shape in both runs and, for a value, matches the lesson's reference answer on the
lesson's data *and* this module's own double-precision computation on the fresh inputs; a value
the student typed in cannot do both, nor can one computed from data the student made up.

A failed test gets a message for the student (the variable, expected and actual value or shape,
and what to change) and a stable code (``single_layer_sum.no_bias``): when the wrong answer
matches one of the exercise's known mistakes (:mod:`graders.checks.exercises`) on both runs, the
message names that mistake; otherwise it gives the exercise's general hint. A right answer never
gets a diagnosis.

Plain Python in double precision, standard library only (never torch: a student's tensor cannot
reach it). Written by hand, all of it: nbgrader decides a test from the errors a kernel reports,
and no grading library compares an answer with a second run on inputs the student never saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .exercises import TESTS, Exercise, Matrix, Mistake, Part
from .run_plan import ProbePlan, scaled_inputs

TOLERANCE = 1e-4
#: Values this close on the lesson's data and on new inputs were not computed from the inputs:
#: two different float32 results of an O(1) quantity are at least ~6e-8 apart.
SAME = 1e-9
#: An answer within this of the lesson's answer on the lesson's data *and* on new inputs kept
#: the lesson's values (noise added): the fresh inputs move every answer at least ``FAR`` (1e-2)
#: from the lesson's, so a computed answer lands at least ``FAR - NEAR`` away from them.
NEAR = 5e-3


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    code: str = ""  # "<exercise>.<what>" when failed


@dataclass
class Run:
    """What one re-run reported: extractions by test id, and errors by cell index."""

    extracts: dict
    cell_errors: dict
    name: str  # "the lesson's data" or "new inputs"


def _matrix(info: dict | None) -> Matrix | None:
    values = (info or {}).get("values")
    shape = (info or {}).get("shape")
    if not isinstance(values, list) or not isinstance(shape, list) or len(shape) != 2:
        return None
    if not all(isinstance(row, list) and len(row) == shape[1] for row in values):
        return None
    if len(values) != shape[0]:
        return None
    try:
        return [[float(x) for x in row] for row in values]
    except (TypeError, ValueError):
        return None


def _close(a: Matrix | None, b: Matrix | None, tol: float = TOLERANCE) -> bool:
    if a is None or b is None or len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)) or abs(x - y) >= tol:
                return False
    return True


def _flat(info: dict | None) -> list[float] | None:
    """The values of an answer of any shape (0-d, 1-d, 2-d...) as one flat list."""
    values = (info or {}).get("values")
    out: list[float] = []

    def walk(v, depth=0) -> bool:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
            return True
        if isinstance(v, list) and depth < 8:
            return all(walk(x, depth + 1) for x in v)
        return False

    return out if values is not None and walk(values) else None


def _close_flat(a: list[float] | None, b: Matrix | None, tol: float = TOLERANCE) -> bool:
    if a is None or b is None:
        return False
    flat = [x for row in b for x in row]
    return len(a) == len(flat) and _close([a], [flat], tol)


def _fmt(m: Matrix | None) -> str:
    if not m:
        return "?"
    flat = [x for row in m for x in row]
    if len(flat) == 1:
        return f"{flat[0]:.4f}"
    shown = ", ".join(f"{x:.4f}" for x in flat[:6])
    return f"[{shown}{', ...' if len(flat) > 6 else ''}]"


def _shape(info: dict) -> tuple:
    return tuple(info.get("shape") or ())


class Judge:
    """Judges the test cells of one notebook."""

    def __init__(self, plan: ProbePlan, seeded: Run, fresh: Run, reference: dict,
                 tolerance: float = TOLERANCE) -> None:
        self.plan, self.seeded, self.fresh = plan, seeded, fresh
        self.reference, self.tol = reference, tolerance
        #: exercise -> the inputs its products saw on new inputs (None: not through products)
        self._worlds: dict[str, dict | None] = {}

    # ------------------------------------------------------------------ entry point
    def test(self, test_id: str) -> Verdict:
        ex, part_name = TESTS[test_id]
        part = ex.parts[part_name]
        runs = []
        for run in (self.seeded, self.fresh):
            data = run.extracts.get(ex.grade_id)
            if not isinstance(data, dict) or "failed" in data or "names" not in data:
                reason = (data or {}).get("failed") if isinstance(data, dict) else None
                return self._fail(ex, "rerun_failed",
                                  f"Exercise {ex.number}: the grader could not run your code "
                                  f"again on {run.name} ({reason or 'it stopped before this test'}"
                                  f"). Make sure your notebook runs from top to bottom without "
                                  f"stopping the kernel.")
            runs.append(data)
        seeded, fresh = runs
        unscaled = self._unscaled(ex)
        if unscaled is not None:  # the answers of the fresh run's unscaled re-run stand in
            fresh = {**unscaled, "threads": fresh.get("threads"),
                     "replaced": sorted(set(fresh.get("replaced") or [])
                                        | set(unscaled.get("replaced") or []))}
        replaced = sorted(set(seeded.get("replaced") or []) | set(fresh.get("replaced") or []))
        if replaced:
            names = ", ".join(replaced)
            return self._fail(ex, "tampering",
                              f"{names} {'has' if len(replaced) == 1 else 'have'} been replaced "
                              f"in this notebook. Grading cannot trust a notebook that redefines "
                              f"the library's comparison and tensor functions, so no check after "
                              f"that line can pass. Remove the line that assigns to {replaced[0]} "
                              f"and run all cells again.")
        threads = sorted(set(seeded.get("threads") or []) | set(fresh.get("threads") or []))
        if threads:
            outputs = " and ".join(ex.outputs)
            return self._fail(ex, "outside",
                              f"A thread started in an earlier cell ({threads[0]}) was still "
                              f"running while exercise {ex.number} ran, so the grader cannot "
                              f"tell which code made {outputs}. Stop it before the exercise "
                              f"(join it, or do not start threads), then run all cells again.")
        return CHECKS[part.check].run(self, ex, part, seeded, fresh)

    # ------------------------------------------------------------------ helpers
    def _fail(self, ex: Exercise, what: str, message: str) -> Verdict:
        return Verdict(False, message, ex.code(what))

    def _unscaled(self, ex: Exercise) -> dict | None:
        """What the fresh run's unscaled re-run of the exercise's cells reported, when the
        scaled run raised in them and the unscaled one did not (see :mod:`graders.checks.
        run_plan`): the answers its shape and value are judged on. None otherwise."""
        data = self.fresh.extracts.get(ex.grade_id)
        found = data.get("unscaled") if isinstance(data, dict) else None
        if not (ex.scaled and isinstance(found, dict) and isinstance(found.get("names"), dict)
                and self._errors(ex, self.fresh)):
            return None
        return found

    def _inputs(self, ex: Exercise, run: str) -> dict:
        if run == "fresh":
            if self._unscaled(ex) is not None:  # its products saw the plain inputs
                return self.plan.fresh_inputs[ex.grade_id]
            return self._world(ex) or self.plan.fresh_inputs[ex.grade_id]
        return self.reference[ex.grade_id]["inputs"]

    def _through_product(self, ex: Exercise) -> bool:
        """Whether the exercise's answers on new inputs came out of a matrix product: in the
        fresh run every matrix product of the inputs saw ``ex.scaled`` times a factor only the
        grader chose, and the answers are what the reference (or a known mistake) gives on those
        scaled inputs, not on the plain ones. Decided from values only."""
        return self._world(ex) is not None

    def _world(self, ex: Exercise) -> dict | None:
        """The inputs the exercise's matrix products saw on new inputs, when its answers came
        out of them: ``ex.scaled`` times the factor, and with it the inputs ``ex.scaled_with``
        when the answer joined them to it in the product (bias as a column of weights: the
        factor then scales the bias too). None: the answers are what plain inputs give."""
        if not ex.scaled or ex.grade_id not in self.plan.scale:
            return None
        if ex.grade_id in self._worlds:
            return self._worlds[ex.grade_id]
        data = self.fresh.extracts.get(ex.grade_id) or {}
        names = data.get("names") if isinstance(data, dict) else None
        plain = self.plan.fresh_inputs[ex.grade_id]
        alpha = self.plan.scale[ex.grade_id]
        worlds = [scaled_inputs(ex, plain, alpha)]
        if ex.scaled_with:
            worlds.append(scaled_inputs(ex, plain, alpha, joined=True))
        found = None

        def hit(compute, inputs) -> bool:
            try:
                want = compute(inputs)
            except (ArithmeticError, ValueError, IndexError, KeyError):
                return False
            return bool(want) and all(_close_flat(_flat(names.get(n)), want[n], self.tol)
                                      for n in want if n in ex.outputs)

        if isinstance(names, dict):
            for compute in [ex.reference] + [m.compute for m in ex.mistakes if m.compute]:
                if hit(compute, plain):
                    break
                found = next((w for w in worlds if hit(compute, w)), None)
                if found is not None:
                    break
        self._worlds[ex.grade_id] = found
        return found

    def _stopped_before_answer(self, ex: Exercise, part: Part) -> Verdict | None:
        """Fails the method part of an exercise whose cells raised on the scaled products
        before they assigned its answers (they were judged on the unscaled re-run): the
        student's message says why the point is lost and how to place such a check. None when
        that is not what happened."""
        if self._unscaled(ex) is None:
            return None
        data = self.fresh.extracts.get(ex.grade_id) or {}
        names = data.get("names") if isinstance(data.get("names"), dict) else {}
        missing = [n for n in part.names if (names.get(n) or {}).get("kind", "missing")
                   == "missing"]
        if not missing:  # assigned before the error: the scaled values were judged as usual
            return None
        ename, evalue = (list(self._errors(ex, self.fresh)[0]) + ["", ""])[:2]
        answers = " and ".join(missing)
        return self._fail(ex, "stopped_scaled_run",
                          f"Exercise {ex.number}: the grader could not see whether {answers} "
                          f"came out of a matrix product. On its re-run with new inputs it "
                          f"multiplies {ex.scaled} by a secret factor inside every matrix "
                          f"product (that is how it sees a matrix product), and there your "
                          f"check raised {ename} ({evalue[:200]!r}) before {answers} was "
                          f"assigned. The check fails only on that re-run (a matrix product "
                          f"and a sum of products differ there); {answers} was graded for its "
                          f"shape and value on a re-run with plain products. Don't assert "
                          f"inside the answer cell: compare in a separate cell after the "
                          f"answer, or print the comparison instead.")

    def _expected(self, ex: Exercise, run: str) -> dict:
        if run == "fresh":
            return ex.reference(self._inputs(ex, "fresh"))
        return {name: self.reference[ex.grade_id][name] for name in ex.outputs}

    def _errors(self, ex: Exercise, run: Run) -> list:
        return [run.cell_errors[i] for i in self.plan.regions.get(ex.grade_id, [])
                if i in run.cell_errors]

    def _diagnose(self, ex: Exercise, seeded: dict, fresh: dict, names,
                  loose: bool = False) -> Mistake | None:
        """The known mistake that explains the answers on both runs, if any (``loose``: by
        their values alone, whatever their shape: a 0-d tensor for a 1 x 1 answer)."""
        for mistake in ex.mistakes:
            if mistake.compute is None:
                continue
            ok = True
            for data, run in ((seeded, "seeded"), (fresh, "fresh")):
                try:
                    wrong = mistake.compute(self._inputs(ex, run))
                except (ArithmeticError, ValueError, IndexError, KeyError):
                    ok = False
                    break
                compared = [n for n in wrong if n in ex.outputs or n in data["names"]]
                if not compared or not all(
                        _close_flat(_flat(data["names"].get(n)), wrong[n], self.tol) if loose
                        else _close(_matrix(data["names"].get(n)), wrong[n], self.tol)
                        for n in compared):
                    ok = False
                    break
            if ok and any(n in names for n in mistake.compute(self._inputs(ex, "fresh"))):
                return mistake
        return None

    def _present(self, ex: Exercise, name: str, seeded: dict, fresh: dict) -> Verdict | None:
        """Fails unless ``name`` is a tensor of the right shape in both runs."""
        shape = ex.outputs[name]
        assigned = self.plan.assigned.get(ex.grade_id)
        if assigned is not None and name not in assigned:  # the exercise's own cells never
            return self._missing(ex, name, self.seeded)  # bind it: whatever is there is not theirs
        for data, run in ((seeded, self.seeded), (fresh, self.fresh)):
            info = data["names"].get(name) or {"kind": "missing"}
            where = "" if run is self.seeded else " when your code runs on new inputs"
            if info.get("kind") == "missing":
                return self._missing(ex, name, run)
            if info.get("kind") == "number":
                float_mistake = next((m for m in ex.mistakes if m.kind == "number"), None)
                if float_mistake is not None:
                    return self._fail(ex, float_mistake.code,
                                      f"{name} should be a torch.Tensor, but it is a "
                                      f"{info.get('type', 'number')}. {float_mistake.says}")
            if info.get("kind") != "tensor":
                return self._fail(ex, "not_tensor",
                                  f"{name}{where} should be a torch.Tensor, but it is a "
                                  f"{info.get('type', info.get('kind'))}. Build it with torch "
                                  f"operations on the given tensors.")
            if _shape(info) != shape:
                mistake = self._diagnose(ex, seeded, fresh, (name,), loose=True)
                hint = ex.shape_hints.get(name, "")
                if mistake is not None:
                    fix = hint.removeprefix("Hint: ")
                    return self._fail(ex, mistake.code,
                                      f"{name}{where} should have shape {shape}, but it has "
                                      f"shape {_shape(info)}. {mistake.says} Then fix the shape: "
                                      f"{fix}".rstrip())
                right = all(_close_flat(_flat(d["names"].get(name)),
                                        self._expected(ex, r)[name], self.tol)
                            for d, r in ((seeded, "seeded"), (fresh, "fresh")))
                values = (" Its values are right: only the shape is wrong (keep the result "
                          "two-dimensional, e.g. no .item(), .squeeze() or torch.sum over the "
                          "matrix product)." if right else "")
                return self._fail(ex, "wrong_shape",
                                  f"{name}{where} should have shape {shape}, but it has shape "
                                  f"{_shape(info)}.{values} {hint}".rstrip())
            if str(info.get("dtype", "")).startswith("complex"):
                return self._fail(ex, "not_real", f"{name} should hold real numbers.")
        return None

    def _missing(self, ex: Exercise, name: str, run: Run) -> Verdict:
        errors = self._errors(ex, run)
        if any(e[0] == "NotImplementedError" for e in errors):
            return self._fail(ex, "not_done", f"Exercise {ex.number} is not done yet: replace "
                              f"`raise NotImplementedError()` with your code and run the cell.")
        for mistake in ex.mistakes:
            if mistake.error and mistake.when_missing == name and any(
                    mistake.error in e[1] for e in errors):
                return self._fail(ex, mistake.code, f"{mistake.says}")
        died = [e for e in errors if e[0] == "KernelDied"]
        if died:
            return self._fail(ex, "stopped_kernel",
                              f"Exercise {ex.number}: your code stopped the kernel when the "
                              f"grader ran it ({died[-1][1]}), so {name} could not be checked. "
                              f"Remove what ends the process (os._exit, a crash, an endless "
                              f"loop, a huge allocation) and run the notebook again.")
        if errors:
            ename, evalue = errors[-1][0], errors[-1][1]
            where = "" if run is self.seeded else " when it ran on new inputs"
            data = self.fresh.extracts.get(ex.grade_id)
            tried = isinstance(data, dict) and "unscaled" in data  # (None: it raised there too)
            if (run is self.fresh and ex.scaled and not self._errors(ex, self.seeded)
                    and not tried):
                # Only the run whose products see the grader's factor raised (and its re-run
                # with plain products did not run): most likely a check of the product against
                # a sum of products (the lesson says they agree) placed before the answer.
                return self._fail(ex, "error",
                                  f"Exercise {ex.number}: your code raised {ename}{where}: "
                                  f"{evalue}. On that run the grader multiplies {ex.scaled} "
                                  f"by a factor inside every matrix product (that is how it "
                                  f"sees that {' and '.join(ex.outputs)} came out of one), so "
                                  f"a check that a matrix product equals a sum of products "
                                  f"fails there. Assign {' and '.join(ex.outputs)} before any "
                                  f"such check, or print the comparison instead of asserting "
                                  f"it.")
            return self._fail(ex, "error",
                              f"Exercise {ex.number}: your code raised {ename}{where}: {evalue}. "
                              f"Run your cell, fix the error, and make sure it only uses the "
                              f"given variables ({', '.join(ex.inputs)}).")
        return self._fail(ex, "not_assigned",
                          f"Exercise {ex.number}: your code does not assign {name}. Store your "
                          f"result in a variable named {name} in the exercise's cell.")

    def _typed_in(self, ex: Exercise, name: str, seeded: dict, fresh: dict,
                  fitted: bool = True) -> Verdict | None:
        """Fails an answer fitted to the lesson's data: the same on new inputs, or right on the
        lesson's data only. (The expected values on new inputs are never shown: they would
        tell a student what to type in.)"""
        s, f = _matrix(seeded["names"][name]), _matrix(fresh["names"][name])
        want_s, want_f = self._expected(ex, "seeded")[name], self._expected(ex, "fresh")[name]
        # Unchanged: the lesson's answer kept (to the tolerance: noise added to typed-in values
        # does not hide it), or any answer kept to the last bit (a constant, the student's own
        # data). A wrong answer that lands within the tolerance of itself on new inputs is a
        # coincidence (about 1 in 1,000 fresh draws for a one-number answer, measured: a
        # missing B1 lost its shape point once in 1,000 gradings), not typing in.
        unchanged = _close(s, f, self.tol) and (_close(s, want_s, self.tol)
                                                or _close(s, f, SAME))
        # The lesson's answer with noise added: near it on both runs, though the new inputs
        # move the right answer at least FAR away (run_plan.FAR) and no known mistake explains it.
        noisy = (_close(s, want_s, NEAR) and _close(f, want_s, NEAR)
                 and not _close(want_f, want_s, 2 * NEAR)
                 and self._diagnose(ex, seeded, fresh, (name,)) is None)
        repeat = (fresh.get("repeat") or {}) if isinstance(fresh.get("repeat"), dict) else {}
        if repeat.get(name) is False:
            return self._fail(ex, "random",
                              f"{name} changes by itself: run twice on the same inputs, your "
                              f"code gives two different answers, so it is not computed from the "
                              f"given {', '.join(ex.inputs)}. Compute {name} from them (no random "
                              f"numbers, no values from outside the notebook).")
        if (unchanged or noisy) and not _close(want_f, want_s, 10 * self.tol):
            return self._fail(ex, "typed_in",
                              f"{name} does not change when the inputs change: on new inputs your "
                              f"code still gives {_fmt(f)}, as on the lesson's data. Compute "
                              f"{name} from the given {', '.join(ex.inputs)} instead of typing a "
                              f"number in or making your own data.")
        if fitted and _close(s, want_s, self.tol) and not _close(f, want_f, self.tol):
            return self._fail(ex, "fitted",
                              f"{name} is the lesson's answer on the lesson's data, but not the "
                              f"right answer for other {', '.join(ex.inputs)}: your code must "
                              f"work for any inputs. Compute {name} from the given variables "
                              f"only, without numbers taken from the lesson's output.")
        return None

    def _shape(self, ex, names, seeded, fresh) -> Verdict:
        for name in names:
            verdict = self._present(ex, name, seeded, fresh) or self._typed_in(
                ex, name, seeded, fresh)
            if verdict:
                return verdict
        return Verdict(True)

    def _wrote_given(self, ex) -> bool:
        """Whether the exercise's cells wrote into the given array with NumPy on new inputs
        (where the given array is read-only to NumPy, so `a *= 2` raises)."""
        return any(list(e[:1]) == ["ValueError"] and str(e[1]) in NUMPY_READ_ONLY
                   for e in self._errors(ex, self.fresh))

    def _given_kept(self, ex, given, seeded, fresh) -> Verdict | None:
        """Fails unless ``given`` is still the array the exercise was given, in both runs (its
        object and its memory are what the trusted side checks, not a copy of that name)."""
        for data, where in ((seeded, ""), (fresh, " when your code runs on a new array")):
            kept = (data.get("given") or {}).get(given)
            if not isinstance(kept, dict) or (kept.get("same") is not True
                                              and not _bound_to_itself(ex, data, given, kept)):
                m = ex.role("given_replaced")
                return self._fail(ex, m.code, f"{given} should still be the given array after "
                                              f"your code{where}. {m.says}")
        return None

    def _bridge_mistake(self, ex, part, seeded, fresh) -> Mistake | None:
        return self._diagnose(ex, seeded, fresh, (part.given, *part.names))


#: What NumPy raises when code writes into a read-only array (``a *= 2``, ``a[:] = ...``), word
#: for word: an error whose text merely mentions "read-only" is the student's, not NumPy's.
NUMPY_READ_ONLY = frozenset({"output array is read-only", "assignment destination is read-only"})

# ---------------------------------------------------------------------- the checks
@dataclass(frozen=True)
class Check:
    """A check a test cell runs: ``run(judge, exercise, part, seeded, fresh)`` decides it from
    the part's parameters (its ``names``, its ``given``) and the two runs' data."""

    name: str
    run: Callable[[Judge, Exercise, Part, dict, dict], Verdict]
    roles: tuple[str, ...] = ()  # the mistakes it names, by role: the entry must have them
    given: bool = False  # whether it needs ``Part.given`` (an input of the exercise)
    watched: bool = False  # whether it needs the exercise's ``watched`` inputs
    scaled: bool = False  # whether it needs the exercise's ``scaled`` input
    says: str = ""


#: Every check a table entry's part may name.
CHECKS: dict[str, Check] = {}


def check(name: str, **declared):
    def register(run):
        CHECKS[name] = Check(name, run, says=" ".join((run.__doc__ or "").split()), **declared)
        return run
    return register


def problems(ex: Exercise) -> list[str]:
    """What is inconsistent in a table entry (empty when nothing): each part's check must be
    registered, read outputs of the exercise and find the mistakes and inputs it needs."""
    out = []
    roles = {m.role for m in ex.mistakes if m.role}
    codes = [m.code for m in ex.mistakes]
    if len(set(codes)) != len(codes):
        out.append("two mistakes share a code")
    for name, part in ex.parts.items():
        found = CHECKS.get(part.check)
        if found is None:
            out.append(f"part {name}: no check named {part.check!r} (known: "
                       f"{', '.join(CHECKS)})")
            continue
        if not part.names or not set(part.names) <= set(ex.outputs):
            out.append(f"part {name}: reads {part.names}, not outputs of the exercise")
        missing = [r for r in found.roles if r not in roles]
        if missing:
            out.append(f"part {name}: check {part.check} needs mistakes with the roles "
                       f"{', '.join(missing)}")
        if found.given and part.given not in ex.inputs:
            out.append(f"part {name}: check {part.check} needs given= one of the inputs")
        if found.watched and not ex.watched:
            out.append(f"part {name}: check {part.check} needs watched inputs")
        if found.scaled and ex.scaled not in ex.inputs:
            out.append(f"part {name}: check {part.check} needs scaled= one of the inputs")
    for name in ex.outputs:
        if name not in ex.hints or name not in ex.shape_hints:
            out.append(f"output {name} needs a hint and a shape hint")
    return out


@check("shape")
def _check_shape(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """Each name is a tensor of the output's shape in both runs, computed from the inputs (not
    typed in, not random)."""
    return judge._shape(ex, part.names, seeded, fresh)


@check("value")
def _check_value(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """The shape check, then each name's values match the reference on the lesson's data and on
    new inputs (a known mistake named when it explains both)."""
    failed = judge._shape(ex, part.names, seeded, fresh)
    if not failed.passed:
        return failed
    for name in part.names:
        got_s, got_f = _matrix(seeded["names"][name]), _matrix(fresh["names"][name])
        want_s = judge._expected(ex, "seeded")[name]
        want_f = judge._expected(ex, "fresh")[name]
        if _close(got_s, want_s, judge.tol) and _close(got_f, want_f, judge.tol):
            continue
        mistake = judge._diagnose(ex, seeded, fresh, (name,))
        says = mistake.says if mistake else ex.hints[name]
        code = mistake.code if mistake else "wrong_value"
        # Right on the lesson's data but not on new inputs never gets here: the shape check
        # above failed it as `fitted`. So the lesson's value is wrong.
        return judge._fail(ex, code, f"{name} is {_fmt(got_s)} but should be {_fmt(want_s)}. "
                                     f"{says}")
    return Verdict(True)


@check("method", roles=("input_changed", "not_product"), watched=True, scaled=True)
def _check_method(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """The shape check, then the watched inputs keep their shapes and values, and the answer
    came out of a matrix product of the inputs (its values on new inputs show it)."""
    failed = judge._shape(ex, part.names, seeded, fresh)
    if not failed.passed:
        return failed
    for watched in ex.watched:
        expected_shape = ex.inputs[watched]
        for data, run, where in ((seeded, "seeded", ""),
                                 (fresh, "fresh", " (when your code runs on new inputs)")):
            info = data["names"].get(watched) or {}
            values = _matrix(info)
            inputs = (judge.plan.fresh_inputs[ex.grade_id] if run == "fresh"
                      else judge._inputs(ex, run))
            if _shape(info) != expected_shape or (
                    values is not None and not _close(values, inputs[watched], 1e-6)):
                mistake = ex.role("input_changed")
                return judge._fail(ex, mistake.code,
                                   f"{watched} should still have shape {expected_shape} and "
                                   f"its values after exercise {ex.number}{where}, but it has "
                                   f"shape {_shape(info)}. {mistake.says}")
    # The answer must come out of a matrix product of the inputs: on new inputs every
    # product saw the scaled input times the grader's factor, and the answer's values show it.
    # Only the scaled run's values say so: the unscaled re-run's answers (the cells raised on
    # the scaled products) are what a sum of products gives too, whatever marks they carry.
    if not judge._through_product(ex):
        stopped = judge._stopped_before_answer(ex, part)
        if stopped is not None:
            return stopped
        mistake = ex.role("not_product")
        marks = {name: (fresh["names"].get(name) or {}).get("marks") for name in part.names}
        outside = [name for name, found in marks.items()
                   if isinstance(found, list) and ex.scaled not in found]
        if outside:  # no torch operation the grader follows led from the input to the answer
            names = " and ".join(outside)
            return judge._fail(ex, mistake.code,
                               f"Exercise {ex.number} asks for a matrix multiplication with "
                               f"torch: {names} has the right value, but it was not computed "
                               f"from {ex.scaled} by torch operations (a NumPy product such as "
                               f"features.numpy() @ weights.numpy().T or np.dot, or numbers "
                               f"taken out with .item() or .tolist(), say); use torch.mm("
                               f"features, weights.view(5, 1)), torch.matmul or the @ operator "
                               f"on the tensors themselves.")
        return judge._fail(ex, mistake.code, f"Exercise {ex.number} asks for a matrix "
                                             f"multiplication: {mistake.says}")
    return Verdict(True)


# the NumPy bridge: a tensor (the part's name) made from the given array (``given``) -----------
@check("bridge_type", given=True)
def _check_bridge_type(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """The tensor is a tensor of the given array's shape, made from the inputs."""
    name = part.names[0]
    if judge._wrote_given(ex):  # the cell stopped at `a *= 2` there: the lesson's run decides
        return judge._present(ex, name, seeded, seeded) or Verdict(True)
    return (judge._present(ex, name, seeded, fresh)
            or judge._typed_in(ex, name, seeded, fresh, fitted=False) or Verdict(True))


@check("bridge_memory", roles=("given_replaced", "converted", "copy", "out_of_place"),
       given=True)
def _check_bridge_memory(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """The tensor shares the given array's memory and keeps its dtype, in both runs."""
    name, given = part.names[0], part.given
    dtype = "float64" if ex.input_kind == "ndarray" else "float32"
    if judge._wrote_given(ex):  # the cell stopped at `a *= 2` there: the lesson's run decides
        fresh = seeded
    failed = (judge._present(ex, name, seeded, fresh)
              or judge._given_kept(ex, given, seeded, fresh))
    if failed:
        return failed
    for data, where in ((seeded, ""), (fresh, " when your code runs on a new array")):
        b, a = data["names"][name], data["names"].get(given) or {}
        if b.get("dtype") != dtype:
            m = ex.role("converted")
            return judge._fail(ex, m.code, f"{name} should have dtype torch.{dtype} (the dtype "
                                           f"of {given}){where}, but it has "
                                           f"torch.{b.get('dtype')}. {m.says}")
        kept = (data.get("given") or {}).get(given) or {}
        if not _overlap(b.get("memory"), a.get("memory")) or not _overlap(
                b.get("memory"), kept.get("memory")):
            copied = (_copy_doubled(fresh, name, given)
                      or judge._bridge_mistake(ex, part, seeded, fresh) is None)
            mistake = ex.role("copy" if copied else "out_of_place")
            return judge._fail(ex, mistake.code, f"{name} does not share memory with "
                                                 f"{given}{where}. {mistake.says}")
    return Verdict(True)


@check("bridge_doubled", roles=("given_changed_directly", "given_replaced", "copy",
                                "out_of_place"), given=True)
def _check_bridge_doubled(judge: Judge, ex, part, seeded, fresh) -> Verdict:
    """The given array was doubled exactly once, in place, through the tensor."""
    name, given = part.names[0], part.given
    # On new inputs the given array is read-only to NumPy: `a *= 2` fails there, a tensor
    # sharing its memory (b.mul_(2)) still doubles it.
    if judge._wrote_given(ex) and not judge._present(ex, name, seeded, seeded):
        mistake = ex.role("given_changed_directly")
        return judge._fail(ex, mistake.code, mistake.says)
    failed = (judge._present(ex, name, seeded, fresh)
              or judge._given_kept(ex, given, seeded, fresh))
    if failed:
        return failed
    for data, run, where in ((seeded, "seeded", ""),
                             (fresh, "fresh", " when your code runs on a new array")):
        before = judge._inputs(ex, run)[given]
        a, b = _matrix(data["names"].get(given)), _matrix(data["names"][name])
        kept = (data.get("given") or {}).get(given) or {}
        if (a is None or a != [[2 * x for x in row] for row in before] or b != a
                or kept.get("values") != a or not _overlap(
                    (data["names"][name] or {}).get("memory"), kept.get("memory"))):
            mistake = judge._bridge_mistake(ex, part, seeded, fresh)
            if (mistake is not None and mistake.role == "out_of_place"
                    and _copy_doubled(fresh, name, given)):
                mistake = ex.role("copy")  # b.mul_(2) was right, b was not
            says = mistake.says if mistake else ex.hints[name]
            got = (f"{given}[0, 0] is {a[0][0]:.4f}" if a
                   else f"{given} is no longer an array")
            return judge._fail(ex, mistake.code if mistake else "wrong_value",
                               f"{given} should be doubled exactly once, in place{where}, and "
                               f"{name} hold the same numbers: {given}[0, 0] should be "
                               f"{2 * before[0][0]:.4f} but {got}. {says}")
    if not _changed_in_place(fresh, given):
        mistake = ex.role("given_changed_directly")
        return judge._fail(ex, mistake.code, mistake.says)
    return Verdict(True)


def _bound_to_itself(ex, data: dict, given: str, kept: dict) -> bool:
    """Whether ``given`` was bound anew to an array over exactly the given array's memory, of
    its shape and dtype: ``a = b.numpy()`` after b shared a's memory (corpus 113) is the given
    array in all but the Python object. A copy (``a = b.numpy()`` when b is one: attack 53) has
    memory of its own."""
    now = (data.get("names") or {}).get(given) or {}
    memory = kept.get("memory")
    return (now.get("kind") == "ndarray" and isinstance(memory, list) and len(memory) == 2
            and now.get("memory") == memory and now.get("dtype") == "float64"
            and now.get("shape") == list(ex.inputs[given])
            and now.get("values") == kept.get("values"))


def _copy_doubled(data: dict, name: str, given: str) -> bool:
    """A copy of the given array doubled in place leaves the same numbers as ``b = b * 2`` (the
    array as it was, the tensor doubled); the trace tells them apart: only the copy was changed
    in place."""
    b = data["names"].get(name) or {}
    a = data["names"].get(given) or {}
    return bool(b.get("changed_in_place")) and not _overlap(b.get("memory"), a.get("memory"))


def _changed_in_place(data: dict, given: str) -> bool:
    """Whether a tensor made from the given array was changed in place by a torch operation
    in the array's memory (b, a view of b). Marks alone are not enough: a clone of b carries
    them too, and its in-place change leaves the array alone (corpus 100). The change's memory,
    as the child reported it, must overlap the given array object's, as ``bridge_memory``
    compares b's; an entry without it counts for nothing."""
    memory = ((data.get("given") or {}).get(given) or {}).get("memory")
    return any(isinstance(entry, list) and len(entry) == 3 and isinstance(entry[1], list)
               and given in entry[1] and _overlap(entry[2], memory)
               for entry in data.get("inplace") or [])


def _overlap(x, y) -> bool:
    if not (isinstance(x, list) and isinstance(y, list) and len(x) == len(y) == 2):
        return False
    return x[0] < y[1] and y[0] < x[1]
