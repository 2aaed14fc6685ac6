"""The trusted side on its own: the exercise table, the plan of the grader's re-runs, and the
judge deciding tests from plain data (no nbgrader, no child processes: fast)."""

import json
import random
from dataclasses import replace

import nbformat
import pytest
import torch
from conftest import ASSIGNMENT, ROOT

from graders.checks import run_plan
from graders.checks.exercises import EXERCISES, TESTS
from graders.checks.verdicts import Judge, Run
from graders.course import load_reference
from graders.protocol import Cell, Extract, Label, step_from_wire, step_to_wire

RELEASE = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
REFERENCE = load_reference()


def test_the_table_gives_fifteen_points_in_four_exercises():
    assert [e.number for e in EXERCISES.values()] == [1, 2, 3, 4]
    assert sum(p.points for e in EXERCISES.values() for p in e.parts.values()) == 15


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_reference_computation_matches_torch_on_random_inputs(exercise):
    ex = EXERCISES[exercise]
    inputs = run_plan.fresh_inputs(ex, random.Random(5))
    got = ex.reference(inputs)
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in inputs.items()}
    if exercise in ("single_layer_sum", "single_layer_mm"):
        want = {"y": torch.sigmoid((t["features"] * t["weights"]).sum() + t["bias"])}
    elif exercise == "multilayer":
        h = torch.sigmoid(t["features"] @ t["W1"] + t["B1"])
        want = {"h": h, "output": torch.sigmoid(h @ t["W2"] + t["B2"])}
    else:
        want = {"b": 2 * t["a"], "a": 2 * t["a"]}
    for name, value in want.items():
        assert torch.allclose(torch.tensor(got[name], dtype=torch.float64), value, atol=1e-9)


@pytest.mark.parametrize(("exercise", "mistake"), [
    (e.grade_id, m.code) for e in EXERCISES.values() for m in e.mistakes if m.compute])
def test_no_mistake_ever_looks_like_the_right_answer(exercise, mistake):
    ex = EXERCISES[exercise]
    compute = next(m for m in ex.mistakes if m.code == mistake).compute
    for seed in range(20):
        inputs = run_plan.fresh_inputs(ex, random.Random(seed))
        wrong, right = compute(inputs), ex.reference(inputs)
        assert any(wrong[n] != right[n] for n in wrong if n in right)


def test_the_reference_values_hold_the_lessons_inputs_and_answers():
    for exercise, ex in EXERCISES.items():
        stored = REFERENCE[exercise]
        assert set(stored["inputs"]) == set(ex.inputs)
        computed = ex.reference(stored["inputs"])
        for name in ex.outputs:
            flat = [x for row in computed[name] for x in row]
            ref = [x for row in stored[name] for x in row]
            assert max(abs(a - b) for a, b in zip(flat, ref, strict=True)) < 1e-5


