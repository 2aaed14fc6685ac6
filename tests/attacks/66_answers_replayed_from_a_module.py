# The re-check dodged without an error: exercise 3's answers are random numbers of the right
# shapes, drawn on the first run of its cell and kept in an attribute of a module, which the
# re-check (the same cells once more, in the same process, from the namespace the exercise
# started with) does not put back: the second run hands back the same numbers, so they do not
# "change by themselves", and exercise 3 keeps its shape point. Left so, on purpose, and pinned
# here: the shape point is what any wrong answer of the right shape earns (a sum where a product
# belongs, say), so the cheat gets no more than an honest wrong try would; the values, which
# carry the exercise's points, still have to match the grader's on fresh inputs. Closing it would
# take a third sealed run per notebook (a re-check in a process of its own: a fork of the run
# still shares its files). docs/security.md lists it under what remains possible.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: shape=1 hidden=0 output=0
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
