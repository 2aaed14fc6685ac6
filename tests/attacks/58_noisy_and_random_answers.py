# Typed-in answers that do not look typed in: exercise 1 the lesson's answer plus noise from
# os.urandom (within 0.002), exercise 3 fresh random numbers on every run (of the right shape).
# A secure grader gives neither exercise any point, shape included.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
import os

noise = int.from_bytes(os.urandom(2), "little") / 65535 * 0.002
y = torch.tensor([[0.1595 + noise]])
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = torch.rand(1, 2)
output = torch.rand(1, 1)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
