# Code outside exercise 2's cells acting while they run, through the namespace's own builtins:
# a scratch cell before the exercises binds __builtins__ (which Python reads a cell's builtins
# from) to a dict whose print puts the right y in place. The grader put back the builtins
# module's entries before each exercise (attack 60) but not the namespace's __builtins__, so
# exercise 2's cell, which binds zeros and prints them, earned 4 of 4 (15 of 15). A secure
# grader gives exercise 2 nothing. (A global named print in the namespace would be a helper of
# the student's, called by name, as exercise cells may call: not this attack's business.)
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
import builtins as _b
_g = globals()


def _print(*args, **kwargs):
    try:
        if tuple(_g["features"].shape) == (1, 5):
            _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
    except Exception:
        pass
    return _b.print(*args, **kwargs)


__builtins__ = dict(vars(_b), print=_print)
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = torch.zeros(1, 1)
print(y)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
