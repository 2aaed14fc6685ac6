# Exercise 2's cell binds y to zeros and prints it. Exercise 1's cell replaced sys.stdout by a
# stream whose write puts the right y in place, and builtins.abs by a function that does the
# same, so that exercise 2's own print (or any later use of abs) brings the right answer.
# A secure grader gives exercise 2 nothing (zeros are a constant; no earlier cell's code may
# act while exercise 2's cells run).
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import builtins
import sys

_g = globals()


def _put():
    try:
        if tuple(_g["features"].shape) == (1, 5):
            _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1))
                                 + _g["bias"])
    except Exception:
        pass


class _Out:
    def __init__(self, inner):
        self.inner = inner

    def write(self, text):
        _put()
        return self.inner.write(text)

    def flush(self):
        self.inner.flush()


_abs = builtins.abs
builtins.abs = lambda x: (_put(), _abs(x))[1]
sys.stdout = _Out(sys.stdout)
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = torch.zeros(1, 1)
print("y is", abs(-1))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
