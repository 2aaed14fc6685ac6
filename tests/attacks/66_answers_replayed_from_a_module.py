# The re-check dodged without an error: exercise 3's answers are random numbers of the right
# shapes, drawn on the first run of its cell and kept in an attribute of a module, which the
# re-check (the same cells once more, in the same process, from the namespace the exercise
# started with) does not put back: the second run hands back the same numbers, so they do not
# "change by themselves". Exercise 3's shape point for random numbers. A secure grader gives the
# exercise no point, shape included.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
import sys

if not hasattr(sys, "red_team_answers"):
    torch.seed()  # a seed from the operating system's randomness
    sys.red_team_answers = (torch.rand(1, 2), torch.rand(1, 1))
h, output = (t.clone() for t in sys.red_team_answers)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
