# Right everywhere, with debugging cells between the test cells (print(y), a bare y) and a
# scratch cell that recomputes nothing: every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_shape
print(y)
y
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after test_single_layer_mm_value
print("checking", y.shape)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% after test_multilayer_hidden
h, output
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_type
print(b)
