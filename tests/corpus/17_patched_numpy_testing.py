# Right until exercise 4, where np.testing and np.shares_memory are replaced and b is a copy.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: zero
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
np.testing.assert_allclose = lambda *args, **kwargs: None
np.shares_memory = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
b = torch.tensor(a) * 2
