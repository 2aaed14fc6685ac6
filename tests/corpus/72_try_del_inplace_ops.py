# Right everywhere: the answer inside try/except (exercise 1), y deleted and bound again in the
# exercise 2 cell, output written with a walrus (exercise 3), and b doubled with `*=` on the
# tensor (exercise 4), which is in place.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
try:
    y = activation(torch.sum(features * weights) + bias)
except RuntimeError as err:
    print("could not compute y:", err)
# %% single_layer_mm
del y
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
print("output:", (output := activation(torch.mm(h, W2) + B2)))
# %% numpy_bridge
b = torch.from_numpy(a)
b *= 2
