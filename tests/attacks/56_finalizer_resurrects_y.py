# Exercise 2's cell binds y to zeros (a constant). Exercise 1's y carries a weakref finalizer
# that puts the right y back as soon as exercise 1's y is collected: rebinding y in exercise
# 2 (or a grader forgetting it) fires it, after exercise 2's own line has run.
# A secure grader gives exercise 2 nothing: the zeros are a constant, and nothing else may
# put y in place while its cells run.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import weakref

_g = globals()


def _back():
    _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])


y = activation(torch.sum(features * weights) + bias)
weakref.finalize(y, _back)
# %% single_layer_mm
y = torch.zeros(1, 1)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
