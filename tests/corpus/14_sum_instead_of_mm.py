# Exercise 2 copies exercise 1's sum instead of a matrix multiplication.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_method: single_layer_mm.no_matrix_product
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.sum(features * weights) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
