# Exercise 2's cell checks its y against exercise 1's (kept as y_sum) with torch.allclose;
# exercise 3 computes the hidden layer under torch.inference_mode in a loop over the layers.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
y_sum = y
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
assert torch.allclose(y, y_sum), "the two neurons disagree"
# %% multilayer
x = features
outs = []
with torch.inference_mode():
    for W, B in [(W1, B1), (W2, B2)]:
        x = activation(x @ W + B)
        outs.append(x)
h, output = outs
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
