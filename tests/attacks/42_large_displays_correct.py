# Output: a correct exercise 3 cell that shows 170 large displays (1.9 MB each, 323 MB in all)
# went over the 256 MiB a run may send and was killed as a flood: 0 for the exercise.
# A secure grader keeps its memory bounded by dropping the excess output with a note, and grades
# the cell as it ran: full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
from IPython.display import HTML, display
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
for _ in range(170):
    display(HTML("x" * 1_900_000))
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
