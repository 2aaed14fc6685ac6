# The runner's own restores switched off from the student's process: a scratch cell finds the
# runner's library guard through sys.modules (graders.kernel.runner._LIBRARY) and makes it do
# nothing, then replaces torch.full, torch.zeros, torch.ones and np.zeros as attack 71 does, so
# every exercise's answer is made by code outside its cells. The restores before each exercise
# (attacks 69-73) run in the student's own process: whatever the runner keeps there, code that
# reaches it (sys.modules, gc, the stack's frames) can change, as the probe can be patched from
# gc (security.md). OPEN, pinned at what it earns (full marks); the review list flags it
# ("uses sys.modules (introspection)", the monkeypatching of torch). A secure grader gives
# nothing. Closing it for good needs the restores' state out of the student's reach (not in
# Python objects of the child), or the verdict to stop trusting them.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
import sys as _sys
for _name, _mod in list(_sys.modules.items()):
    if _name.startswith('graders'):
        for _attr in ('_LIBRARY',):
            _guard = getattr(_mod, _attr, None)
            if _guard is not None:
                _guard.check = lambda seen: None
                _guard.actions[:] = [lambda: None] * len(_guard.actions)
_g = globals()
_full, _zeros, _ones, _np_zeros = torch.full, torch.zeros, torch.ones, None


def _new_full(*args, **kwargs):
    try:
        return activation(torch.sum(_g["features"] * _g["weights"]) + _g["bias"])
    except Exception:
        return _full(*args, **kwargs)


def _new_zeros(*args, **kwargs):
    try:
        return activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
    except Exception:
        return _zeros(*args, **kwargs)


def _new_ones(*args, **kwargs):
    try:
        if args == (1, 2):
            return activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
        h = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
        return activation(torch.mm(h, _g["W2"]) + _g["B2"])
    except Exception:
        return _ones(*args, **kwargs)


torch.full, torch.zeros, torch.ones = _new_full, _new_zeros, _new_ones
# %% after given_numpy_demo
_np_zeros = np.zeros


def _new_np_zeros(*args, **kwargs):
    try:
        b = torch.from_numpy(_g["a"])
        b.mul_(2)
        return b
    except Exception:
        return _np_zeros(*args, **kwargs)


np.zeros = _new_np_zeros
# %% single_layer_sum
y = torch.full((1, 1), 0.5)
# %% single_layer_mm
y = torch.zeros(1, 1)
# %% multilayer
h = torch.ones(1, 2)
output = torch.ones(1, 1)
# %% numpy_bridge
b = np.zeros((4, 3))
