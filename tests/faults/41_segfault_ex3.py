# Reads address 0 with ctypes in exercise 3: a segfault. Only exercise 3 is lost.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
import ctypes
ctypes.string_at(0)
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
