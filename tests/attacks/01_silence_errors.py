# Silences IPython's error reporting in the student's kernel (replaces _showtraceback, installs a
# set_custom_exc handler that swallows everything, and a post_run_cell hook that rewrites the
# result as a success), then leaves wrong/blank answers: exercise 1 typed in, exercise 3 blank.
# A secure grader decides from its own re-runs, so the silenced errors change nothing: exercises
# 1 and 3 score zero, the honest exercises 2 and 4 full.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
ip = get_ipython()
ip._showtraceback = lambda *a, **k: None
ip.showtraceback = lambda *a, **k: None
ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
def _ok(result):
    result.error_in_exec = None
    result.error_before_exec = None
ip.events.register("post_run_cell", _ok)
y = torch.tensor([[0.1595]])
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
