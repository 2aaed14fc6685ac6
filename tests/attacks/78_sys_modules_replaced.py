# Code outside the exercises' cells acting while they run, through sys.modules: a scratch cell
# puts a module of its own in sys.modules["torch"] whose torch.zeros computes the answers from
# the namespace; each exercise's cell imports torch again (as students often do) and reads like
# a constant. Before: 15 of 15 under both graders (11 cheated points; the review list flags
# sys.modules). The runner now puts each library module back in sys.modules before each
# exercise. A secure grader gives exercises 1-3 nothing; exercise 4 is honest.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
import sys as _sys
import types as _types
_g = globals()
_real = torch


class _Proxy(_types.ModuleType):
    def __getattr__(self, name):
        if name == "zeros":
            def fake(*args, **kwargs):
                try:
                    if _g["features"].shape == (1, 5):
                        return activation(_real.zeros(1, 1) + _g["features"] @ _g["weights"].T + _g["bias"])
                    h = activation(_g["features"] @ _g["W1"] + _g["B1"])
                    _g["h"] = h
                    return activation(h @ _g["W2"] + _g["B2"])
                except Exception:
                    return _real.zeros(*args, **kwargs)
            return fake
        return getattr(_real, name)


_sys.modules["torch"] = _Proxy("torch")
# %% single_layer_sum
import torch
y = torch.zeros(1, 1)
# %% single_layer_mm
import torch
y = torch.zeros(1, 1)
# %% multilayer
import torch
h = torch.zeros(1, 2)
output = torch.zeros(1, 1)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