# --------------------------------------------------------------------------- the plan
def _notebook(edits: dict[str, str] | None = None, extra: list[tuple[str, str]] = ()):
    nb = nbformat.read(RELEASE, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for grade_id, source in (edits or {}).items():
        nb.cells[ids.index(grade_id)].source = source
    for after, source in reversed(list(extra)):
        nb.cells.insert(ids.index(after) + 1, nbformat.v4.new_code_cell(source))
    for cell in nb.cells:  # the release's test cells as the gradebook restores them
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source += '\nhidden_test("x", "y")'
    return nb


def _sources(nb, indices):
    return [nb.cells[i].source for i in indices]


def test_the_students_cells_are_known_by_their_ids_not_their_first_lines():
    nb = _notebook(
        {"single_layer_sum": "# Test single_layer_sum: my answer\ny = 1",
         "single_layer_mm": "# Given: my answer\ny = 2"},
        extra=[("test_single_layer_sum_shape", "print(y)\ny"),
               ("single_layer_mm", "%%time\nz = 3")])
    plan = run_plan.plan(nb, b"k")
    assert _sources(nb, plan.regions["single_layer_sum"]) == [
        "# Test single_layer_sum: my answer\ny = 1"]
    assert _sources(nb, plan.regions["single_layer_mm"]) == ["# Given: my answer\ny = 2",
                                                             "%%time\nz = 3"]
    debug = nb.cells.index(next(c for c in nb.cells if c.source == "print(y)\ny"))
    assert debug in plan.student_cells and set(plan.tests) == set(TESTS)


def test_the_fresh_run_injects_after_the_data_cell_and_before_each_exercise():
    plan = run_plan.plan(_notebook(), b"k")
    kinds = [step.kind for step in plan.fresh]
    assert kinds.count("inject") == 3 + 4  # three data cells, four exercises
    assert [s.kind for s in plan.seeded].count("inject") == 0
    extracts = [s for s in plan.seeded if isinstance(s, Extract)]
    assert [(s.key, s.names) for s in extracts] == [
        (s.key, s.names) for s in plan.fresh if isinstance(s, Extract)]
    assert [s.key for s in extracts] == list(EXERCISES)  # once per exercise, after its cells
    assert all(s.recheck is None for s in extracts)
    repeats = [s.key for s in plan.fresh if isinstance(s, Extract) and s.recheck is not None]
    assert repeats == list(EXERCISES)  # each exercise's cells run twice on the same inputs
    scaled = [s.scale for s in plan.fresh if isinstance(s, Label) and s.scale]
    assert [s["input"] for s in scaled] == ["weights", "weights"]  # exercises 1 and 2
    assert all(-2 <= s["by"] <= -1 for s in scaled)
    assert not [s for s in plan.main if isinstance(s, Label) and s.scale]  # not in the shown run
    kept_on = [s.key for s in plan.fresh if isinstance(s, Extract) and s.keep_scaling]
    assert kept_on == ["single_layer_sum"]  # on until exercise 2, which shares its inputs
    wire = json.loads(json.dumps([step_to_wire(s) for s in plan.fresh]))  # plain data only
    assert [step_from_wire(s) for s in wire] == plan.fresh


def test_the_notebook_run_is_the_seeded_run_with_the_test_cells_in_place():
    """The engine's run of the notebook doubles as the seeded re-run: the same steps, every cell
    shown, and each test cell after its exercise's answers were read back (a test cell's code
    cannot change what the verdict sees)."""
    nb = _notebook()
    plan = run_plan.plan(nb, b"k")
    assert [s for s in plan.main if isinstance(s, Cell) and s.index not in plan.tests.values()
            ] == [replace(s, report=True) for s in plan.seeded if isinstance(s, Cell)]
    assert [s for s in plan.main if not isinstance(s, Cell)] == [
        s for s in plan.seeded if not isinstance(s, Cell)]
    cells = [s.index for s in plan.main if isinstance(s, Cell)]
    assert cells == [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for test_id, index in plan.tests.items():
        exercise = TESTS[test_id][0].grade_id
        read = next(k for k, s in enumerate(plan.main) if isinstance(s, Extract)
                    and s.key == exercise)
        assert read < plan.main.index(next(s for s in plan.main if isinstance(s, Cell)
                                           and s.index == index))


def test_fresh_inputs_are_secret_but_reproducible():
    nb = _notebook()
    one, again = run_plan.plan(nb, b"key one"), run_plan.plan(nb, b"key one")
    other = run_plan.plan(nb, b"key two")
    assert one.fresh_inputs == again.fresh_inputs != other.fresh_inputs
    assert one.fresh_inputs["single_layer_sum"] is one.fresh_inputs["single_layer_mm"]


def _distance_to_lesson(inputs: dict, exercise: str) -> float:
    """The smallest, over the exercise's answers, of the largest element-wise difference
    between the answer on ``inputs`` and on the lesson's data."""
    ex = EXERCISES[exercise]
    new, old = ex.reference(inputs), ex.reference(REFERENCE[exercise]["inputs"])
    return min(max(abs(a - b) for a, b in zip(sum(new[n], []), sum(old[n], []), strict=True))
               for n in ex.outputs)


def test_fresh_answers_are_never_what_a_student_would_guess():
    """A sigmoid's output guessed as 0.5 (its ends 0 and 1) on the grader's new inputs, and the
    lesson's value typed in for the lesson's data, must not pass: about one draw in 5,000 put
    exercise 3's one-number answer within the tolerance of 0.5 (attack 33 earned its points
    so, once, in CI); one in 25 within 1e-2 of a guess, which this run of 300 notebooks meets."""
    nb = _notebook()
    for n in range(300):
        plan = run_plan.plan(nb, f"guess {n}".encode())
        for exercise, ex in EXERCISES.items():
            answers = ex.reference(plan.fresh_inputs[exercise])
            for name in ex.outputs:
                values = sum(answers[name], [])
                for guess in run_plan.GUESSES:
                    assert max(abs(v - guess) for v in values) >= run_plan.FAR, (n, name, guess)


def test_fresh_inputs_never_give_the_lessons_answers_again():
    """Otherwise about one notebook in a hundred would get new inputs whose one-number answer
    is within 1e-2 of the lesson's (one in a thousand within the tolerance: a typed-in answer
    would pass there); a student could fish for such a draw by handing in extra files."""
    nb, near_plain = _notebook(), 0
    for n in range(400):
        plan = run_plan.plan(nb, f"key {n}".encode())
        for exercise in EXERCISES:
            assert _distance_to_lesson(plan.fresh_inputs[exercise], exercise) >= run_plan.FAR
        rng = random.Random(n)  # the same draws without the check: some come near
        near_plain += _distance_to_lesson(
            run_plan.fresh_inputs(EXERCISES["single_layer_sum"], rng), "single_layer_sum"
        ) < run_plan.FAR
    assert near_plain > 0


def test_the_course_secret_is_made_once_and_private(tmp_path):
    key = run_plan.course_secret(tmp_path)
    assert run_plan.course_secret(tmp_path) == key and len(key) == 32
    assert (tmp_path / run_plan.SECRET_FILE).stat().st_mode & 0o077 == 0


# --------------------------------------------------------------------------- the judge
def _tensor(values, marks=("features", "weights", "matmul")):
    return {"kind": "tensor", "type": "Tensor", "exact": True,
            "shape": [len(values), len(values[0])], "dtype": "float32", "values": values,
            "marks": list(marks)}


def _judge(answers: dict, exercise="single_layer_sum", errors=None, replaced=(),
           through_product=False, fresh=None, assigned=None, fresh_errors=None, joined=False):
    """A judge whose runs report ``answers(inputs)`` for every test of ``exercise``: on new
    inputs ``through_product`` gives it the inputs its matrix products saw (weights times the
    grader's factor; ``joined``: bias rode in the scaled operand too); ``fresh`` adds to what
    the fresh run reports; ``assigned``: the names the exercise's cells bind (by default its
    answers)."""
    plan = run_plan.plan(_notebook(), b"k")
    plan.assigned = {e: list(EXERCISES[e].outputs) for e in EXERCISES}
    if assigned is not None:
        plan.assigned[exercise] = list(assigned)
    ex = EXERCISES[exercise]
    fresh_inputs = plan.fresh_inputs[exercise]
    if through_product:
        fresh_inputs = run_plan.scaled_inputs(ex, fresh_inputs, plan.scale[exercise], joined)
    runs = []
    for name, inputs in (("seeded", REFERENCE[exercise]["inputs"]), ("fresh", fresh_inputs)):
        data = {"names": answers(inputs), "replaced": list(replaced), "inplace": []}
        if name == "fresh":
            data.update(fresh or {})
            if through_product and "weights" in data["names"]:  # weights itself is not scaled
                plain = answers(plan.fresh_inputs[exercise])["weights"]
                data["names"]["weights"] = plain
        errs = fresh_errors if name == "fresh" and fresh_errors is not None else errors
        cell_errors = {i: e for i in plan.regions[exercise] for e in (errs or [])}
        runs.append(Run({exercise: data}, cell_errors, name))
    return Judge(plan, *runs, REFERENCE)


def _neuron(inputs, bias=True):
    total = sum(f * w for f, w in zip(inputs["features"][0], inputs["weights"][0], strict=True))
    total += inputs["bias"][0][0] if bias else 0
    return [[1 / (1 + 2.718281828459045 ** -total)]]


def test_a_right_answer_passes_without_a_diagnosis():
    judge = _judge(lambda i: {"y": _tensor(_neuron(i))})
    for part in ("shape", "value"):
        verdict = judge.test(f"test_single_layer_sum_{part}")
        assert verdict.passed and verdict.code == "" and verdict.message == ""


def test_a_known_mistake_is_named_with_what_to_change():
    verdict = _judge(lambda i: {"y": _tensor(_neuron(i, bias=False))}).test(
        "test_single_layer_sum_value")
    assert not verdict.passed and verdict.code == "single_layer_sum.no_bias"
    assert verdict.message.startswith("y is 0.1214 but should be 0.1595. y equals "
                                      "activation(sum(features * weights)): the bias is missing")


def test_an_unknown_wrong_answer_keeps_the_general_hint():
    verdict = _judge(lambda i: {"y": _tensor([[0.9 * _neuron(i)[0][0]]])}).test(
        "test_single_layer_sum_value")
    assert verdict.code == "single_layer_sum.wrong_value" and "Hint: y = activation" in (
        verdict.message)


def test_a_typed_in_answer_fails_every_part():
    judge = _judge(lambda i: {"y": _tensor([[0.1595]])})
    for part in ("shape", "value"):
        assert judge.test(f"test_single_layer_sum_{part}").code == "single_layer_sum.typed_in"


def _no_b1(inputs):
    features, w1, w2 = inputs["features"][0], inputs["W1"], inputs["W2"]
    sig = lambda x: 1 / (1 + 2.718281828459045 ** -x)  # noqa: E731
    h = [sig(sum(features[k] * w1[k][j] for k in range(3))) for j in range(2)]
    output = sig(sum(h[j] * w2[j][0] for j in range(2)) + inputs["B2"][0][0])
    return {"h": _tensor([h], ("features", "W1", "matmul")),
            "output": _tensor([[output]], ("h", "W2", "matmul"))}


def test_a_wrong_answer_that_happens_to_repeat_on_new_inputs_is_not_typed_in():
    """Seen once in 1,000 gradings: B1 missing, and the fresh draw gave an output within the
    tolerance of the lesson's one. The shape point stands; the values still fail."""
    lesson = _no_b1(REFERENCE["multilayer"]["inputs"])["output"]["values"][0][0]

    def answers(inputs):
        got = _no_b1(inputs)
        if inputs is not REFERENCE["multilayer"]["inputs"]:  # the fresh run: 5e-5 away
            got["output"] = _tensor([[lesson + 5e-5]], ("h", "W2", "matmul"))
        return got

    judge = _judge(answers, exercise="multilayer")
    assert judge.test("test_multilayer_shape").passed
    for test in ("test_multilayer_hidden", "test_multilayer_output"):
        verdict = judge.test(test)  # wrong values, said as such (the faked output is no no_b1)
        assert not verdict.passed and verdict.code != "multilayer.typed_in", verdict


@pytest.mark.parametrize("fresh_offset", [0.0, 5e-5])
def test_the_lessons_answer_kept_on_new_inputs_is_typed_in_even_with_noise(fresh_offset):
    judge = _judge(lambda i: {"y": _tensor([[0.15950656 + (
        fresh_offset if i is not REFERENCE["single_layer_sum"]["inputs"] else 0.0)]])})
    assert judge.test("test_single_layer_sum_shape").code == "single_layer_sum.typed_in"


def test_any_answer_kept_to_the_last_bit_is_typed_in():
    judge = _judge(lambda i: {"y": _tensor([[0.5]])})  # wrong, and the same on new inputs
    assert judge.test("test_single_layer_sum_shape").code == "single_layer_sum.typed_in"


def test_a_random_answer_earns_no_point():
    """Drawn afresh on every run: the grader's second run of the exercise's cells on the same
    inputs gives another answer, so it does not follow the inputs (shape point included)."""
    rng = random.Random(3)
    judge = _judge(lambda i: {"y": _tensor([[rng.random()]])}, fresh={"repeat": {"y": False}})
    for part in ("shape", "value"):
        verdict = judge.test(f"test_single_layer_sum_{part}")
        assert verdict.code == "single_layer_sum.random" and "two different answers" in (
            verdict.message)
    honest = _judge(lambda i: {"y": _tensor(_neuron(i, bias=False))},
                    fresh={"repeat": {"y": True}})
    assert honest.test("test_single_layer_sum_shape").passed


@pytest.mark.parametrize("noise", [0.002, -0.004])
def test_the_lessons_answer_with_noise_earns_no_point(noise):
    """The lesson's answer plus noise (os.urandom, say): near it on both runs although the new
    inputs move the right answer at least 1e-2 away."""
    rng = random.Random(7)
    judge = _judge(lambda i: {"y": _tensor([[0.15950656 + noise * rng.random()]])})
    for part in ("shape", "value"):
        assert judge.test(f"test_single_layer_sum_{part}").code == "single_layer_sum.typed_in"


def test_a_python_number_is_diagnosed():
    value = lambda i: {"y": {"kind": "number", "type": "float", "value": _neuron(i)[0][0]}}  # noqa: E731
    verdict = _judge(value).test("test_single_layer_sum_shape")
    assert verdict.code == "single_layer_sum.python_float" and "is a float" in verdict.message


def test_a_blank_exercise_says_it_is_not_done():
    verdict = _judge(lambda i: {"y": {"kind": "missing"}},
                     errors=[["NotImplementedError", ""]]).test("test_single_layer_sum_shape")
    assert verdict.code == "single_layer_sum.not_done"


def test_replaced_helpers_fail_the_test_as_tampering():
    verdict = _judge(lambda i: {"y": _tensor(_neuron(i))}, replaced=["torch.allclose"]).test(
        "test_single_layer_sum_value")
    assert verdict.code == "single_layer_sum.tampering"
    assert "torch.allclose has been replaced" in verdict.message


def test_the_method_point_needs_a_matrix_product_and_weights_left_alone():
    def answers(marks, weights_shape=(1, 5)):
        def make(i):
            w = i["weights"] if weights_shape == (1, 5) else [[x] for x in i["weights"][0]]
            return {"y": _tensor(_neuron(i), marks), "weights": _tensor(w, ())}
        return make

    through = _judge(answers(("features", "weights", "matmul")), "single_layer_mm",
                     through_product=True)
    for part in ("shape", "value", "method"):
        assert through.test(f"test_single_layer_mm_{part}").passed
    # The trace's marks alone earn nothing: the values on new inputs must come out of the
    # scaled product (a sum of products, or a product added times zero, gives the plain ones).
    plain = _judge(answers(("features", "weights", "matmul")), "single_layer_mm")
    assert plain.test("test_single_layer_mm_value").passed
    assert plain.test("test_single_layer_mm_method").code == "single_layer_mm.no_matrix_product"
    assert _judge(answers(("features", "weights", "matmul"), (5, 1)), "single_layer_mm",
                  through_product=True).test(
        "test_single_layer_mm_method").code == "single_layer_mm.weights_changed"


@pytest.mark.parametrize("exercise", ["single_layer_sum", "single_layer_mm"])
def test_the_bias_trick_is_a_matrix_product(exercise):
    """bias appended to weights as a column, features given a column of ones, one product
    (torch.mm(torch.cat([features, ones], 1), torch.cat([weights, bias], 1).T)): right, and
    on new inputs the grader's factor scales the bias with weights. Before, the value on new
    inputs matched no world and the answer was called `fitted` (copied from the lesson)."""
    judge = _judge(lambda i: {"y": _tensor(_neuron(i)), "weights": _tensor(i["weights"], ())},
                   exercise, through_product=True, joined=True)
    for part in EXERCISES[exercise].parts:
        verdict = judge.test(f"test_{exercise}_{part}")
        assert verdict.passed, (part, verdict.message)


def test_a_product_made_outside_torch_is_told_so():
    """Exercise 2 with NumPy's product (torch.from_numpy(features.numpy() @ weights.numpy().T)):
    right value, no method point (the grader follows torch's operations), and the message no
    longer says "a sum of products, say", which this student did not write."""
    def answers(marks):
        return lambda i: {"y": _tensor(_neuron(i), marks), "weights": _tensor(i["weights"], ())}

    numpy = _judge(answers(("bias",)), "single_layer_mm")
    assert numpy.test("test_single_layer_mm_value").passed
    verdict = numpy.test("test_single_layer_mm_method")
    assert verdict.code == "single_layer_mm.no_matrix_product"
    assert "not computed from weights by torch operations" in verdict.message
    assert "a sum of products" not in verdict.message
    summed = _judge(answers(("bias", "features", "weights")), "single_layer_mm")
    assert "a sum of products, say" in summed.test("test_single_layer_mm_method").message


def test_a_mistake_through_a_matrix_product_is_still_named():
    verdict = _judge(lambda i: {"y": _tensor(_neuron(i, bias=False)), "weights":
                                _tensor(i["weights"], ())}, "single_layer_mm",
                     through_product=True).test("test_single_layer_mm_value")
    assert verdict.code == "single_layer_mm.no_bias"


def test_a_mistake_is_named_whatever_the_shape():
    """y = activation(torch.sum(features * weights)): a 0-d tensor, the commonest mistake in its
    commonest form. The message names it and says what to do about the shape."""
    def scalar(i):
        return {"y": {"kind": "tensor", "type": "Tensor", "exact": True, "shape": [],
                      "dtype": "float32", "values": _neuron(i, bias=False)[0][0]}}
    for part in ("shape", "value"):
        verdict = _judge(scalar).test(f"test_single_layer_sum_{part}")
        assert verdict.code == "single_layer_sum.no_bias", verdict
        assert "shape (1, 1), but it has shape ()" in verdict.message
        assert "the bias is missing" in verdict.message and "fix the shape" in verdict.message
    one = lambda i: {"y": {**scalar(i)["y"], "shape": [1], "values": [_neuron(i)[0][0]]}}  # noqa: E731
    verdict = _judge(one).test("test_single_layer_sum_shape")
    assert verdict.code == "single_layer_sum.wrong_shape" and "values are right" in (
        verdict.message)


def test_an_answer_the_exercises_cells_do_not_bind_is_not_theirs():
    """A thread or hook from an earlier cell put y in place: the exercise's own cells never bind
    it, so it is not done, whatever the value."""
    judge = _judge(lambda i: {"y": _tensor(_neuron(i))}, "single_layer_mm", assigned=(),
                   errors=[["NotImplementedError", ""]], through_product=True)
    for part in ("shape", "value", "method"):
        assert judge.test(f"test_single_layer_mm_{part}").code == "single_layer_mm.not_done"
    kept = _judge(lambda i: {"y": {"kind": "missing", "kept": True}})
    assert kept.test("test_single_layer_sum_shape").code == "single_layer_sum.not_assigned"


def test_a_thread_alive_when_the_exercise_began_voids_its_answers():
    judge = _judge(lambda i: {"y": _tensor(_neuron(i))}, fresh={"threads": ["Thread-1 (keep)"]})
    verdict = judge.test("test_single_layer_sum_value")
    assert verdict.code == "single_layer_sum.outside" and "Thread-1 (keep)" in verdict.message


def _bridge(i, doubled=True, same=True, shared=True, offset=0):
    a = [[2 * x for x in row] for row in i["a"]] if doubled else i["a"]
    memory = [1000 + offset, 1096 + offset]
    b = {**_tensor(a, ()), "dtype": "float64", "memory": memory if shared else [5000, 5096]}
    return {"b": b, "a": {"kind": "ndarray", "type": "ndarray", "shape": [4, 3],
                          "dtype": "float64", "values": a, "memory": memory}}


def _given(i, same=True, doubled=True):
    a = [[2 * x for x in row] for row in i["a"]] if doubled else i["a"]
    return {"given": {"a": {"same": same, "memory": [1000, 1096], "values": a}},
            "inplace": [["mul_", ["a"], [1000, 1096]]]}


def test_exercise_4_counts_the_given_array_only():
    ex = "numpy_bridge"
    plan_inputs = run_plan.plan(_notebook(), b"k").fresh_inputs[ex]

    def judge(same=True, errors=None, fresh_errors=None, offset=0):
        j = _judge(lambda i: _bridge(i, offset=offset), ex, errors=errors,
                   fresh_errors=fresh_errors)
        for run, inputs in ((j.seeded, REFERENCE[ex]["inputs"]), (j.fresh, plan_inputs)):
            run.extracts[ex].update(_given(inputs, same=same))
        return j

    for part in ("type", "memory", "doubled"):
        assert judge().test(f"test_numpy_bridge_{part}").passed, part
    # a rebound to b.numpy() after doubling a copy (memory of its own): a is no longer the
    # given array (attack 53)
    copy = judge(same=False, offset=4000)
    assert copy.test("test_numpy_bridge_memory").code == "numpy_bridge.a_replaced"
    assert copy.test("test_numpy_bridge_doubled").code == "numpy_bridge.a_replaced"
    # a rebound to b.numpy() when b shares the given array's memory: a new name for the same
    # array, of its shape, dtype and values (corpus 113)
    for part in ("type", "memory", "doubled"):
        assert judge(same=False).test(f"test_numpy_bridge_{part}").passed, part
    # a *= 2 on new inputs, where the given array is read-only to NumPy
    read_only = judge(fresh_errors=[["ValueError", "output array is read-only"]])
    assert read_only.test("test_numpy_bridge_doubled").code == "numpy_bridge.doubled_a_directly"


@pytest.mark.parametrize(("inplace", "passed"), [
    ([["mul_", ["a"], [1000, 1096]]], True),  # b.mul_(2)
    ([["mul_", ["a"], [1024, 1032]]], True),  # a view of part of b
    ([["__itruediv__", ["a"], [5000, 5096]]], False),  # a clone of b: b's marks, not a's memory
    ([["mul_", ["a"]]], False),  # where it landed not reported
    ([["mul_", ["a"], None]], False),
    ([["mul_", [], [1000, 1096]]], False),  # not made from a
])
def test_exercise_4_counts_in_place_changes_in_the_given_arrays_memory_only(inplace, passed):
    """The values say a was doubled (through b.numpy(), say); the doubling point also needs an
    in-place torch operation on a's memory, which a clone's (corpus 100) is not."""
    ex = "numpy_bridge"
    plan_inputs = run_plan.plan(_notebook(), b"k").fresh_inputs[ex]
    j = _judge(lambda i: _bridge(i), ex)
    for run, inputs in ((j.seeded, REFERENCE[ex]["inputs"]), (j.fresh, plan_inputs)):
        run.extracts[ex].update({**_given(inputs), "inplace": inplace})
    verdict = j.test("test_numpy_bridge_doubled")
    assert verdict.passed is passed
    assert passed or verdict.code == "numpy_bridge.doubled_a_directly"


@pytest.mark.parametrize("error", [["RuntimeError", "a is read-only here"],
                                   ["ValueError", "a is read-only, so I stop"]])
def test_a_students_own_read_only_error_does_not_stand_for_numpys(error):
    """Only NumPy's own error (its type and words) says the cell wrote into the read-only array
    on new inputs; a typed-in b whose cell raises an error of its own that mentions read-only
    there is still typed in."""
    ex = "numpy_bridge"
    typed = _bridge(REFERENCE[ex]["inputs"])
    judge = _judge(lambda i: typed, ex, fresh_errors=[error])
    assert judge.test("test_numpy_bridge_type").code == "numpy_bridge.typed_in"


def test_a_check_that_stops_only_the_scaled_run_is_told_why():
    """Exercise 2's cell asserts that its product equals the sum before assigning y (the lesson
    says the two agree): only the fresh run, whose products see the grader's factor, raises.
    The message says so and how to write the check, instead of "fix the error" (the student's
    notebook has none)."""
    error = [["AssertionError", "the product and the sum differ"]]
    verdict = _judge(lambda i: {"y": _tensor(_neuron(i))}, "single_layer_mm",
                     fresh={"names": {}}, fresh_errors=error).test("test_single_layer_mm_value")
    assert verdict.code == "single_layer_mm.error"
    assert "multiplies weights by a factor inside every matrix product" in verdict.message
    assert "Assign y before any such check" in verdict.message
    # an error on both runs, or in an exercise without scaled products: the usual message
    for exercise, errors in (("single_layer_mm", error), ("multilayer", None)):
        answers = {n: _tensor([[0.5] * s[1]] * s[0]) for n, s in
                   EXERCISES[exercise].outputs.items()}
        verdict = _judge(lambda i, a=answers: a, exercise, errors=errors, fresh={"names": {}},
                         fresh_errors=error).test(f"test_{exercise}_shape")
        assert verdict.code == f"{exercise}.error"
        assert "Run your cell, fix the error" in verdict.message, verdict.message


def _stopped(unscaled, scaled=None, through_product=False, errors=True):
    """Exercise 2 whose cells raised on the fresh run's scaled products: ``scaled`` (inputs ->
    answers) is what that run read back (nothing: the error came before y), ``unscaled`` what
    the re-run with plain products reported (answers on the plain new inputs), or None (it
    raised there too)."""
    plain = run_plan.plan(_notebook(), b"k").fresh_inputs["single_layer_mm"]
    report = None if unscaled is None else {
        "names": unscaled(plain), "replaced": [], "inplace": [], "repeat": {"y": True}}
    error = [["AssertionError", "the product and the sum differ"]]

    def answers(inputs):
        return {"y": _tensor(_neuron(inputs)), "weights": _tensor(inputs["weights"], ())}

    fresh = {"unscaled": report}
    if scaled is None:
        fresh["names"] = {}
    return _judge(scaled or answers, "single_layer_mm", through_product=through_product,
                  fresh=fresh, fresh_errors=error if errors else None)


def _right(marks=("features", "weights", "matmul")):
    return lambda i: {"y": _tensor(_neuron(i), marks), "weights": _tensor(i["weights"], ())}


def test_a_check_that_stopped_the_scaled_run_before_the_answer_costs_the_method_point_only():
    """Corpus 99: the product checked against the sum before y is assigned. Shape and value
    are judged on the unscaled re-run's y; the method point rests on the scaled run's values,
    which never came, whatever marks the unscaled y carries (corpus 103: a sum with a product
    added times zero after a failing assert earns no more than an honest sum)."""
    for marks in (("features", "weights", "matmul"), ("features", "weights")):
        judge = _stopped(_right(marks))
        assert judge.test("test_single_layer_mm_shape").passed
        assert judge.test("test_single_layer_mm_value").passed
        verdict = judge.test("test_single_layer_mm_method")
        assert verdict.code == "single_layer_mm.stopped_scaled_run"
        for words in ("whether y came out of a matrix product", "multiplies weights by a secret "
                      "factor", "AssertionError ('the product and the sum differ') before y "
                      "was assigned", "Don't assert inside the answer cell: compare in a "
                      "separate cell after the answer, or print the comparison instead"):
            assert words in verdict.message, verdict.message


def test_a_check_after_the_answer_keeps_the_scaled_evidence():
    """Corpus 83 and 102: y came out of the scaled product before the check raised. Shape and
    value on the unscaled re-run's y (plain inputs), the method point on the scaled y."""
    judge = _stopped(_right(), scaled=_right(), through_product=True)
    for part in ("shape", "value", "method"):
        verdict = judge.test(f"test_single_layer_mm_{part}")
        assert verdict.passed, (part, verdict.message)
    # y assigned as a sum before the check: the usual message about the method
    summed = _stopped(_right(), scaled=_right(("features", "weights")))
    assert summed.test("test_single_layer_mm_value").passed
    assert summed.test("test_single_layer_mm_method").code == "single_layer_mm.no_matrix_product"


def test_the_unscaled_answers_are_judged_as_any_answer():
    """A mistake on the unscaled re-run is named (in the plain inputs' terms); a re-run that
    raised too changes nothing (the general message: the error is the student's own); answers
    reported without an error of the scaled run are not taken."""
    def no_bias(i):
        return {"y": _tensor(_neuron(i, bias=False)), "weights": _tensor(i["weights"], ())}

    wrong = _stopped(no_bias, scaled=no_bias)  # (the lesson's run too)
    assert wrong.test("test_single_layer_mm_shape").passed
    assert wrong.test("test_single_layer_mm_value").code == "single_layer_mm.no_bias"
    raised = _stopped(None).test("test_single_layer_mm_shape")
    assert raised.code == "single_layer_mm.error"
    assert "Run your cell, fix the error" in raised.message
    unasked = _stopped(_right(), errors=False).test("test_single_layer_mm_shape")
    assert unasked.code == "single_layer_mm.not_assigned"
    typed = _stopped(lambda i: {"y": _tensor([[0.1595]]), "weights": _tensor(i["weights"], ())},
                     scaled=lambda i: {"y": _tensor([[0.1595]])})
    assert typed.test("test_single_layer_mm_value").code == "single_layer_mm.typed_in"


def test_a_rerun_that_never_reached_the_test_fails_it_with_the_reason():
    plan = run_plan.plan(_notebook(), b"k")
    ok = Run({"single_layer_sum": {"names": {}, "replaced": []}}, {}, "seeded")
    died = Run({"single_layer_sum": {"failed": "killed by signal SIGKILL"}}, {}, "fresh")
    verdict = Judge(plan, ok, died, REFERENCE).test("test_single_layer_sum_shape")
    assert verdict.code == "single_layer_sum.rerun_failed" and "SIGKILL" in verdict.message


def test_an_exercises_cells_are_found_from_its_answer_cell_even_when_tests_moved():
    """Copied test cells can move an exercise's tests (nbgrader keeps the last copy); its own
    cells are still the run around its answer cell."""
    nb = _notebook(extra=[("single_layer_mm", "y = 1  # after the answer of exercise 2")])
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    moved = nb.cells.pop(ids.index("test_single_layer_sum_shape"))
    nb.cells.insert(ids.index("test_single_layer_mm_method"), moved)
    plan = run_plan.plan(nb, b"k")
    assert _sources(nb, plan.regions["single_layer_sum"]) == [
        "# YOUR CODE HERE\nraise NotImplementedError()"]
    steps = [s.index if isinstance(s, Cell) else s.key for s in plan.seeded
             if isinstance(s, Cell | Extract)]
    answer = ids.index("single_layer_sum")
    assert steps[steps.index(answer) + 1] == "single_layer_sum"  # read right after its cells


# --------------------------------------------------------------------------- bindings, review
@pytest.mark.parametrize(("source", "binds"), [
    ("y = activation(torch.mm(features, weights.view(5, 1)) + bias)", True),
    ("y_sum = y\ny = y_sum * 1", True),
    ("h, output = 1, 2\ny = h", True),
    ("for y in [1]:\n    pass", True),
    ("if (y := 3):\n    pass", True),
    ("%%time\ny = 1", True),
    ("%time y = 1", True),
    ("globals()['y'] = 1", True),
    ("def f():\n    global y\n    y = 1\nf()", True),
    ("from math import pi as y", True),
    ("# YOUR CODE HERE\nraise NotImplementedError()", False),
    ("print(y)\ny_sum = y", False),
    ("exec('y = 1')", True),
    ("exec('for y in [1]: pass')", True),
    ("globals().update(y=1)", True),
    ("globals().update({'y': 1})", True),
    ("vars()['y'] = 1", True),
    ("code = 'y = 1'\nexec(code)", False),
    ("exec('y' + ' = 1')", False),
    ("globals().update(x=1)", False),
    ("other().update(y=1)", False),
    ("y.add_(0)", False),
])
def test_an_exercise_binds_its_answer_only_by_its_own_code(source, binds):
    from graders.checks.bindings import bound
    assert ("y" in bound([source])) is binds


def test_the_plan_records_which_answers_each_exercise_binds():
    nb = _notebook({"single_layer_sum": "y = 1", "multilayer": "h = 1\nraise NotImplementedError"})
    plan = run_plan.plan(nb, b"k")
    assert plan.assigned["single_layer_sum"] == ["y"]
    assert plan.assigned["single_layer_mm"] == [] and plan.assigned["multilayer"] == ["h"]


@pytest.mark.parametrize("line", [
    "m = torch.overrides._get_current_function_mode()",
    "from torch.overrides import _get_current_function_mode",
    "torch._C._pop_torch_function_stack()",
    "sys.setprofile(f)", "sys.settrace(f)", "sys.addaudithook(f)",
    "threading.setprofile(f)", "import threading", "import _thread", "gc.callbacks.append(f)",
])
def test_the_review_list_flags_hooks_threads_and_torch_internals(line):
    from graders.review import scan_cell
    assert scan_cell(1, "import sys, gc, torch\n" + line), line


def test_the_review_list_leaves_a_students_own_function_mode_alone():
    from graders.review import scan_cell
    source = ("from torch.overrides import TorchFunctionMode\n"
              "class Logged(TorchFunctionMode):\n  pass")
    assert not scan_cell(1, source)


def test_the_scaled_product_always_moves_the_answer_far_enough():
    """On every draw, an answer through the grader's scaled product is at least FAR from the
    plain one, so a sum of products can never pass for a product (nor the reverse)."""
    nb = _notebook()
    for n in range(200):
        plan = run_plan.plan(nb, f"key {n}".encode())
        for exercise in ("single_layer_sum", "single_layer_mm"):
            ex, inputs = EXERCISES[exercise], plan.fresh_inputs[exercise]
            plain = ex.reference(inputs)["y"][0][0]
            for joined in (False, True):  # True: the bias rode in the product (bias trick)
                scaled = ex.reference(run_plan.scaled_inputs(ex, inputs, plan.scale[exercise],
                                                             joined))
                assert abs(scaled["y"][0][0] - plain) >= run_plan.FAR


def test_every_entry_names_registered_checks_with_the_parameters_they_need():
    from graders.checks.verdicts import CHECKS, problems

    assert {p.check for e in EXERCISES.values() for p in e.parts.values()} <= set(CHECKS)
    assert {e.grade_id: problems(e) for e in EXERCISES.values()} == dict.fromkeys(EXERCISES, [])
    assert all(c.says for c in CHECKS.values())  # each check says what it decides


def test_an_inconsistent_entry_is_refused():
    import dataclasses

    from graders.checks.exercises import Part, register
    from graders.checks.verdicts import problems

    bridge = EXERCISES["numpy_bridge"]
    no_copy = dataclasses.replace(bridge, mistakes=tuple(
        m for m in bridge.mistakes if m.role != "copy"))
    assert problems(no_copy) == [
        "part memory: check bridge_memory needs mistakes with the roles copy",
        "part doubled: check bridge_doubled needs mistakes with the roles copy"]
    typo = dataclasses.replace(bridge, parts={"type": Part(1, "bridge_typ", ("b",), given="a")})
    assert problems(typo)[0].startswith("part type: no check named 'bridge_typ'")
    no_given = dataclasses.replace(bridge, parts={"type": Part(1, "bridge_type", ("b",))})
    assert problems(no_given) == ["part type: check bridge_type needs given= one of the inputs"]
    unread = dataclasses.replace(EXERCISES["multilayer"],
                                 parts={"shape": Part(1, "shape", ("y",))})
    assert problems(unread) == ["part shape: reads ('y',), not outputs of the exercise"]
    clash = dataclasses.replace(bridge, grade_id="another", number=1)
    with pytest.raises(ValueError, match="exercise number 1 is taken"):
        register(clash)
    with pytest.raises(ValueError, match="needs mistakes with the roles copy"):
        register(no_copy)
    assert list(EXERCISES) == ["single_layer_sum", "single_layer_mm", "multilayer",
                               "numpy_bridge"]  # nothing registered


def test_a_registered_entry_joins_the_tests_and_data_cells_in_place():
    import dataclasses

    from graders.checks import exercises

    extra = dataclasses.replace(EXERCISES["multilayer"], grade_id="multilayer_again",
                                number=9, data_cell="given_again")
    before = (dict(EXERCISES), dict(exercises.TESTS), dict(exercises.DATA_CELLS))
    try:
        exercises.register(extra)
        exercises.register(extra)  # twice: the same table
        assert list(EXERCISES)[-1] == "multilayer_again" and len(EXERCISES) == 5
        assert TESTS["test_multilayer_again_output"] == (extra, "output")  # the imported dict
        assert exercises.DATA_CELLS["given_again"] == [extra]
    finally:
        for table, saved in zip((EXERCISES, exercises.TESTS, exercises.DATA_CELLS), before,
                                strict=True):
            table.clear()
            table.update(saved)
