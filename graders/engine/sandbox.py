"""Sandbox policy: what a submission's child may read, write and use (the grading side's half).

:mod:`graders.kernel.confine` applies a policy in the child; this module makes it, in the grading
process, from what the interpreter needs and what must stay out of reach:

* **read-only**: Python's standard library and installed packages (``sys.prefix``,
  ``sys.base_prefix`` and the import path, minus anything inside the course), the system's
  libraries (``/usr``, ``/lib``...), a short list of files in ``/etc`` that libraries read (not
  ``/etc`` as a whole: ``/etc/shadow`` is there), the child's own ``/proc`` entry and a few
  system-wide ``/proc`` files, and the CPU topology in ``/sys`` that OpenMP reads;
* **read-write**: the submission's scratch folder and its private temporary folder (``HOME``,
  ``TMPDIR``, ``MPLCONFIGDIR`` and the other cache variables point there), and the harmless
  character devices (``/dev/null``, ``/dev/zero``, ``/dev/urandom``...);
* **limits**: processes, file size, open files, memory (from the settings of
  :class:`~graders.course.GradingEngine`).

Everything else, the course root with ``source/``, ``gradebook.db``, ``submitted/``,
``autograded/`` and ``feedback/`` included, and the instructor's home, is neither readable nor
writable. :func:`check_layout` refuses a layout where that cannot hold (a course folder inside
a folder the interpreter needs, say) with a message saying what to move.

Written by hand: no library turns an interpreter's needs into a Landlock policy.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import signal
import site
import stat
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Limits
from .scratch import remove_tree

SYSTEM_READ = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
               "/sys/devices/system/cpu", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
               "/proc/loadavg", "/proc/sys/kernel/osrelease", "/proc/sys/vm/overcommit_memory"]
ETC_READ = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd",
            "group", "nsswitch.conf", "hosts", "host.conf", "mime.types", "os-release",
            "locale.alias", "alternatives", "fonts", "ssl/openssl.cnf", "matplotlibrc"]
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
#: Variables that point libraries' caches and configuration into the private folder.
PRIVATE_DIR_VARIABLES = ["HOME", "TMPDIR", "TEMP", "TMP", "MPLCONFIGDIR", "XDG_CACHE_HOME",
                         "XDG_CONFIG_HOME", "XDG_DATA_HOME", "IPYTHONDIR", "TORCH_HOME",
                         "NUMBA_CACHE_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"]
#: Variables kept from the grader's environment; everything else (tokens, passwords...) is not.
KEPT_VARIABLES = ["PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "VIRTUAL_ENV"]


class SandboxLayoutError(RuntimeError):
    """The sandbox cannot protect the course with this layout; says what to change."""


#: As root, each process that runs sealed children takes its uids from its own range, ``uid_base
#: + pid * UID_STRIDE`` upwards, one uid a slot: ``RLIMIT_NPROC`` counts every process and
#: thread of a uid machine-wide, so two graders sharing uids (two courses, a regrade beside
#: ``graders serve``, a Dask worker) would let one's fork bomb stop the other's threads. A pid
#: is unique among running processes, and so is its range.
UID_STRIDE = 256


def process_uid_offset(pid: int | None = None) -> int:
    """The first slot of this process's uid range (see :data:`UID_STRIDE`)."""
    return (os.getpid() if pid is None else pid) * UID_STRIDE


@dataclass
class SandboxPolicy:
    """The part of a child's policy shared by every job of a batch."""

    read: list[str]
    limits: Limits = field(default_factory=Limits)
    uid_base: int = 4_000_000

    def for_job(self, cwd: str, private: str, slot: int) -> dict:
        """The policy sent with one job (plain data)."""
        uid = self.uid_base + slot
        return {"read": self.read, "write": [cwd, private], "devices": DEVICES,
                "uid": uid, "gid": uid, "memory_cap": self.limits.memory_cap,
                "max_processes": self.limits.max_processes,
                "max_file_bytes": self.limits.max_file_bytes,
                "max_open_files": self.limits.max_open_files}


