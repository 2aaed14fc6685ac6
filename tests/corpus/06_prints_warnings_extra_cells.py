# Right everywhere, with prints, a harmless warning, and cells the student added.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import warnings
warnings.warn("just checking that warnings are harmless")
print("features", features)
y = activation(torch.sum(features * weights) + bias)
print("y =", y)
y
# %% after single_layer_sum
print("my own check:", y.shape, y.dtype)
# %% single_layer_mm
w = weights.view(5, 1)
print(features.shape, w.shape)
y = activation(torch.mm(features, w) + bias)
# %% after single_layer_mm
import sys
print("stderr note from the student", file=sys.stderr)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
print("hidden:", h)
output = activation(torch.mm(h, W2) + B2)
output
# %% numpy_bridge
b = torch.from_numpy(a)
print(b.dtype)
b.mul_(2)
print(a)
