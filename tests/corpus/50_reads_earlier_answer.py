# Exercise 2's cell starts by keeping exercise 1's answer (y_sum = y) to compare the two ways:
# reading an earlier answer is fine, and the grader must not have forgotten it. Full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y_sum = y
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
print("same as exercise 1:", torch.allclose(y, y_sum))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
