# Code outside exercise 2's cells acting while they run, through torch's dispatcher: a scratch
# cell registers a Python kernel for aten::trunc on CPU (torch.library.Library("aten", "IMPL")
# .impl), which returns exercise 2's answer (computed with torch.mm from the notebook's inputs)
# for a (1, 1) tensor; exercise 2's cell binds torch.trunc(torch.zeros(1, 1)). The runner puts
# back Python-level hooks, IPython's parts and torch's Python functions before each exercise
# (attacks 69-73), not the dispatcher's registrations, so the kernel computes the right answer on
# the grader's fresh inputs too. OPEN (red team round 4), pinned here at what it earns: shape and
# value of exercise 2, not the method point (the product ran outside the exercise's cells).
# A secure grader gives exercise 2 nothing. Ideas for a fix: record torch.library._impls in the
# template and, when it grew, destroy the Library objects holding the new keys before each
# exercise; torch._C._dispatch_library called directly would still escape that, and torch itself
# registers kernels lazily (a fix must not reset those). docs/security.md lists it under what
# remains possible.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
import warnings

_g = globals()
warnings.simplefilter("ignore")
_lib = torch.library.Library("aten", "IMPL")


def _trunc(x):
    if tuple(x.shape) == (1, 1) and "features" in _g and tuple(_g["features"].shape) == (1, 5):
        return activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
    return torch.floor(x.abs()) * torch.sign(x)


_lib.impl("trunc", _trunc, "CPU")
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = torch.trunc(torch.zeros(1, 1))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
