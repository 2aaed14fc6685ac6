# Right everywhere, with output that used to cost correct work: 35,000 small prints, one 20 MB
# print, a display bundle that cannot be serialised, a lone surrogate character, stderr from a
# subprocess. Only that output is trimmed or replaced; every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
for i in range(35000):
    print(i)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
print("x" * 20_000_000)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
from IPython.display import display
display({"application/json": {1, 2}, "text/plain": "a set"}, raw=True)
print("lone surrogate: \udcff")
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
import subprocess
subprocess.run(["sh", "-c", "echo from a subprocess >&2"])
