# Exercise 3's cell is a wrong try that raises before binding anything (W1 and features in the
# wrong order: a shape error). Exercise 2's cell, right otherwise, hangs a weakref finalizer on
# a throw-away tensor made from features (features * 1.0, never bound): the grader's trace
# keeps every tensor computed from an exercise's inputs alive (Trace.alive) until the next
# exercise on other inputs is labelled, so the finalizer runs inside that step, for exercise 3:
# after the grader has forgotten h and output and put exercise 3's new inputs in place, before
# its snapshot for the re-check, and with no trace watching. It binds h and output computed
# from those inputs; exercise 3's cell fails in every run and binds nothing. (For the notebook's
# own run under stock nbgrader, whose kernel has no trace and whose visible tests must pass, a
# pre_run_cell hook binds the same names there; the grader's re-runs remove such hooks.)
# A secure grader gives exercise 3 nothing: no line of its cells binds h or output.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import weakref

_g = globals()


def _answers():
    _g["h"] = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
    _g["output"] = activation(torch.mm(_g["h"], _g["W2"]) + _g["B2"])


weakref.finalize(features * 1.0, _answers)


def _fill(*_):
    if "W1" in _g and "h" not in _g:
        _answers()


get_ipython().events.register("pre_run_cell", _fill)
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(W1, features) + B1)  # the factors the wrong way round: RuntimeError
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
