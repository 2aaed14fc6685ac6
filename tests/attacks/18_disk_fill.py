# Disk: RLIMIT_FSIZE caps one file (256 MiB) but not how many files a submission writes. The
# notebook's working folder (autograded/<student>/.tensors.partial) is moved into autograded/
# after grading, so everything written there stays on disk. This cell writes 6 files of 200 MB
# (1.2 GB) in its 5 s; scaled by the 30 s timeout, more cells and background processes, a single
# submission can fill the disk.
# A secure grader bounds the bytes a submission may leave (quota, tmpfs, cleanup).
# Check: du -sh autograded/<this>/ after the batch.
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
import os as _os
_chunk = b"\0" * (1 << 20)
for _n in range(6):
    try:
        with open(f"fill_{_n}.bin", "wb") as _fh:
            for _ in range(200):
                _fh.write(_chunk)
    except BaseException as _err:
        print("stopped:", type(_err).__name__, _err)
        break
print("written", sum(_os.path.getsize(f) for f in _os.listdir(".") if f.startswith("fill_")))
