# Right everywhere; the student counts the notebook's floating-point operations with torch's
# FlopCounterMode, entered in a cell of their own after the activation and left open until a
# cell at the end. The mode is a TorchDispatchMode on torch's dispatch stack, which the grader
# clears before each exercise: torch 2.13's _pop_torch_dispatch_stack takes one argument, and
# without it the runner failed, the kernel counted as dead and every test cell scored 0.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
from torch.utils.flop_counter import FlopCounterMode
flops = FlopCounterMode(display=False)
flops.__enter__()  # count every operation from here on
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
flops.__exit__(None, None, None)
print("FLOPs:", flops.get_total_flops())
