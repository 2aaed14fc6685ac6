# Exercise 2's cell shows the neuron's output as its last expression, and a cell the student
# added below keeps it with IPython's `_` (the last result shown): y = _. In Jupyter, and in the
# grader's runs, y is the matrix product's neuron: every point stands. (Before the fix: 11 of
# 15, exercise 2 "changes by itself": the grader's second run of the exercise's cells put the
# namespace back but not IPython's record of `_`, so `_` stopped following the cells' results.)
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
y
# %% single_layer_mm
activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after single_layer_mm
y = _
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
