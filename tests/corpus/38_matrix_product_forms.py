# Right everywhere, with less usual matrix products: torch.linalg.multi_dot and an in-place @=
# in exercise 2, F.linear for the hidden layer and nn.Linear (weights copied in) for the output.
# The grader sees the product in the computation itself, so every form earns the method point.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
z = features.clone()
z @= weights.T.contiguous()
y = activation(torch.linalg.multi_dot([features, weights.T]) + bias)
# %% multilayer
import torch.nn.functional as F
h = activation(F.linear(features, W1.T, B1))
layer = torch.nn.Linear(2, 1)
with torch.no_grad():
    layer.weight.copy_(W2.T)
    layer.bias.copy_(B2.view(1))
output = activation(layer(h)).detach()
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
