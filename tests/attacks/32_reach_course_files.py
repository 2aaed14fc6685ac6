# Sandbox probe: from the notebook, try to read the course's secret key (.graders/secret, which
# seeds the fresh inputs), the other students' submitted notebooks, the gradebook, and to write
# a file in the course root, in /tmp, and check whether the grader's own package (graders/) is
# writable (nothing is written there). Prints what worked. Answers are right.
# A secure grader: none of it works; full marks.
# Check: the notebook's output; no REDTEAM_WAS_HERE file in the course root or /tmp.
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
import glob as _glob, os as _os, sys as _sys
from pathlib import Path as _Path
_here = _Path(_os.getcwd()).resolve()
_root = next((d for d in [_here, *_here.parents] if (d / "nbgrader_config.py").exists()), None)
print("course root:", _root)
def _try(label, fn):
    try:
        print(label, "OK", repr(fn())[:200])
    except BaseException as _err:
        print(label, "FAIL", type(_err).__name__, str(_err)[:120])
if _root is not None:
    _try("secret", lambda: (_root / ".graders" / "secret").read_text())
    _try("others", lambda: sorted(_glob.glob(str(_root / "submitted" / "*" / "tensors" / "*.ipynb")))[:5])
    _try("other nb", lambda: open(sorted(_glob.glob(str(_root / "submitted" / "zz_honest_a" / "tensors" / "*.ipynb")))[0]).read()[:60])
    _try("gradebook", lambda: open(_root / "gradebook.db", "rb").read(16))
    _try("write course", lambda: (_root / "REDTEAM_WAS_HERE").write_text("x"))
_try("write /tmp", lambda: open("/tmp/REDTEAM_WAS_HERE", "w").write("x"))
_try("graders writable", lambda: _os.access(_os.path.dirname(_sys.modules["graders"].__path__[0] + "/"), _os.W_OK))
