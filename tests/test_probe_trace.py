"""The probe's trace, in this process: which computations count as a matrix product of the
inputs, and which in-place changes reach an array (no nbgrader, no sandbox: fast)."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the name students use
from torch import nn

from graders.checks import verdicts
from graders.kernel import instrument

SETUP = "torch.manual_seed(7)\n"


def _run(code: str, inputs: dict) -> tuple[dict, instrument.Trace]:
    ns = {"torch": torch, "nn": nn, "F": F, "np": np,
          "activation": lambda x: 1 / (1 + torch.exp(-x))}
    exec("def helper(f, w):\n    return activation(torch.mm(f, w.view(5, 1)) + bias)", ns)
    ns.update(inputs)
    trace = instrument.Trace()
    for name, value in inputs.items():
        trace.label(name, value)
    trace.watching = True  # as the runner's "label" step leaves it
    with trace:
        exec(code, ns)
    return ns, trace


def test_the_trace_follows_nothing_outside_an_exercise():
    """Between an exercise's "extract" and the next "label" (test cells, given cells, printing)
    the trace only passes each call through."""
    inputs = _neuron_inputs()
    trace = instrument.Trace()
    for name, value in inputs.items():
        trace.label(name, value)
    with trace:
        y = torch.mm(inputs["features"], inputs["weights"].T)
        inputs["weights"].mul_(1)
        str(y)
    assert not trace.of(y) and not trace.inplace


def _neuron_inputs():
    gen = torch.Generator().manual_seed(3)
    return {"features": torch.randn(1, 5, generator=gen),
            "weights": torch.randn(1, 5, generator=gen), "bias": torch.randn(1, 1, generator=gen)}


MATRIX_PRODUCTS = {
    "mm and view": "y = activation(torch.mm(features, weights.view(5, 1)) + bias)",
    "@ and .T": "y = activation(features @ weights.T + bias)",
    "matmul and reshape": "y = activation(torch.matmul(features, weights.reshape(5, 1)) + bias)",
    "Tensor.mm and .t()": "y = activation(features.mm(weights.t()) + bias)",
    "@=": "z = features.clone()\nz @= weights.T.contiguous()\ny = activation(z + bias)",
    "multi_dot": "y = activation(torch.linalg.multi_dot([features, weights.T]) + bias)",
    "bmm": "y = activation(torch.bmm(features[None], weights.T[None])[0] + bias)",
    "einsum": "y = activation(torch.einsum('ij,kj->ik', features, weights) + bias)",
    "F.linear": "y = activation(F.linear(features, weights, bias.view(1)))",
    "nn.Linear with .data": ("lin = nn.Linear(5, 1)\nlin.weight.data = weights\n"
                             "lin.bias.data = bias.view(1)\ny = activation(lin(features))"),
    "nn.Linear with copy_": ("lin = nn.Linear(5, 1)\nwith torch.no_grad():\n"
                             "    lin.weight.copy_(weights)\n    lin.bias.copy_(bias.view(1))\n"
                             "y = activation(lin(features)).detach()"),
    "nn.Linear with Parameter": ("lin = nn.Linear(5, 1)\nlin.weight = nn.Parameter(weights)\n"
                                 "lin.bias = nn.Parameter(bias.view(1))\n"
                                 "y = activation(lin(features)).detach()"),
    "addmm": "y = activation(torch.addmm(bias, features, weights.T))",
    "tensordot": "y = activation(torch.tensordot(features, weights.T, dims=1) + bias)",
    "helper from an earlier cell": "y = helper(features, weights)",
}


@pytest.mark.parametrize("code", MATRIX_PRODUCTS.values(), ids=MATRIX_PRODUCTS.keys())
def test_every_matrix_product_form_is_seen(code):
    ns, trace = _run(code, _neuron_inputs())
    assert "matmul" in trace.of(ns["y"])


NOT_PRODUCTS = {
    "a sum": "y = activation(torch.sum(features * weights) + bias)",
    "a sum next to an unrelated mm": ("torch.mm(torch.eye(1), torch.eye(1))\n"
                                      "y = activation(torch.sum(features * weights) + bias)"),
    "features times itself": "y = activation(features @ features.T + bias)",
    "typed in": "y = torch.tensor([[0.1595]])",
}


@pytest.mark.parametrize("code", NOT_PRODUCTS.values(), ids=NOT_PRODUCTS.keys())
def test_no_matrix_product_of_the_inputs_is_not_one(code):
    ns, trace = _run(code, _neuron_inputs())
    assert "matmul" not in trace.of(ns["y"])


@pytest.mark.parametrize(("code", "in_place"), [
    ("b = torch.from_numpy(a)\nb.mul_(2)", True),
    ("b = torch.as_tensor(a)\nb *= 2", True),
    ("b = torch.from_numpy(a)\nb[:] = b * 2", True),
    ("b = torch.from_numpy(a)\ntorch.mul(b, 2, out=b)", True),
    ("b = torch.from_numpy(a)\nb.add_(b)", True),
    ("b = torch.from_numpy(a)\nb.copy_(b * 2)", True),
    ("b = torch.from_numpy(a)\nb.view(-1).mul_(2)", True),
    ("b = torch.from_numpy(a)\nb[:].mul_(2)", True),
    ("b = torch.from_numpy(a)\nb.T.mul_(2)", True),
    ("torch.from_numpy(a).mul_(2)\nb = torch.from_numpy(a)", True),
    ("b = torch.as_tensor(a)\na *= 2", False),
    ("b = torch.from_numpy(a)\nb = b * 2", False),
    # a clone carries b's marks, not a's memory: its in-place change leaves a alone
    ("b = torch.from_numpy(a)\nc = b.clone()\nc.mul_(2)", False),
    ("b = torch.from_numpy(a)\nb.numpy()[:] *= 2\nn = b.clone()\nn /= b.sum()", False),
])
def test_in_place_changes_of_the_array_are_seen(code, in_place):
    """What the trace records of in-place changes, read back as the grading side reads it: a
    torch operation changed the given array's memory in place (b, a view of b), not a copy."""
    a = np.random.default_rng(1).random((4, 3))
    _, trace = _run(code, {"a": a})
    data = json.loads(json.dumps(instrument.extract({"a": a}, ["a"], trace, given={"a": a})))
    assert verdicts._changed_in_place(data, "a") is in_place


