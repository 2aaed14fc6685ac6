# The commonest mistake in its commonest form: exercise 1 without the bias, which leaves a 0-d
# tensor. Told what it is (single_layer_sum.no_bias) and what to do about the shape, not only
# wrong_shape; exercise 2 the same with the product flattened (torch.dot).
# expect single_layer_sum: shape=0 value=0
# expect single_layer_mm: shape=0 value=0 method=0
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_sum_shape: single_layer_sum.no_bias
# expect-code test_single_layer_sum_value: single_layer_sum.no_bias
# expect-code test_single_layer_mm_shape: single_layer_mm.no_bias
# %% single_layer_sum
y = activation(torch.sum(features * weights))
# %% single_layer_mm
y = activation(torch.dot(features.view(-1), weights.view(-1)))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
