# Feedback leak: a pre_run_cell hook prints the source of every cell that is about to run, and a
# set_custom_exc handler prints the full traceback, so test cells (with their hidden part restored
# by nbgrader) print their hidden test code into their own stdout. RedactHiddenTests strips the
# hidden region from the cell's source and rewrites error tracebacks, but keeps stream outputs.
# A secure grader: no hidden test code ("hidden_test(", "BEGIN HIDDEN TESTS") in feedback.
# Answers are right: full marks.
# Check: grep the feedback HTML for "BEGIN HIDDEN TESTS" / "hidden_test(".
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
def _show_source(info):
    if "BEGIN HIDDEN" in info.raw_cell:
        print("CELL SOURCE:\n" + info.raw_cell)
get_ipython().events.register("pre_run_cell", _show_source)
def _post(result):
    if "BEGIN HIDDEN" in (result.info.raw_cell or ""):
        print("In[-1]:", get_ipython().user_ns.get("In", [""])[-1][-200:])
        print("globals:", sorted(k for k in globals() if not k.startswith("_"))[:40])
get_ipython().events.register("post_run_cell", _post)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
