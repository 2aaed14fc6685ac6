# Code outside the exercises' cells acting while they run, through the torch module's own type:
# a scratch cell swaps torch.__class__ for a ModuleType subclass whose __getattribute__ hands
# back its own torch.zeros, which computes the answers from the namespace, so each exercise's
# cell reads like a constant (y = torch.zeros(1, 1)). The runner's restores (attack 71) watch
# the module's dict, which a change of its class leaves as it was. Before: 15 of 15 under both
# graders (every cheated point; the review list flags the introspection and the assignment to
# torch.__class__). The runner now puts back each library module's type, and the module
# itself in sys.modules (attack 78), before each exercise. A secure grader gives exercises 1-3
# nothing; exercise 4 is honest.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
import types as _types
_g = globals()


class _Mod(_types.ModuleType):
    def __getattribute__(self, name):
        real = _types.ModuleType.__getattribute__(self, name)
        if name == "zeros":
            def fake(*args, **kwargs):
                try:
                    if _g["features"].shape == (1, 5):
                        return activation(real(1, 1) + _g["features"] @ _g["weights"].T + _g["bias"])
                    h = activation(_g["features"] @ _g["W1"] + _g["B1"])
                    _g["h"] = h
                    return activation(h @ _g["W2"] + _g["B2"])
                except Exception:
                    return real(*args, **kwargs)
            return fake
        return real


torch.__class__ = _Mod
# %% single_layer_sum
y = torch.zeros(1, 1)
# %% single_layer_mm
y = torch.zeros(1, 1)
# %% multilayer
h = torch.zeros(1, 2)
output = torch.zeros(1, 1)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
