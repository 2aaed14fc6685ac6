# Memory, without a memory cgroup (a grader that is not root on a cgroup v1 host, or v2 without
# a delegated memory controller): RLIMIT_AS is the only memory cap there, and it is a limit per
# process. A cell forks six children (RLIMIT_NPROC allows 64); each maps and fills 0.85 GiB,
# well under its own address-space cap (4.6 GiB), and all six hold it at once: 5.1 GiB for one
# run, more than the cap a submission may use, and the fresh re-run could do the same beside
# it. With 63 children of ~4 GiB each, one submission asks the machine for ~250 GiB: the
# kernel's OOM killer then picks among every process of the machine, the grader's and the
# other students' included. Measured as grader1 (not root, cgroup v1): "held at once: 5.1 GiB
# in 6 children". As root the run's memory cgroup stops it. (Only the notebook's own run
# forks, to keep the test light: its `a` is writable, the fresh run's is not. The two cells
# after the last test are in reverse order here: the format inserts each right below it.)
# A secure grader caps a run's memory as a whole (a cgroup; or, without one, an address-space
# cap divided among the processes a run may have, or fewer processes). Closed after round 7:
# without a cgroup the pool sums the run's process group every 0.25 s and stops it past the
# cap (graders/engine/run_memory.py; tests/test_run_memory.py, which runs without cgroups
# as root too).
# Check: the last cell's output says how much the children held at once.
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
_got, _end = b"", _time.monotonic() + 4
while _pids and _got.count(b"+") + _got.count(b"-") < len(_pids) and _time.monotonic() < _end:
    if _select.select([_r], [], [], 0.1)[0]:
        _got += _os.read(_r, 16)
if _pids:
    _cap = _resource.getrlimit(_resource.RLIMIT_AS)[0] / 2**30
    print(f"REDTEAM-MEMORY held at once: {_got.count(b'+') * 0.85:.1f} GiB in "
          f"{_got.count(b'+')} children ({_got.count(b'-')} failed, {_got.count(b's')} started); RLIMIT_AS {_cap:.1f} GiB")
for _pid in _pids:
    _os.kill(_pid, _signal.SIGKILL)
    _os.waitpid(_pid, 0)
# %% after test_numpy_bridge_doubled
import mmap as _mmap
import os as _os
import resource as _resource
import select as _select
import signal as _signal
import time as _time

_pids, (_r, _w) = [], _os.pipe()
if a.flags.writeable:  # the notebook's own run only
    for _n in range(6):
        _pid = _os.fork()
        if _pid == 0:
            try:
                _os.write(_w, b"s")
                _block = _mmap.mmap(-1, int(0.85 * 2**30), flags=_mmap.MAP_PRIVATE
                                    | _mmap.MAP_ANONYMOUS | _mmap.MAP_POPULATE)  # pages made
                _os.write(_w, b"+")
                _time.sleep(30)
            except BaseException:
                _os.write(_w, b"-")
            finally:
                _os._exit(0)
        _pids.append(_pid)
