# Code outside the exercises' cells acting while they run, through the traceback printer: a
# scratch cell replaces linecache.getline and traceback.StackSummary.extract (standard library
# functions that formatting any error calls) with functions that compute h and output from the
# inputs then in the namespace and bind them. Exercise 3's cell names its answers (h = output =
# None) and then fails as a blank one does (raise NotImplementedError()): its traceback is
# printed in the middle of the cell's run, the fresh run's included, and binds the answers. The
# runner put back torch's and NumPy's public modules, not the standard library's. Before: 15 of
# 15 under the engine (4 cheated points; the review list flags the monkeypatching). The runner
# now also puts back the functions of the modules the cell machinery calls by itself
# (traceback, linecache, inspect, tokenize, IPython's traceback and pretty printers, pygments,
# stack_data) and their classes before each exercise. A secure grader gives exercise 3 nothing.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
import linecache
import traceback

_g = globals()
_getline = linecache.getline
_extract = traceback.StackSummary.extract


def _bind(*args, **kwargs):
    try:
        if tuple(_g["features"].shape) == (1, 3):
            hidden = 1 / (1 + torch.exp(-(_g["features"] @ _g["W1"] + _g["B1"])))
            _g["h"] = hidden
            _g["output"] = 1 / (1 + torch.exp(-(hidden @ _g["W2"] + _g["B2"])))
    except Exception:
        pass
    return _getline(*args, **kwargs)


def _extract_and_bind(*args, **kwargs):
    _bind("", 1)
    return _extract(*args, **kwargs)


linecache.getline = _bind
traceback.StackSummary.extract = staticmethod(_extract_and_bind)
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = output = None
raise NotImplementedError()
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
