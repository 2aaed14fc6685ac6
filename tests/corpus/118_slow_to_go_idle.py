# Right everywhere; after exercise 1's tests a scratch cell makes the kernel slow to say it is
# idle (its stdout flush sleeps 12 s, as an overloaded machine can), past the wait for its output.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import sys
import time

_flush, _calls = sys.stdout.flush, [0]


def slow_flush():
    _calls[0] += 1
    if _calls[0] == 2:
        time.sleep(12)
    _flush()


sys.stdout.flush = slow_flush
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
