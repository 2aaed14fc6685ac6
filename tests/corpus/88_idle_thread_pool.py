# Right everywhere, with a thread pool made in an earlier cell and never shut down: its idle
# workers wait on an empty queue while the exercises run. Only a thread that runs something can
# put an answer in place; an idle pool worker cannot, so nothing is voided.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(max_workers=2)
print(list(pool.map(lambda n: n * n, range(4))))
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
