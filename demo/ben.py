# Ben: common mistakes: no bias in exercise 1, weights.resize_ in exercise 2, a copy in exercise 4.
# %% single_layer_sum
y = activation(torch.sum(features * weights)).view(1, 1)
# %% single_layer_mm
weights.resize_(5, 1)
y = activation(torch.mm(features, weights) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.tensor(a)
b.mul_(2)
