# Telling the grader's runs apart: since the engine runs the seeded re-run as the notebook's own
# run, only that run has the visible test cells in IPython's input history. Exercise 2's cell
# looks for them there and types in the lesson's published y (0.1595) when it finds them, and a
# plausible sigmoid value (0.5) in every other run, so the value is right wherever the test
# cells are shown and the grader's comparison on the lesson's data passes. The fresh re-run
# cannot be told apart from a run without test cells and gets 0.5 on inputs the student cannot
# predict. A secure grader gives exercise 2 nothing (a value right on the lesson's data but not
# on new inputs is tampering: the whole exercise scores 0 and the notebook is flagged).
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
_shown = any("# Test single_layer_sum" in _cell for _cell in In)
y = torch.tensor([[0.1595 if _shown else 0.5]])
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
