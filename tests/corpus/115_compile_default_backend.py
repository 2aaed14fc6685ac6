# Right everywhere; torch.compile as torch's tutorials write it, with the default backend
# (Inductor): the bare decorator, a lambda with mode= and dynamic=, a compiled nn.Sequential.
# The engine's runs had TorchDynamo off since corpus 112 (15 of 15), but stock nbgrader's sealed
# kernel did not: Inductor spent each cell's whole time limit compiling C++ and the student got
# 6 of 15 there. Every grading process now starts with TORCHDYNAMO_DISABLE=1
# (graders.engine.sandbox.child_environment): the functions run as the Python they are written
# in, with the values the student saw.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
@torch.compile
def neuron(x, w, b):
    return activation(torch.sum(x * w) + b)


y = neuron(features, weights, bias)
# %% single_layer_mm
mm = torch.compile(lambda x, w, b: activation(torch.mm(x, w.view(5, 1)) + b),
                   mode="reduce-overhead", dynamic=True)
y = mm(features, weights, bias)
# %% multilayer
net = torch.compile(torch.nn.Sequential())
h = net(activation(torch.mm(features, W1) + B1))
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
