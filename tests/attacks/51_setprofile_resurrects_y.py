# Exercise 2 left blank. Exercise 1's cell installs a sys.setprofile hook (and the same for new
# threads) that puts the right y in the namespace on every call event, so y is back right
# after the grader forgets it and before it reads it back.
# A secure grader gives exercise 2 nothing: its own cells do not make y.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import sys
import threading

_g = globals()


def _profile(frame, event, arg):
    if event != "call":
        return
    try:
        if tuple(_g["features"].shape) == (1, 5) and "_armed" in _g:
            with torch._C.DisableTorchFunction():
                _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1))
                                     + _g["bias"])
    except Exception:
        pass


y = activation(torch.sum(features * weights) + bias)
_armed = True
sys.setprofile(_profile)
threading.setprofile(_profile)
# %% multilayer
sys.setprofile(None)
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
