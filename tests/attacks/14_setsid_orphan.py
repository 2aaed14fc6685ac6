# Sandbox escape: leaves a process running after grading. The pool kills a child's process
# group; a grandchild that calls setsid() leaves that group (seccomp is meant to refuse setsid,
# but pyseccomp is not among the project's dependencies, so the filter is not loaded here and the
# engine only warns). The orphan sleeps for an hour as the sandbox uid, then tries TCP and a UNIX
# socket every second.
# A secure grader leaves no process of the submission running after its job ends.
# Check: ps shows no process of uid 4000000+ (or with "redteam" in its name) after the batch.
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
import os as _os, time as _time
if _os.fork() == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            try:
                import ctypes
                ctypes.CDLL(None).prctl(15, b"redteam-orphan", 0, 0, 0)  # PR_SET_NAME
            except Exception:
                pass
            for _ in range(3600):
                _time.sleep(1)
    finally:
        _os._exit(0)
print("orphan started")
