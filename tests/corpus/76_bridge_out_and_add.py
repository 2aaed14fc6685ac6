# Exercise 4 doubled with torch.mul(b, 2, out=b); exercise 2 with F.linear, whose weight is
# weights itself, shape (1, 5); exercise 1 as a chain of tensor methods; exercise 3 with
# torch.addmm (bias added by the product itself).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(features.mul(weights).sum().add(bias))
# %% single_layer_mm
import torch.nn.functional as F

y = activation(F.linear(features, weights) + bias)
# %% multilayer
h = activation(torch.addmm(B1, features, W1))
output = activation(torch.addmm(B2, h, W2))
# %% numpy_bridge
b = torch.from_numpy(a)
torch.mul(b, 2, out=b)
