# Disk, what is copied back: the run's private tmpfs caps the bytes its pages take (size=,
# 512 MiB) and RLIMIT_FSIZE one file's length (256 MiB), but a sparse file takes no pages: a
# cell that truncates files to 255 MiB each uses no disk at all inside the sandbox. The grading
# process then copies what the run left back into autograded/<student>/ (scratch.copy_tree,
# _copy_file: read and write in 1 MiB chunks), writing every hole out as zeros: here 4 files,
# ~1 GiB on the grader's disk from a cell that wrote nothing; with the 1,000 entries the copy
# keeps, 255 GiB, written by the grading process itself, in its own time (no cell limit).
# Under stock nbgrader the kernel writes autograded/ itself, so the files stay sparse there,
# but nbgrader generate_feedback copies every file whole into feedback/: 1 GiB there, and with
# no entry cap under stock, as many 255 MiB files as the kernel had time to make.
# A secure grader keeps what a run leaves within the disk cap counted by length (holes
# included). Check: the files' lengths under autograded/<this>/ after the batch.
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
for _n in range(4):
    try:
        with open(f"sparse_{_n}.bin", "wb") as _fh:
            _fh.truncate(255 * 2**20)
    except OSError as _err:
        print("refused:", _err)
print(sum(_os.stat(f"sparse_{_n}.bin").st_blocks for _n in range(4) if _os.path.exists(f"sparse_{_n}.bin")) * 512, "bytes on disk")
