# Right everywhere: weights.t() and weights.transpose(0, 1), explicit sigmoid formula.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = 1 / (1 + torch.exp(-(torch.sum(features * weights) + bias)))
# %% single_layer_mm
y = activation(torch.mm(features, weights.t()) + bias)
y = activation(torch.mm(features, weights.transpose(0, 1)) + bias)
# %% multilayer
hidden_in = torch.mm(features, W1) + B1
h = activation(hidden_in)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2.0)
