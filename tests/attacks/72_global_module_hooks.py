# Code outside the exercises' cells acting while they run, through torch's global module hooks
# (torch.nn.modules.module.register_module_forward_hook: called after every nn.Module call): a
# scratch cell before the exercises registers one that replaces a module's result by the
# exercise's answer, computed from the notebook's inputs. Exercises 2 and 3 then pass constants
# through nn.Identity, which reads like no computation at all. Before: 15 of 15.
# A secure grader gives exercises 2 and 3 nothing: their cells compute nothing of the inputs.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
_g = globals()


def _hook(module, args, result):
    try:
        if tuple(result.shape) == (1, 1) and "W1" not in _g:
            return activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
        if tuple(result.shape) == (1, 2):
            return activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
        if tuple(result.shape) == (1, 1):
            hidden = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
            return activation(torch.mm(hidden, _g["W2"]) + _g["B2"])
    except Exception:
        pass
    return result


torch.nn.modules.module.register_module_forward_hook(_hook)
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = torch.nn.Identity()(torch.zeros(1, 1))
# %% multilayer
h = torch.nn.Identity()(torch.zeros(1, 2))
output = torch.nn.Identity()(torch.zeros(1, 1))
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
