# Right everywhere, with the method forms: .sum(), torch.sigmoid, @ with .T, b *= 2.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = torch.sigmoid((features * weights).sum() + bias)
# %% single_layer_mm
y = torch.sigmoid(features @ weights.T + bias)
# %% multilayer
h = torch.sigmoid(features @ W1 + B1)
output = torch.sigmoid(h @ W2 + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b *= 2
