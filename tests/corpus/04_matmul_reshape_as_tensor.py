# Right everywhere: torch.matmul with reshape, torch.as_tensor, torch.mul with out=.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
total = torch.sum(features * weights) + bias
y = activation(total)
# %% single_layer_mm
y = activation(torch.matmul(features, weights.reshape(5, 1)) + bias)
# %% multilayer
h = activation(torch.matmul(features, W1) + B1)
output = activation(torch.matmul(h, W2) + B2)
# %% numpy_bridge
b = torch.as_tensor(a)
torch.mul(b, 2, out=b)
