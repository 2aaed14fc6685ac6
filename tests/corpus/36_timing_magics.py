# Right everywhere, timed with IPython magics: %%time on a whole answer cell, %time on the line
# that assigns y, %timeit on a scratch line. Magics run as in the notebook when the grader re-runs
# the cells, so every point stands (the matrix product inside %time counts too).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
%%time
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
%time y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
%timeit -n 3 -r 1 torch.mm(features, W1)
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
