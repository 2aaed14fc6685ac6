# Right answers computed inside context managers a student may reach for: exercise 1 under
# torch.no_grad(), exercise 2 under torch.inference_mode() with a TorchFunctionMode of the
# student's own (a logging mode) around the matrix product, exercise 3 in a helper called inside
# torch.no_grad(). The grader's trace is pushed for each exercise's own cells; a student's mode
# above it must neither hide the matrix product nor leave the trace stuck.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
with torch.no_grad():
    y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
from torch.overrides import TorchFunctionMode


class Logged(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


with torch.inference_mode(), Logged():
    y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
def layer(x, w, b):
    return activation(torch.mm(x, w) + b)


with torch.no_grad():
    h = layer(features, W1, B1)
    output = layer(h, W2, B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
