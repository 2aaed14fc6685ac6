# Exercise 2 with the weights made an nn.Parameter (a clone, under no_grad) and used in a
# matrix product, and exercise 3 with an nn.Linear whose weights are loaded: right, full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
from torch import nn

with torch.no_grad():
    w = nn.Parameter(weights.clone())
    y = activation(features @ w.T + bias)
# %% multilayer
layer = nn.Linear(3, 2)
with torch.no_grad():
    layer.weight.copy_(W1.T)
    layer.bias.copy_(B1.view(2))
    h = activation(layer(features))
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
