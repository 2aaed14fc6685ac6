# Exercise 1 with the check of 99: the sum of products compared with a matrix product before y
# is assigned. On the grader's scaled products the assert fails and y was never assigned there
# (exercise 1 lost all its points); exercise 1 has no method point, so its unscaled re-run's
# answer earns everything.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
s = torch.sum(features * weights)
assert torch.allclose(s, torch.mm(features, weights.view(5, 1))), "the sum and the product differ"
y = activation(s + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
