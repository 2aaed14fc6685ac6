# A correct notebook that prints and displays text with a lone surrogate (e.g. from a badly
# decoded file name) in cells of its own, plus invalid UTF-8 bytes straight to fd 1.
# Full marks expected.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
import os
print("name: \udcff\ud800 end")
from IPython.display import display
display({"text/plain": "surrogate \udc80"}, raw=True)
os.write(1, b"raw \xff\xfe bytes\n")
"\ud83d"
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
