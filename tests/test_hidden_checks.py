"""The hidden checks on their own, in a real IPython shell: fast, no nbgrader involved.

The corpus tests prove the verdicts end to end; these pin down the pieces: which cells count as
the student's, that genuine libraries never look tampered with, and that fresh-input answers are
computed right.
"""

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

from graders import hidden_checks as hc

GIVEN = """# Given: data
torch.manual_seed(7)
features = torch.randn((1, 5))
weights = torch.randn_like(features)
bias = torch.randn((1, 1))
def activation(x):
    return 1 / (1 + torch.exp(-x))"""
TEST = '# Test single_layer_sum: shape\nprint("visible part")'


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_cell("import torch", store_history=True)
    ip.run_cell(GIVEN, store_history=True)
    yield ip
    InteractiveShell.clear_instance()


def _run_check(ip, part, student_cells):
    for src in student_cells:
        ip.run_cell(src, store_history=True)
    ip.run_cell(TEST, store_history=True)
    return hc.check(ip, "single_layer_sum", part)


def test_student_code_is_the_cells_between_given_and_own_tests():
    history = ["", "# Given: x", "a = 1", "b = 2", "# Test ex: one", "# Test ex: two"]
    assert hc.student_code(history, "ex") == ["a = 1", "b = 2"]
    restored = "# This cell was missing. It was added back by nbgrader.\n\n# Test ex: one"
    assert hc.student_code(["# Given: x", "c = 3", restored, "# Test ex: two"], "ex") == ["c = 3"]
    assert hc.student_code(["# Given: x", "# Test other: t", "# Test ex: one"], "ex") == []


def test_genuine_libraries_are_not_reported_as_tampered():
    import numpy  # noqa: F401 - the guard only checks libraries that are loaded

    hc._refuse_tampering()


@pytest.mark.parametrize("target", ["allclose", "testing.assert_close"])
def test_replaced_torch_helpers_are_reported(monkeypatch, target):
    owner = torch.testing if "." in target else torch
    monkeypatch.setattr(owner, target.split(".")[-1], lambda *a, **k: True)
    with pytest.raises(AssertionError, match=f"torch.{target} has been replaced"):
        hc._refuse_tampering()


def test_replaced_tensor_method_is_reported(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "__eq__", lambda self, other: True)
    with pytest.raises(AssertionError, match="Tensor.__eq__ has been replaced"):
        hc._refuse_tampering()


def test_expected_outputs_match_torch_on_fresh_inputs():
    inputs = hc.fresh_inputs("multilayer")
    expected = hc.expected_outputs("multilayer", inputs)
    h = torch.sigmoid(inputs["features"] @ inputs["W1"] + inputs["B1"])
    out = torch.sigmoid(h @ inputs["W2"] + inputs["B2"])
    for name, got in (("h", h), ("output", out)):
        want = torch.tensor(expected[name], dtype=torch.float64)
        assert torch.allclose(want, got.double(), atol=1e-6)


def test_right_answer_passes_every_part(shell):
    _run_check(shell, "value", ["y = activation(torch.sum(features * weights) + bias)"])
    hc.check(shell, "single_layer_sum", "shape")


def test_students_output_is_captured_not_echoed(shell, capsys):
    cells = ["print('hello')\ny = activation((features * weights).sum() + bias)"]
    _run_check(shell, "value", cells)
    assert "hello" not in capsys.readouterr().out.split("visible part")[-1]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["raise NotImplementedError()"], "is not done yet"),
        (["y = torch.tensor([[0.1595]])"], "does not change when the inputs change"),
        (["y = activation(torch.sum(features * weights)).view(1, 1)"], "should be 0.1595"),
        (["y = activation(torch.sum(features * weights) + bias).item()"], "it is a float"),
        (["y = activation(features * weights + bias)"], "should have shape (1, 1)"),
        (["y = undefined_name"], "NameError"),
    ],
)
def test_wrong_answers_fail_with_a_message_for_the_student(shell, cells, message):
    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _run_check(shell, "value", cells)


def test_unknown_check_is_an_authoring_error(shell):
    with pytest.raises(ValueError):
        hc.check(shell, "single_layer_sum", "nope")
