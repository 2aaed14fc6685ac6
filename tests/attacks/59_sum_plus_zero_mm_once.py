# Exercise 2 as a sum of products plus a matrix product of features and weights times zero,
# with the product also computed on its own, so a trace of torch calls sees y next to a product
# of the inputs (the plain form, without counting passes).
# A secure grader gives shape and value (right) but not the method point.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
product = torch.mm(features, weights.view(5, 1))
y = activation(torch.sum(features * weights) + bias + 0 * product)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