def test_an_in_place_entry_without_its_memory_counts_for_nothing():
    """An entry the student's code appends to the trace by hand (attack 55's form) is sent as
    it is; without where it landed, the grading side does not count it."""
    a = np.random.default_rng(1).random((4, 3))
    _, trace = _run("b = torch.from_numpy(a)", {"a": a})
    trace.inplace.append(("mul_", frozenset({"a"})))
    data = json.loads(json.dumps(instrument.extract({"a": a}, ["a"], trace, given={"a": a})))
    assert data["inplace"] == [["mul_", ["a"]]]
    assert not verdicts._changed_in_place(data, "a")


def test_extract_reads_values_through_the_c_types_whatever_the_student_patched(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "tolist", lambda self: [[0.1595]])
    y = torch.tensor([[0.25]])
    data = instrument.extract({"y": y}, ["y", "missing"], None)
    assert data["names"]["y"]["values"] == [[0.25]]
    assert data["names"]["missing"] == {"kind": "missing"}
    assert data["replaced"] == ["torch.Tensor.tolist"]


def test_a_subclass_is_read_as_the_tensor_it_is():
    class AlwaysEqual(torch.Tensor):
        def __eq__(self, other):
            return True

    info = instrument.describe(torch.full((1, 1), 0.5).as_subclass(AlwaysEqual))
    assert info["kind"] == "tensor" and info["exact"] is False and info["values"] == [[0.5]]


