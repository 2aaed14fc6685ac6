"""The walks and removals of student-made trees (graders/engine/scratch.py): iterative, never
through a link, within their bounds; the run's caps (graders/engine/cgroups.py, the private
tmpfs of graders/kernel/confine.py) where this machine allows them, as root and as a user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graders.engine import scratch
from graders.engine.progress import summary

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tmp_path(tmp_path_factory):
    """A folder in memory when the machine has /dev/shm: removing thousands of folders from a
    disk mounted with ``discard`` takes seconds per thousand, which is not what is tested."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="graders-scratch-test-", dir="/dev/shm"))
        yield folder
        scratch.remove_tree(str(folder))
    else:
        yield tmp_path_factory.mktemp("scratch")


def _chain(root: Path, depth: int, name: str = "d") -> None:
    """``depth`` nested folders under ``root``, made through descriptors (no long paths)."""
    fd = os.open(root, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir(name, dir_fd=fd)
        nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    open(os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w").close()
    os.close(fd)


def test_a_5000_deep_chain_is_scanned_pruned_and_removed(tmp_path):
    (tmp_path / "t").mkdir()
    _chain(tmp_path / "t", 5000)
    found = scratch.scan(str(tmp_path / "t"))
    assert found.too_deep == ["/".join(["d"] * scratch.MAX_DEPTH)]
    removed = scratch.prune(str(tmp_path / "t"))
    assert removed["too_deep"] == found.too_deep
    again = scratch.scan(str(tmp_path / "t"), max_depth=10**6)
    assert again.too_deep == [] and len(again.folders) == scratch.MAX_DEPTH - 1
    _chain(tmp_path / "t", 5000, name="e")
    assert scratch.remove_tree(str(tmp_path / "t"))
    assert not (tmp_path / "t").exists()


def test_many_entries_are_counted_within_the_bound(tmp_path):
    for i in range(3000):
        (tmp_path / f"f{i}").write_bytes(b"x" * (i % 3))
    whole = scratch.scan(str(tmp_path))
    assert whole.complete and whole.entries == 3000 and sum(whole.files.values()) == 3000
    part = scratch.scan(str(tmp_path), max_entries=100)
    assert not part.complete and part.entries == 101 and len(part.files) == 100
    assert scratch.remove_tree(str(tmp_path))
    assert not tmp_path.exists()


def test_links_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "to_dir").symlink_to(outside)
    (tree / "to_file").symlink_to(outside / "keep.txt")
    os.mkfifo(tree / "fifo")
    found = scratch.scan(str(tree))
    assert sorted(found.special) == ["fifo", "sub/to_dir", "to_file"]
    assert "keep.txt" not in str(found.files)
    assert sorted(scratch.prune(str(tree))["special"]) == ["fifo", "sub/to_dir", "to_file"]
    _chain(tree, 10)
    (tree / "d" / "link").symlink_to(outside)
    assert scratch.remove_tree(str(tree))
    assert (outside / "keep.txt").read_text() == "mine"


def test_the_time_bound_stops_a_removal_and_says_so(tmp_path):
    for i in range(2000):
        (tmp_path / "t" / f"d{i}").mkdir(parents=True)
    assert scratch.remove_tree(str(tmp_path / "t"), max_seconds=0.0) is False
    assert (tmp_path / "t").exists()
    assert scratch.remove_tree(str(tmp_path / "t"))


def test_a_folder_without_rights_is_removed_too(tmp_path):
    (tmp_path / "t" / "a" / "b").mkdir(parents=True)
    (tmp_path / "t" / "a" / "b" / "f").write_text("x")
    os.chmod(tmp_path / "t" / "a" / "b", 0)
    os.chmod(tmp_path / "t" / "a", 0)
    assert scratch.remove_tree(str(tmp_path / "t"))
    assert not (tmp_path / "t").exists()


def test_a_grader_that_is_not_root_removes_a_folder_without_rights_too(tmp_path):
    """Moving a folder up rewrites its "..", which needs its own write right: as root nothing
    notices, as an ordinary user (a real course server's grader, or the stock kernel's private
    folder a submission filled) the removal spun until its time bound and left the tree.
    Run as root, the removal happens in a child that became an ordinary uid first."""
    tree = tmp_path / "t"
    (tree / "a" / "b" / "c").mkdir(parents=True)
    (tree / "a" / "b" / "c" / "f").write_text("x")
    ordinary = 65534
    if os.geteuid() == 0:
        os.chmod(tmp_path, 0o755)
        for path in [tmp_path.parent, *tmp_path.parents]:
            if path.stat().st_mode & 0o001 == 0:
                pytest.skip(f"{path} is closed to other users")
        for path in [tree, *tree.rglob("*")]:
            os.lchown(path, ordinary, ordinary)
        os.chown(tmp_path, ordinary, ordinary)
    for folder in (tree / "a" / "b" / "c", tree / "a" / "b", tree / "a"):
        os.chmod(folder, 0)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setresgid(ordinary, ordinary, ordinary)
                os.setresuid(ordinary, ordinary, ordinary)
            code = 0 if scratch.remove_tree(str(tree), max_seconds=10) else 2
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert not tree.exists()


def test_copy_tree_keeps_files_within_the_bounds(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("new")
    (src / "sub" / "b.txt").write_text("b")
    _chain(src, 100)
    dst.mkdir()
    (dst / "a.txt").write_text("old")
    (dst / "gone.txt").write_text("deleted by the run")
    out = scratch.copy_tree(str(src), str(dst), remove_missing=True)
    assert (dst / "a.txt").read_text() == "new" and (dst / "sub" / "b.txt").read_text() == "b"
    assert not (dst / "gone.txt").exists()
    assert out["too_deep"] and scratch.scan(str(dst), max_depth=10**6).too_deep == []


def test_copy_tree_counts_lengths_not_blocks(tmp_path):
    """Sparse files and hard links take (almost) no room in the run's tmpfs, but a copy writes
    every byte of every name: what is copied back is bounded by the files' lengths (attack 82)."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    for n in range(4):
        with open(src / f"hole_{n}.bin", "wb") as fh:
            fh.truncate(3 * 2**20)  # 3 MiB long, no blocks
    (src / "small.txt").write_text("kept")
    os.link(src / "small.txt", src / "link.txt")
    out = scratch.copy_tree(str(src), str(dst), max_bytes=7 * 2**20)
    copied = [p.name for p in dst.iterdir()]
    assert sum((dst / name).stat().st_size for name in copied) <= 7 * 2**20
    assert len([n for n in copied if n.startswith("hole_")]) == 2
    assert len(out["over"]) == 2 and out["complete"]


def test_the_summary_names_the_caps(monkeypatch):
    from graders.engine import sandbox

    class Report:
        outcomes, wall, sandbox, repaired, engine = {}, 1.0, [], [], []

    monkeypatch.setattr(sandbox, "CAPS", ["memory cgroup v1 per run (memory.limit_in_bytes "
                                          "4 GiB, counts every page)"])
    assert "caps the kernel enforces: memory cgroup v1 per run" in summary(Report())
    monkeypatch.setattr(sandbox, "CAPS", [])
    assert "caps the kernel enforces" not in summary(Report())


def test_the_sandbox_check_finds_the_caps_this_machine_allows(tmp_path):
    from graders.engine.cgroups import RunGroups
    from graders.engine.sandbox import CAPS, Limits, make_policy, sandbox_check

    missing = sandbox_check(make_policy(tmp_path, Limits()))
    groups = RunGroups()
    if groups.kind:
        assert any(f"memory cgroup {groups.kind}" in c for c in CAPS), (CAPS, missing)
    else:
        assert any("RLIMIT_AS only" in m for m in missing), missing


NON_ROOT = textwrap.dedent("""
    import json, os, socket, sys, tempfile
    sys.path.insert(0, sys.argv[1])
    from graders.engine import scratch
    from graders.engine.cgroups import RunGroups
    from graders.kernel import confine
    base = tempfile.mkdtemp(dir=sys.argv[2])
    cwd, private = os.path.join(base, "cwd"), os.path.join(base, "private")
    os.mkdir(cwd); os.mkdir(private)
    open(os.path.join(cwd, "given.txt"), "w").write("given")
    groups = RunGroups()
    spec = {"cwd": cwd, "caps": {"tmpfs": True, "private": private, "disk_bytes": 1 << 20,
                                 "entries": 200}}
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        held, report = confine.enter_caps(spec)
        socket.send_fds(theirs, [json.dumps(report).encode()], held)
        confine._enter_user_namespace(report)  # the sandbox's own namespace, nested
        os.chdir(cwd)
        made = 0
        try:
            for i in range(100_000):
                open(f"e{i}", "w").close()
                made += 1
        except OSError as err:
            error = err.strerror
        open("given.txt", "a").write(" + read in the run")  # frees nothing: write in place
        os.write(1, json.dumps({"made": made, "error": error}).encode() + b"\\n")
        os._exit(0)
    data, fds, _, _ = socket.recv_fds(ours, 65536, 2)
    os.waitpid(pid, 0)
    report = json.loads(data)
    left = os.listdir(cwd)
    kept = scratch.copy_tree(f"/proc/self/fd/{fds[0]}/work", cwd, max_entries=1000) if fds else {}
    if fds:
        [os.close(f) for f in fds]
    print(json.dumps({"uid": os.getuid(), "groups": groups.kind, "why": groups.why,
                      "report": report, "left_on_disk_during_run": len(left),
                      "given": open(os.path.join(cwd, "given.txt")).read(),
                      "kept": sorted(os.listdir(cwd))[:3]}))
    scratch.remove_tree(base)
""")


def test_a_grader_that_is_not_root_gets_a_tmpfs_and_falls_back_for_memory():
    """As an ordinary user: no cgroup to write (RLIMIT_AS, and the summary says why), but the
    private tmpfs in a user and mount namespace of its own still caps entries (ENOSPC)."""
    if os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd"):
        pytest.skip("needs root with runuser and useradd to become an ordinary user")
    python = next((p for p in (sys.executable, "/usr/bin/python3")
                   if subprocess.run(["runuser", "-u", "nobody", "--", p, "-c", "0"],
                                     capture_output=True).returncode == 0), None)
    if python is None:
        pytest.skip("no Python an ordinary user may run")
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="graders-non-root-"))  # pytest's are root's only
    user = "graders-caps-test"
    made = subprocess.run(["id", user], capture_output=True).returncode != 0
    if made:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", user], check=True)
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.chown(folder, user)
    os.chmod(tmp_path, 0o755)
    script = tmp_path / "non_root.py"
    script.write_text(NON_ROOT)
    os.chmod(script, 0o644)
    # The package, where the ordinary user can read it: the checkout may lie in a folder only
    # root can enter (a CI clone in a mktemp -d folder does).
    shutil.copytree(REPO / "graders", tmp_path / "graders",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in (tmp_path / "graders").rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chmod(tmp_path / "graders", 0o755)
    try:
        out = subprocess.run(["runuser", "-u", user, "--", python, str(script), str(tmp_path),
                              str(folder)], capture_output=True, text=True, timeout=120)
    finally:
        scratch.remove_tree(str(tmp_path))
        if made:
            subprocess.run(["userdel", user], capture_output=True)
    assert out.returncode == 0, out.stderr
    child, result = (json.loads(line) for line in out.stdout.strip().splitlines()[-2:])
    assert result["uid"] != 0 and result["groups"] == "" and result["why"]
    assert any("private tmpfs" in a for a in result["report"]["applied"]), result
    assert child["error"] == "No space left on device" and child["made"] < 200
    assert result["left_on_disk_during_run"] == 1  # the run wrote to its tmpfs, not the disk
    assert result["given"] == "given + read in the run"


def test_copy_tree_leaves_top_notebooks_alone(tmp_path):
    """A notebook the run saved at the top is not copied back, one already there is not removed
    (nbgrader generate_feedback takes every top-level notebook for one of the assignment's:
    attack 84); notebooks in subfolders are ordinary files."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "sub").mkdir(parents=True)
    dst.mkdir()
    (src / "my_results.ipynb").write_text("{}")
    (src / "sub" / "kept.ipynb").write_text("{}")
    (dst / "graded.ipynb").write_text("{}")
    out = scratch.copy_tree(str(src), str(dst), remove_missing=True, skip_top=".ipynb")
    assert not (dst / "my_results.ipynb").exists() and (dst / "graded.ipynb").exists()
    assert (dst / "sub" / "kept.ipynb").exists() and out["skipped"] == ["my_results.ipynb"]
