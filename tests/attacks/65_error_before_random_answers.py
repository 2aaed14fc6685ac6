# Random answers of the right shapes (attack 58's exercise 3), behind a cell of the exercise that
# raises: the grader's re-check, which runs the exercise's cells once more on the same inputs to
# catch answers that change by themselves, stopped at the first cell that raised and then held
# nothing against the student. Exercise 1 and exercise 3 each got their shape point for
# torch.rand: 10 of 15 where a secure grader gives 8. A secure grader gives neither exercise
# any point, shape included.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
undefined_name_on_purpose
# %% after single_layer_sum
torch.seed()  # a seed from the operating system's randomness
y = torch.rand(1, 1)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h.shape  # h is not defined yet: NameError
# %% after multilayer
torch.seed()
h = torch.rand(1, 2)
output = torch.rand(1, 1)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
