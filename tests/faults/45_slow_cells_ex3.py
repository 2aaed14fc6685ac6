# Exercise 3 done right in three cells, each slow but under the time limit (the engine's tests
# give a cell 3 s). The grader runs an exercise's cells once more to check that the answer does
# not change by itself; each of its cells gets a cell's limit, and the grading side waits for
# all of them: before, the re-run took 4.8 s where the grading side waited one limit and the
# 1 s grace (4 s), it killed the re-run, and exercise 3 scored nothing (multilayer.rerun_failed).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
import time

time.sleep(1.6)
h = activation(torch.mm(features, W1) + B1)
# %% after multilayer
time.sleep(1.6)
output = activation(torch.mm(h, W2) + B2)
# %% after multilayer
time.sleep(1.6)  # more of the same work
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
