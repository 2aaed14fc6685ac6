# Catches the timeout's interrupt and loops on in exercise 3: killed after the grace period, the
# rest runs in a fresh kernel (exercise 4 needs the given cells replayed).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
