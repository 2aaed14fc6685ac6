# Exercise 2's product computed in a scratch cell of the student's own, before the answer cell,
# and used there: the answer comes out of a matrix product, full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after given_shape_error
product = torch.mm(features, weights.view(5, 1))
print(product)
# %% single_layer_mm
y = activation(product + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
