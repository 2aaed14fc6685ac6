# Batch attack (grader memory): the pool keeps at most max_output_mib (1 MiB) per stream *output*,
# but starts a new stream output, with a fresh budget, every time another output (a tiny
# display) comes in between. Alternating 1 MiB prints and empty displays keeps every byte.
# A secure grader caps the stream bytes kept per cell whatever the interleaving. Answers right.
# Check: peak RSS; size of the autograded notebook (should stay around 1-2 MB).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import sys as _sys
from IPython.display import display as _display
_s = "y" * (1 << 20)
for _i in range(1500):
    _sys.stdout.write(_s)
    _display({"text/plain": ""}, raw=True)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
