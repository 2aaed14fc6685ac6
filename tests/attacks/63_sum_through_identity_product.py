# Exercise 2 as the sum of products of exercise 1, passed through a matrix product that has no
# operand of its own: torch.mm of the (1, 1) sum and torch.eye(1). No matrix product of features
# and weights is taken, yet the trace counted one (its rule looked at the marks of all operands
# together, so one operand carrying both features and weights was enough), scaled it, and the
# answer's values on new inputs then looked like a product's: 15 of 15 under both graders.
# (The same with (features * weights) @ torch.ones(5, 1): the products summed by a matrix of
# ones, also 15.)
# A secure grader gives shape and value (right) but not the method point: a product counts when
# features and weights are on different operands.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
total = torch.sum(features * weights).view(1, 1)
y = activation(torch.mm(total, torch.eye(1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
