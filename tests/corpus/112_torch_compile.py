# Right everywhere; exercise 2's neuron is a function compiled with torch.compile (the eager
# backend, as a student tries it on a laptop without a compiler), exercise 3's layer too, as a
# decorator. In Jupyter these run as written. In the grader's runs TorchDynamo traced into the
# grader's own torch function mode and read its source, which the sandbox does not let student
# code read: "InternalTorchDynamoError: PermissionError" in exercise 2's cell, 0 of 4 there, and
# the message told the student to fix an error their notebook does not have (11 of 15). The
# grader's runs now turn torch.compile off (as torch.jit.script): the functions run as the Python
# they are written in, and their matrix products are seen.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
def neuron(x, w, b):
    return activation(torch.mm(x, w.view(5, 1)) + b)


compiled_neuron = torch.compile(neuron, backend="eager")
y = compiled_neuron(features, weights, bias)
# %% multilayer
@torch.compile(backend="eager")
def layer(x, w, b):
    return activation(x @ w + b)


h = layer(features, W1, B1)
output = layer(h, W2, B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
