# Right everywhere, exercise 2 with its weights made an nn.Parameter (y requires grad), reshaped
# in the expression. Its visible tests pass without a warning. The method point (the grader
# did not see a matrix product of features and weights: the product was of a copy) is not this
# file's subject; see the expectation.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
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
