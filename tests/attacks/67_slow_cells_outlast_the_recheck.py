# Random answers behind slow cells: each cell of exercise 3 is under the cell limit (3 s of the
# attack batch's 5 s), together they are over it. The grader's re-check, which runs the
# exercise's cells once more on the same inputs to catch answers that change by themselves, had
# one cell's limit for all of them: it ran out of time, and a re-check that runs out of time
# holds nothing against the student. Exercise 3's shape point for random numbers (1 of the 11
# a secure grader gives). A secure grader gives the exercise no point, shape included.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
import time

time.sleep(3)
# %% after multilayer
time.sleep(3)
torch.seed()  # a seed from the operating system's randomness
h = torch.rand(1, 2)
output = torch.rand(1, 1)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