# ------------------------------------------------------------------ the fresh run's scaled product
FACTOR = -1.5
MORE_PRODUCTS = {
    "vecdot": "y = activation(torch.linalg.vecdot(features, weights).view(1, 1) + bias)",
    "dot of flattened": "y = activation(torch.dot(features.view(-1), weights.view(-1)) + bias)",
    "inner": "y = activation(torch.inner(features, weights) + bias)",
    "Parameter of a clone under no_grad": (
        "with torch.no_grad():\n    w = nn.Parameter(weights.clone())\n"
        "    y = activation(features @ w.T + bias)"),
    "product in an earlier scratch cell": ("p = torch.mm(features, weights.T)\n"
                                           "y = activation(p + bias)"),
    # corpus 111: the factors named by keyword, as the documentation spells them
    "mm by keywords": "y = activation(torch.mm(input=features, mat2=weights.view(5, 1)) + bias)",
    "matmul with other=": "y = activation(torch.matmul(features, other=weights.T) + bias)",
    "addmm by keywords": "y = activation(torch.addmm(input=bias, mat1=features, mat2=weights.T))",
    "F.linear with weight=": "y = activation(F.linear(features, weight=weights, bias=bias[0]))",
    # corpus 116: a sparse factor (torch.sparse.mm, torch.sparse.addmm, smm, hspmm, sspaddmm)
    "sparse.mm": "y = activation(torch.sparse.mm(weights.to_sparse(), features.T) + bias)",
    "sparse.addmm": "y = activation(torch.sparse.addmm(bias, features.to_sparse(), weights.T))",
    "smm": "y = activation(features.to_sparse().smm(weights.T).to_dense() + bias)",
    "hspmm": "y = activation(torch.hspmm(features.to_sparse(), weights.T).to_dense() + bias)",
    "sspaddmm": ("y = activation(torch.sspaddmm(bias.to_sparse(), features.to_sparse(), "
                 "weights.T).to_dense())"),
}


def _scaled_run(code: str):
    inputs = _neuron_inputs()
    ns = {"torch": torch, "nn": nn, "F": F, "np": np,
          "activation": lambda x: 1 / (1 + torch.exp(-x))}
    exec("def helper(f, w):\n    return activation(torch.mm(f, w.view(5, 1)) + bias)", ns)
    ns.update(inputs)
    trace = instrument.Trace()
    for name, value in inputs.items():
        trace.label(name, value)
    trace.watching, trace.scale = True, ("weights", FACTOR)
    with trace:
        exec(code, ns)
    f, w, b = (inputs[n].double() for n in ("features", "weights", "bias"))
    plain = torch.sigmoid(f @ w.T + b)
    return ns["y"].double().reshape(1, 1), plain, torch.sigmoid(f @ (FACTOR * w).T + b)


@pytest.mark.parametrize("code", [*MATRIX_PRODUCTS.values(), *MORE_PRODUCTS.values()],
                         ids=[*MATRIX_PRODUCTS, *MORE_PRODUCTS])
def test_in_the_fresh_run_every_matrix_product_sees_the_scaled_weights(code):
    """Whatever the spelling, an answer that comes out of a product of the inputs has the values
    of weights times the grader's factor; the judge reads only those values."""
    y, plain, scaled = _scaled_run(code)
    assert torch.allclose(y, scaled, atol=1e-5) and not torch.allclose(y, plain, atol=1e-3)


def test_a_jit_script_helper_runs_as_python_and_its_product_is_scaled():
    torch.jit._state.disable()  # as the runner does in its child
    try:
        y, _, scaled = _scaled_run(
            "@torch.jit.script\ndef product(x, w):\n    return torch.mm(x, w)\n"
            "y = activation(product(features, weights.view(5, 1)) + bias)")
    finally:
        torch.jit._state.enable()
    assert torch.allclose(y, scaled, atol=1e-5)


SUM = "t = torch.sum(features * weights).view(1, 1)\n"


