# Not an attack: an honest student whose last cell saves a small notebook of its results in the
# working folder (a report made with nbformat). The run's folder is kept in autograded/ (copied
# back from its tmpfs under graders autograde, written there by the kernel under stock
# nbgrader), and nbgrader generate_feedback converts every notebook it finds at the top of that
# folder, taking each for one of the assignment's: my_results is not in the gradebook, so the
# student's feedback failed as a whole and was removed ("Removing failed assignment"), full
# marks and no feedback. nbgrader's own autograde never copies a notebook there that is not the
# assignment's. A fair grader keeps the grades and the feedback: what the run saved as a
# notebook is not left where nbgrader looks for the assignment's.
# Check: nbgrader generate_feedback for this student succeeds (tests/test_attacks.py).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
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
# %% after test_numpy_bridge_doubled
import nbformat

report = nbformat.v4.new_notebook()
report.cells.append(nbformat.v4.new_markdown_cell(f"y = {y.item():.4f}, output = {output.item():.4f}"))
nbformat.write(report, "my_results.ipynb")
