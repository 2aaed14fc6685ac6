# Exercise 2 with torch.mv (a matrix-vector product) and exercise 3 with torch.bmm on batches of
# one; a ThreadPoolExecutor used inside a with-block (its threads are joined on exit) earlier.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
from concurrent.futures import ThreadPoolExecutor

with ThreadPoolExecutor(max_workers=2) as pool:
    print(list(pool.map(lambda n: n * n, range(4))))
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mv(features, weights.view(5)).view(1, 1) + bias)
# %% multilayer
h = activation(torch.bmm(features.unsqueeze(0), W1.unsqueeze(0))[0] + B1)
output = activation(torch.bmm(h.unsqueeze(0), W2.unsqueeze(0))[0] + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
