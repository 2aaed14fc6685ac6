# Left exercise 2 blank; y from exercise 1 must not earn its points.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_shape: single_layer_mm.not_done
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
