# Calls os._exit in exercise 2: the kernel dies there. Exercise 1 is kept; 3 and 4 still count.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_value: single_layer_mm.stopped_kernel
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import os
os._exit(1)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
