# Right everywhere, exercise 2 with its weights made an nn.Parameter (y requires grad), reshaped
# in the expression. Its visible tests pass without a warning, and the method point is earned:
# the product of features and a copy of weights moves with the grader's scaled product.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
from torch import nn

w = nn.Parameter(weights.clone())
y = activation(torch.mm(features, w.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