def kill_group(group: int, wait: float = 2.0) -> None:
    """SIGKILL a run's process group and wait (at most ``wait`` seconds) until it is gone.

    As root each concurrent run has its own uid, reused by a later run of the same slot, and
    ``RLIMIT_NPROC`` counts every process and thread of a uid: the last run's processes (a fork
    bomb's, say) must be gone before the next run starts, or its own threads and subprocesses
    fail ("can't start new thread"). The usual group is already empty: one system call."""
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    end = time.monotonic() + wait
    while time.monotonic() < end:
        time.sleep(0.005)
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def python_paths() -> list[str]:
    """Where this interpreter, its standard library and its installed packages live."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    paths.update(site.getsitepackages())
    return sorted(p for p in paths if os.path.exists(p))


def read_paths(course_root: str) -> list[str]:
    """Read-only hierarchies for a child: system and Python. Other folders on the import path
    (``PYTHONPATH``, a script's folder) are added unless they hold the course or a home folder;
    the course's own ``.venv`` stays readable: it holds Python packages, no course data."""
    home = os.path.expanduser("~")
    out = [os.path.realpath(p) for p in python_paths()]
    for path in sys.path:
        if (path and os.path.isdir(path) and not _inside(path, course_root)
                and not _inside(course_root, path) and not _inside(home, path)):
            out.append(os.path.realpath(path))
    out += [p for p in SYSTEM_READ if os.path.exists(p)]
    out += [os.path.join("/etc", name) for name in ETC_READ
            if os.path.exists(os.path.join("/etc", name))]
    out = sorted(set(out))
    return [p for p in out if not any(q != p and _inside(p, q) for q in out)]  # outermost only


def check_layout(read: list[str], protected: list[str]) -> None:
    """Refuse a layout where a readable hierarchy contains a protected folder."""
    for path in read:
        for guard in protected:
            if _inside(guard, path) and not _inside(path, guard):
                raise SandboxLayoutError(
                    f"The sandbox must let submissions read {path} (Python or a system folder), "
                    f"and {guard} lies inside it, so submissions could read it too. Move the "
                    f"course folder elsewhere (e.g. under /srv or your home), or run with "
                    f"--no-sandbox to debug only.")


def make_policy(course_root: Path, limits: Limits, uid_base: int = 4_000_000) -> SandboxPolicy:
    read = read_paths(str(course_root))
    check_layout(read, [str(course_root), os.path.expanduser("~")])
    read.append("/proc/self")  # resolved by the child itself, to its own entry
    return SandboxPolicy(read=read, limits=limits, uid_base=uid_base)


_grader_home: tuple[int, str] | None = None  # (the process that made it, the folder)


def _private_to_us(path: str) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
            and info.st_mode & 0o077 == 0)


def _remove_home(pid: int, path: str) -> None:
    if os.getpid() == pid:  # never a forked child's doing: the folder is its parent's
        remove_tree(path)


def _ours_all_the_way(path: str) -> bool:
    """``path`` and every folder above it: no symbolic link, owned by us or root, writable by
    no one else (so no other user can swap anything along the way)."""
    path = os.path.abspath(path)
    while True:
        try:
            info = os.lstat(path)
        except OSError:
            return False
        if (stat.S_ISLNK(info.st_mode) or info.st_uid not in (0, os.geteuid())
                or info.st_mode & 0o022):
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def grader_home() -> str:
    """A folder of the grader's own, for the template's ``HOME`` and ``IPYTHONDIR``.

    ``~/.cache/graders/template-home`` (``$XDG_CACHE_HOME`` if set), made 0700 and used only if
    it and every folder above it are the grader's (or root's) and writable by no one else;
    otherwise a ``mkdtemp`` folder (a random name created exclusively, 0700), removed when the
    process that made it exits. Never a shared location such as ``/tmp`` itself: on a host
    shared with students, a folder another user can create first (``/tmp/.ipython``, with a
    startup script in it) would hand the grader files it did not write, or at best a warning on
    every run ("IPython dir '/tmp/.ipython' is not a writable location")."""
    global _grader_home
    pid = os.getpid()
    if _grader_home is not None and _private_to_us(_grader_home[1]) and (
            _grader_home[0] in (0, pid)):
        return _grader_home[1]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(cache, "graders", "template-home")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        pass
    if _private_to_us(path) and _ours_all_the_way(path):
        _grader_home = (0, path)  # 0: kept, shared by this user's graders
        return path
    path = tempfile.mkdtemp(prefix="graders-home-")
    if not _private_to_us(path):
        raise RuntimeError(f"{path} is not a private folder of this user")
    _grader_home = (pid, path)
    atexit.register(_remove_home, pid, path)
    multiprocessing.util.Finalize(None, _remove_home, args=(pid, path), exitpriority=0)
    return path