@pytest.mark.parametrize("code", [*NOT_PRODUCTS.values()][:2] + [
    "y = activation(torch.sum(features * weights) + bias + 0 * torch.mm(features, weights.T))",
    "p = torch.mm(features, weights.T)\ny = activation((features * weights).sum(1, True) + bias)",
    # attack 63: a product with one factor of the inputs' (the sum) and none of its own
    SUM + "y = activation(torch.mm(t, torch.eye(1)) + bias)",
    "y = activation((features * weights) @ torch.ones(5, 1) + bias)",
    SUM + "y = activation(torch.addmm(bias, t, torch.eye(1)))",
    SUM + "y = activation(F.linear(t, torch.eye(1), bias[0]))",
    SUM + "y = activation(torch.addmm(input=bias, mat1=t, mat2=torch.eye(1)))",
    SUM + "y = activation(F.linear(t, weight=torch.eye(1), bias=bias[0]))",
    SUM + "y = activation(torch.sparse.addmm(bias, t.to_sparse(), torch.eye(1)))",
], ids=["a sum", "a sum next to an unrelated mm", "a product times zero", "a rowwise sum",
        "a sum times eye(1)", "the products times ones", "addmm of bias, the sum and eye(1)",
        "linear of the sum, eye(1) and bias", "addmm by keywords of bias, the sum and eye(1)",
        "linear by keywords of the sum, eye(1) and bias",
        "sparse addmm of bias, the sum and eye(1)"])
def test_a_sum_of_products_keeps_the_plain_values(code):
    y, plain, _ = _scaled_run(code)
    assert torch.allclose(y, plain, atol=1e-5)


def test_an_eye_made_in_a_freed_sums_memory_does_not_inherit_its_marks():
    """A result's marks are found by its memory (nn.Parameter(weights.clone())); the trace holds
    the result, so its memory is not given to a tensor made later (torch.eye(1))."""
    code = ("for _ in range(50):\n    torch.sum(features * weights).view(1, 1)\n"
            "    e = torch.eye(1)\n    assert not trace.of(e), trace.of(e)\n")
    inputs = _neuron_inputs()
    trace = instrument.Trace()
    for name, value in inputs.items():
        trace.label(name, value)
    trace.watching = True
    with trace:
        exec(code, {"torch": torch, "trace": trace, **inputs})


def test_exercise_two_keeps_what_exercise_one_made_from_the_same_inputs():
    """Corpus 106: float64 copies made in exercise 1 and multiplied in exercise 2 (the trace
    went on watching between them, as the runner's "label" step finds it) are still products of
    features and weights; without the carry they are not."""
    for carry in (True, False):
        inputs = _neuron_inputs()
        trace = instrument.Trace()
        for name, value in inputs.items():
            trace.label(name, value)
        trace.watching, trace.scale = True, ("weights", FACTOR)
        with trace:
            f64, w64 = inputs["features"].double(), inputs["weights"].double()
        trace.reset(carry=carry)
        for name, value in inputs.items():
            trace.label(name, value)
        with trace:
            y = torch.mm(f64, w64.view(5, 1))
        plain = f64 @ w64.T
        assert torch.allclose(y, FACTOR * plain) is carry


def test_a_read_only_array_refuses_numpy_writes_but_not_a_tensor_sharing_it():
    ns = {}
    instrument.inject(ns, {"a": {"kind": "ndarray", "dtype": "float64", "values": [[0.5, 0.25]],
                            "readonly": True}})
    a = ns["a"]
    with pytest.raises(ValueError, match="read-only"):
        a *= 2
    with pytest.raises(ValueError):
        a.flags.writeable = True
    with pytest.warns(UserWarning):
        b = torch.from_numpy(a)
    b.mul_(2)
    assert a.tolist() == [[1.0, 0.5]] and np.shares_memory(a, b.numpy())


def test_extract_reads_an_answer_the_exercise_did_not_rebind_as_missing():
    old, given = torch.ones(1, 1), np.zeros((2, 2))
    ns = {"y": old, "a": given}
    data = instrument.extract(ns, ["y", "a"], None, kept={"y": old}, given={"a": given})
    assert data["names"]["y"] == {"kind": "missing", "kept": True}
    assert data["given"]["a"]["same"] is True
    ns["y"], ns["a"] = torch.zeros(1, 1), given.copy()
    data = instrument.extract(ns, ["y", "a"], None, kept={"y": old}, given={"a": given})
    assert data["names"]["y"]["kind"] == "tensor" and data["given"]["a"]["same"] is False
