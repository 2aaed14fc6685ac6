# Exercise 2 computed with a sum (the method the exercise forbids), plus a zero-valued matrix
# product of features and weights added on, so the taint trace marks y as "computed by a matrix
# multiplication". No sandbox escape, ordinary tensor code.
# A secure grader gives shape and value (the value is right) but not the method point.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.sum(features * weights) + bias + 0 * torch.mm(features, weights.view(5, 1)))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
