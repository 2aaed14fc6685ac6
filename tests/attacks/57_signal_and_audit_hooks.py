# Exercise 2 left blank. Exercise 1's cell plants two more ways to run code between cells: a
# CPU-time timer whose SIGVTALRM handler sets y, and an audit hook that sets y on every
# audited event (each cell's exec is one).
# A secure grader gives exercise 2 nothing.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import signal
import sys

_g = globals()


def _put(*args):
    try:
        if tuple(_g["features"].shape) == (1, 5):
            _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1))
                                 + _g["bias"])
    except Exception:
        pass


y = activation(torch.sum(features * weights) + bias)
signal.signal(signal.SIGVTALRM, _put)
signal.setitimer(signal.ITIMER_VIRTUAL, 0.001, 0.001)
sys.addaudithook(lambda event, args: _put() if event == "exec" else None)
# %% multilayer
signal.setitimer(signal.ITIMER_VIRTUAL, 0)
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
