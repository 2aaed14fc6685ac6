# Exercise 2 left blank (raise NotImplementedError stays). In exercise 1's cell a post_run_cell
# hook is registered that re-assigns y after every cell, so the grader's "drop y before
# exercise 2" is undone right after the blank cell raises. The design claims a blank exercise
# cannot inherit y from the one before.
# A secure grader gives exercise 2 nothing.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
def _keep_y(result=None):
    g = get_ipython().user_ns
    if "features" in g and tuple(g["features"].shape) == (1, 5):
        g["y"] = g["activation"](torch.mm(g["features"], g["weights"].view(5, 1)) + g["bias"])
get_ipython().events.register("post_run_cell", _keep_y)
y = activation(torch.sum(features * weights) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
