# Imported the grader's in-kernel module and replaced its hidden-test function, then typed in a
# wrong y: the verdicts are decided outside the kernel, so the patch changes nothing.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import graders.kernel
graders.kernel.hidden_test = lambda *args, **kwargs: None
y = torch.full((1, 1), 0.5)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