def template_environment() -> dict[str, str]:
    """The environment the template process starts with: what Python and the libraries need,
    nothing of the grader's own; ``HOME`` a private folder (:func:`grader_home`)."""
    keep = KEPT_VARIABLES + ["PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "TMPDIR"]
    env = {k: os.environ[k] for k in keep if k in os.environ}
    home = grader_home()
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "HOME": home,
                "IPYTHONDIR": os.path.join(home, ".ipython"),
                # The C heap on transparent huge pages from the start (glibc 2.35+; ignored
                # elsewhere): the template's forks copy fewer page-table entries, and it need
                # not move the heap there itself (graders.kernel.template._huge_pages).
                "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"})
    return env


def child_environment(private: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in KEPT_VARIABLES if k in os.environ}
    env.update(dict.fromkeys(PRIVATE_DIR_VARIABLES, private))
    env.update({"NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "MPLBACKEND": "Agg", "TERM": "dumb",
                # torch.compile hands back the function or model it is given, which then runs
                # as the Python it is written in, with the same values: with TorchDynamo on,
                # the default backend (Inductor) spent the cell's whole time limit compiling
                # C++ in the sealed kernel and a right answer lost its points (corpus 115).
                "TORCHDYNAMO_DISABLE": "1"})
    env.setdefault("LANG", "C.UTF-8")
    return env


#: What the last :func:`sandbox_check` of this process found the kernel enforces (its caps:
#: memory cgroup, private tmpfs), for the run's summary (:func:`graders.engine.progress.summary`).
CAPS: list[str] = []


def sandbox_check(policy: SandboxPolicy, disk_bytes: int = 16 * 2**20,
                  entries: int = 100) -> list[str]:
    """Seal a throw-away child of this process with ``policy`` (its control groups and private
    tmpfs included, as the pool gives each run) and return what the kernel could not apply (an
    empty list when the sandbox is complete). The caps that do apply go to :data:`CAPS`."""
    from .cgroups import RunGroups

    folder = tempfile.mkdtemp(prefix="graders-check-")
    cwd, private = os.path.join(folder, "cwd"), os.path.join(folder, "private")
    os.mkdir(cwd)
    os.mkdir(private)
    groups, name = RunGroups(), f"graders-check-run-{os.getpid()}"
    job = policy.for_job(cwd, private, slot=0)
    caps = {"tmpfs": True, "private": private, "disk_bytes": disk_bytes, "entries": entries,
            "owner": [job["uid"], job["gid"]]}
    try:
        caps["cgroups"] = groups.create(name, policy.limits.memory_cap, 0)
        caps["cgroup_text"] = groups.describe(policy.limits.memory_cap)
    except OSError as err:
        groups.why, groups.kind = f"{err.strerror} in {groups.memory}", ""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: seal, report, exit
        code = 1
        try:
            os.close(read)
            from ..kernel import confine

            confine.prepare()
            if os.geteuid() == 0:
                for path in (cwd, private):
                    os.chown(path, job["uid"], job["gid"])
            held, job["caps_report"] = confine.enter_caps({"cwd": cwd, "caps": caps})
            for fd in held:
                os.close(fd)
            report = confine.apply(job)
            os.write(write, json.dumps(report).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    groups.remove(name)
    remove_tree(folder)
    try:
        report = json.loads(data)
        missing = list(report.get("missing", []))
    except ValueError:
        return ["the sandbox could not be tested on this machine (the check process failed)"]
    applied = report.get("applied", [])
    CAPS[:] = [item for item in applied if "cgroup" in item]
    if any("tmpfs" in item for item in applied):
        CAPS.append("private tmpfs per run (size= and nr_inodes=: the disk cap in bytes and "
                    "entries)")
    if not groups.kind:
        missing.append("memory cgroup: the memory cap is " + groups.describe(0))
    return missing
