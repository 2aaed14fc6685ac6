# Right everywhere: exercise 1 with Python's sum over the five products, exercise 2 with
# matmul and reshape(-1, 1), exercise 3 in a function decorated with @torch.no_grad() whose
# tuple result is unpacked, exercise 4 doubled through b.data (same memory as b).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(sum(features[0, i] * weights[0, i] for i in range(5)) + bias)
# %% single_layer_mm
y = activation(torch.matmul(features, weights.reshape(-1, 1)) + bias)
# %% multilayer
@torch.no_grad()
def forward(x):
    hidden = activation(x @ W1 + B1)
    return hidden, activation(hidden @ W2 + B2)


h, output = forward(features)
# %% numpy_bridge
b = torch.from_numpy(a)
b.data.mul_(2)
