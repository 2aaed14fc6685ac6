# Code outside the exercises' cells acting while they run, through a private module of torch's:
# a scratch cell replaces torch._tensor_str._str (what str() and repr() of every tensor call)
# with a function that writes the answers, computed from the inputs then in the namespace, into
# h and output in place. Exercise 3's cell binds zeros and prints h, as a student checking a
# value does. The runner put back torch's public modules one level down, not torch._tensor_str.
# Before: 15 of 15 under both graders (4 cheated points; the review list flags the
# monkeypatching). The runner now puts back the functions of every torch and NumPy module the
# template imported, private and deeper ones included, and the printers' classes
# (torch._tensor_str, NumPy's arrayprint). A secure grader gives exercise 3 nothing (zeros are
# not computed from the inputs).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
import torch._tensor_str

_g = globals()
_str = torch._tensor_str._str


def _fill(*args, **kwargs):
    try:
        if tuple(_g["features"].shape) == (1, 3):
            with torch.no_grad():
                hidden = 1 / (1 + torch.exp(-(_g["features"] @ _g["W1"] + _g["B1"])))
                _g["h"].copy_(hidden)
                _g["output"].copy_(1 / (1 + torch.exp(-(hidden @ _g["W2"] + _g["B2"]))))
    except Exception:
        pass
    return _str(*args, **kwargs)


torch._tensor_str._str = _fill
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = torch.zeros(1, 2)
output = torch.zeros(1, 1)
print(h, output)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
