# Right everywhere, with answers that require grad: exercise 1 through an nn.Parameter, exercise
# 2 with an nn.Linear whose weights are loaded from weights and bias, exercise 3 with
# nn.Parameters. The visible tests read these without a warning (torch warns on stderr when
# float() meets a tensor that requires grad, and nbgrader scores a test cell with stderr 0).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
from torch import nn

y = activation(torch.sum(features * nn.Parameter(weights.clone())) + bias)
# %% single_layer_mm
layer = nn.Linear(5, 1)
with torch.no_grad():
    layer.weight.copy_(weights)
    layer.bias.copy_(bias.view(1))
y = activation(layer(features))
# %% multilayer
W1p = nn.Parameter(W1.clone())
W2p = nn.Parameter(W2.clone())
h = activation(torch.mm(features, W1p) + B1)
output = activation(torch.mm(h, W2p) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
