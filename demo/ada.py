# Ada: everything right, in her own style (.sum(), @ with .T, torch.as_tensor, b *= 2).
# %% single_layer_sum
y = activation((features * weights).sum() + bias)
# %% single_layer_mm
y = activation(features @ weights.T + bias)
# %% multilayer
h = activation(features @ W1 + B1)
output = activation(h @ W2 + B2)
# %% numpy_bridge
b = torch.as_tensor(a)
b *= 2
