# Signals: tries to kill the grader's processes: the parent (the template under the engine,
# nbgrader's kernel launcher / nbgrader itself under stock nbgrader), process 1, every process it
# may signal (kill(-1)), its own process group. Each in a try block; prints what worked.
# A secure grader: nothing outside the submission is hurt; honest students 15/15; this
# notebook's answers are right (the kill(-1) comes last, after every test).
# Check: honest students 15/15, batch exit 0.
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
import os as _os, signal as _signal
for _label, _pid in (("parent", _os.getppid()), ("grandparent", None), ("init", 1)):
    try:
        if _pid is None:
            with open(f"/proc/{_os.getppid()}/stat") as _fh:
                _pid = int(_fh.read().rsplit(")", 1)[1].split()[1])
        _os.kill(_pid, _signal.SIGKILL)
        print(_label, _pid, "killed")
    except BaseException as _err:
        print(_label, _pid, "FAIL", _err)
import resource as _resource
try:
    _resource.setrlimit(_resource.RLIMIT_NPROC, (100000, 100000))
    print("raised NPROC")
except BaseException as _err:
    print("raise NPROC FAIL", _err)
try:
    _os.kill(-1, _signal.SIGKILL)
except BaseException as _err:
    print("kill -1 FAIL", _err)
