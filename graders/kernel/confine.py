"""Confine: seal the forked child that runs a submission before any of its code runs.

Applied by :func:`graders.kernel.runner.main` in each child, right after the fork, with a policy
made by the trusted side (:mod:`graders.engine.sandbox`). Nothing here needs root. In order:

1. **Own session** (``setsid``): the child and everything it starts form one process group, so
   the pool can kill all of them at once and a signal to "my group" reaches only the submission.
2. **Limits** (``setrlimit``): address space (the memory cap), processes and threads
   (``RLIMIT_NPROC``: a fork bomb fails with an error in its cell), file size (``RLIMIT_FSIZE``:
   no filling the disk with one file), open files, no core dumps.
3. **Identity and namespaces.** Run as root, the child first takes a new network namespace (no
   interface but a down loopback), then becomes an unprivileged user of its own (one uid per
   concurrent child, so ``RLIMIT_NPROC`` counts only that submission's processes), keeping only
   ``CAP_DAC_READ_SEARCH`` so that a Python installed in a private home stays importable (what
   may be *read* is decided by Landlock below, not by file modes). Run as an ordinary user, it
   enters a new user namespace with a new network namespace (``unshare``), which also makes
   ``RLIMIT_NPROC`` count only this submission's processes; its capabilities inside it are
   dropped.
4. ``no_new_privs``, then **Landlock** (Linux 5.13+, ABI read at run time): read-only access to
   the listed hierarchies (Python, its libraries, system files), read-write access to the
   submission's scratch folder and private temporary folder (ordinary files and folders only:
   no symbolic links, FIFOs, sockets or devices); with ABI 4+ no TCP bind or connect;
   with ABI 6+ no signals to processes outside the sandbox and no abstract UNIX sockets outside
   it. Everything else in the file system (the course, ``source/``, the gradebook, other
   students' folders, the instructor's home) is out of reach.
5. **seccomp** (through libseccomp, via the ``pyseccomp`` ctypes binding): ``socket()`` is
   refused for every address family (no network, no connecting to a UNIX socket on disk such as
   the Docker daemon's; ``socketpair`` still works), and so are the calls that would undo the
   rest or reach around it: ``setsid``/``setpgid`` (leaving the process group the pool kills),
   ``unshare``/``setns``/``mount``/``chroot``, ``ptrace``, ``process_vm_*``, ``io_uring`` (it can
   open sockets without ``socket()``), ``open_by_handle_at`` (it bypasses path checks), ``bpf``,
   ``perf_event_open``, ``keyctl``, ``userfaultfd``, System V ``shmget``/``msgget`` (their memory
   outlives the run); ``clone3`` answers ENOSYS so that libc falls back to ``clone``, whose
   namespace flags are refused. Where no memory cgroup counts the run's pages (a grader that is
   not root), ``memfd_create`` is refused as well: its pages escape ``RLIMIT_AS``.

Each step that the kernel lacks is skipped and reported (``report["missing"]``); the pool turns
that into a line at the top of the run's summary, or refuses to grade when the instructor
requires the sandbox (``c.GradingEngine.require_sandbox``).

Why hand-written ctypes for Landlock: the ``landlock`` package on PyPI (1.0.0.dev5, a
pre-release) covers the file-system rules only, not the ABI 4 network rules or the ABI 6 signal
and socket scopes this sandbox relies on; the three Landlock system calls are a few lines here.
seccomp uses ``pyseccomp`` (libseccomp's own filter compiler, which handles each architecture's
system call numbers and ABI checks), prepared once in the template (:func:`prepare`) so that
each child only loads it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import socket
import time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# Landlock system calls (the same numbers on x86_64 and aarch64) and constants.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

_PR_SET_PDEATHSIG, _PR_SET_KEEPCAPS = 1, 8
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 24, 38, 47
_PR_CAP_AMBIENT_RAISE = 2
_CLONE_NEWUSER, _CLONE_NEWNET, _CLONE_NEWNS = 0x10000000, 0x40000000, 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_CAP_DAC_READ_SEARCH, _CAP_LAST = 2, 63
_CAPSET_NR = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine, 126)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("port", ctypes.c_uint64)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    version = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(version))


# --------------------------------------------------------------------------- preparation
_FILTER = None
_FILTER_ERROR = ""


def prepare(inet: bool = False) -> None:
    """Build the seccomp filter once, in the template: each child then only loads it. With
    ``inet``, ``socket()`` is allowed for IPv4 and IPv6 only (a sealed Jupyter kernel binds its
    ZeroMQ ports; Landlock then allows binding those ports and nothing else over TCP)."""
    global _FILTER, _FILTER_ERROR
    # The child's private tmpfs is filled with the engine's bounded copy (enter_caps): imported
    # here, once, not from disk in every child.
    from ..engine import scratch  # noqa: F401
    try:
        import pyseccomp as sc
    except Exception as err:  # noqa: BLE001 - libseccomp missing: reported, not fatal
        _FILTER_ERROR = f"libseccomp is not available ({err})"
        return
    flt = sc.SyscallFilter(sc.ALLOW)
    if inet:  # TCP over IPv4/IPv6, which Landlock then restricts, and interface lookups only
        deny = sc.ERRNO(errno.EACCES)
        # libseccomp takes one comparison per argument and rule: "not in" is spelled out.
        # ZeroMQ reads the interfaces (getifaddrs: a NETLINK_ROUTE socket, read-only without
        # CAP_NET_ADMIN) before it binds; UDP, raw, SCTP and MPTCP, which Landlock cannot see,
        # stay refused.
        allowed = (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)
        flt.add_rule(deny, "socket", sc.Arg(0, sc.GT, max(allowed)))
        for family in range(max(allowed)):
            if family not in allowed:
                flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, family))
        flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, socket.AF_NETLINK), sc.Arg(2, sc.NE, 0))
        for family in (socket.AF_INET, socket.AF_INET6):
            for kind in range(16):
                if kind != socket.SOCK_STREAM:
                    flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, family),
                                 sc.Arg(1, sc.MASKED_EQ, 0xF, kind))
            flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, family),
                         sc.Arg(2, sc.GT, socket.IPPROTO_TCP))
            for protocol in range(1, socket.IPPROTO_TCP):
                flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, family),
                             sc.Arg(2, sc.EQ, protocol))
    else:
        flt.add_rule(sc.ERRNO(errno.EACCES), "socket")
    for name in ("setsid", "setpgid", "unshare", "setns", "mount", "umount2", "pivot_root",
                 "chroot", "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup",
                 "io_uring_enter", "io_uring_register", "open_by_handle_at",
                 "name_to_handle_at", "bpf", "perf_event_open", "keyctl", "add_key",
                 "request_key", "userfaultfd", "kexec_load", "init_module", "finit_module",
                 "delete_module", "setuid", "setgid", "setreuid", "setregid", "setresuid",
                 "setresgid", "setgroups", "capset", "personality",
                 # System V shared memory and message queues are no files (Landlock cannot see
                 # them) and live in the machine's IPC namespace: a segment filled and detached
                 # escapes RLIMIT_AS and outlived the run and its memory cgroup, root or not.
                 "shmget", "msgget"):
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # noqa: BLE001 - a call this architecture does not have
            pass
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, _CLONE_NEWUSER,
                                                         _CLONE_NEWUSER))
    for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x20000000, _CLONE_NEWNET):
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    _FILTER = flt


# --------------------------------------------------------------------------- the run's caps
def enter_caps(spec: dict) -> tuple[list[int], dict]:
    """In the forked child, before the runner starts (called by the template): join the run's
    control groups (``spec["caps"]["cgroups"]``: the ``cgroup.procs`` files the pool made for
    this run), then give the run a private tmpfs of its own, with ``size=`` and ``nr_inodes=``
    limits the kernel enforces, in a mount namespace of its own (a user namespace first when not
    root). The tmpfs holds two folders: ``work``, a copy of the job's folder mounted over it,
    and ``home``, mounted over the private folder. Returns descriptors of the tmpfs's root (the
    pool reads what the run left in ``work`` through it, and dropping it frees everything,
    however many entries the run made) and of the mount namespace (held by the pool, so that
    the child's exit does not wait for the namespace's teardown, ~30 ms of RCU grace period
    here: the pool drops it in the background), or none, and what was applied or is missing."""
    caps = spec.get("caps") or {}
    report: dict = {"applied": [], "missing": []}
    joined = 0
    for path in caps.get("cgroups", []):
        try:
            with open(path, "w") as fh:
                fh.write(str(os.getpid()))
            joined += 1
        except OSError as err:
            report["missing"].append(f"joining {path}: {err.strerror}")
    if joined and caps.get("cgroup_text"):
        report["applied"].append(caps["cgroup_text"])
        report["memory_cgroup"] = True  # apply() leaves memory files allowed: they count
    size, entries = int(caps.get("disk_bytes") or 0), int(caps.get("entries") or 0)
    if not caps.get("tmpfs") or size <= 0 or entries <= 0:
        return [], report
    try:
        fd = _private_tmpfs(spec["cwd"], caps["private"], size, entries, caps.get("owner"))
    except OSError as err:
        report["missing"].append(
            f"private tmpfs ({err.strerror or err}): the disk cap is a count of bytes and "
            f"entries every second instead of a limit the kernel enforces")
        return [], report
    report["applied"].append(f"private tmpfs ({size / 2**20:g} MiB, {entries:,} entries)")
    try:
        return [fd, os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)], report
    except OSError:
        return [fd], report


def _private_tmpfs(cwd: str, private: str, size: int, entries: int, owner) -> int:
    from ..engine import scratch

    if os.geteuid() == 0:
        _check(_libc.unshare(_CLONE_NEWNS))
        _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None))
    else:
        uid, gid = os.geteuid(), os.getegid()
        _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS))
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    options = f"size={size},nr_inodes={entries + 3},mode=0700"
    if owner and os.geteuid() == 0:
        options += f",uid={int(owner[0])},gid={int(owner[1])}"
    _check(_libc.mount(b"tmpfs", private.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV,
                       options.encode()))
    fd = os.open(private, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    for name in ("work", "home"):
        os.mkdir(name, 0o700, dir_fd=fd)
        if owner and os.geteuid() == 0:
            os.chown(name, int(owner[0]), int(owner[1]), dir_fd=fd)
    work, home = os.path.join(private, "work"), os.path.join(private, "home")
    scratch.copy_tree(cwd, work, max_entries=entries,
                      owner=tuple(owner) if owner and os.geteuid() == 0 else None)
    _check(_libc.mount(work.encode(), cwd.encode(), None, _MS_BIND, None))
    _check(_libc.mount(home.encode(), private.encode(), None, _MS_BIND, None))
    return fd


def _check(code: int) -> None:
    if code != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


# --------------------------------------------------------------------------- application
def apply(policy: dict) -> dict:
    """Confine this process as ``policy`` says; returns what was applied and what is missing.

    ``policy`` keys: ``read`` (hierarchies readable), ``write`` (hierarchies read-write),
    ``devices`` (device files read-write), ``uid``/``gid`` (identity to take when running as
    root), ``memory_cap``, ``max_processes``, ``max_file_bytes``, ``max_open_files``; with
    ``isolate`` false (``--no-sandbox``), only the session and the limits; ``bind_ports`` (TCP
    ports it may bind, and then no network namespace: a sealed Jupyter kernel); ``session``
    false when the process leads its session already.
    """
    start, cpu = time.perf_counter(), time.process_time()
    caps = policy.get("caps_report") or {}
    report: dict = {"applied": list(caps.get("applied", [])),
                    "missing": list(caps.get("missing", []))}
    memory_counted = bool(caps.get("memory_cgroup"))
    for path in policy.get("cgroups", ()):  # stock nbgrader's sealed kernel: its own groups
        try:
            with open(path, "w") as fh:
                fh.write(str(os.getpid()))
            memory_counted = True
        except OSError as err:
            report["missing"].append(f"memory cgroup ({err.strerror}): RLIMIT_AS only")
    if policy.get("session", True):
        os.setsid()
    report["applied"].append("session")
    _limits(policy)
    if policy.get("isolate") is False:  # --no-sandbox: session and memory cap only
        report["off"] = True
        return report
    network = not policy.get("bind_ports")
    if os.geteuid() == 0:
        _drop_root(policy, report, network)
    else:
        _enter_user_namespace(report, network)
    # After the namespace: a user namespace records its creator's limit as its own ceiling.
    processes = policy.get("max_processes") or 0
    if processes > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    report["applied"].append("limits")
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after any change of identity
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        report["missing"].append("no_new_privs")
    _landlock(policy, report)
    _seccomp(report, memory_files=memory_counted)
    report["seconds"] = time.perf_counter() - start
    report["cpu_seconds"] = time.process_time() - cpu
    return report


def _limits(policy: dict) -> None:
    def cap(kind, value):
        if value and value > 0:
            resource.setrlimit(kind, (int(value), int(value)))

    cap(resource.RLIMIT_FSIZE, policy.get("max_file_bytes"))
    cap(resource.RLIMIT_NOFILE, policy.get("max_open_files"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = policy.get("memory_cap") or 0
    if memory > 0:  # address space: what the template already uses plus the cap
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (current + memory, current + memory))


def _drop_root(policy: dict, report: dict, network: bool = True) -> None:
    """Root: a network namespace of its own, then an unprivileged uid with only
    CAP_DAC_READ_SEARCH (ambient, so that commands it runs can read Python's files too)."""
    if not network:
        pass
    elif _libc.unshare(_CLONE_NEWNET) == 0:
        report["applied"].append("network namespace")
    else:
        report["missing"].append(f"network namespace ({os.strerror(ctypes.get_errno())})")
    uid, gid = int(policy["uid"]), int(policy["gid"])
    for cap in range(_CAP_LAST + 1):  # the bounding set: nothing but CAP_DAC_READ_SEARCH
        if cap != _CAP_DAC_READ_SEARCH:
            _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    keep = 1 << _CAP_DAC_READ_SEARCH
    _capset(keep, keep, keep)
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, _CAP_DAC_READ_SEARCH, 0, 0)
    report["applied"].append(f"uid {uid}")


def _enter_user_namespace(report: dict, network: bool = True) -> None:
    """An ordinary user: new user and network namespaces, mapped to the same uid and gid."""
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(_CLONE_NEWUSER | (_CLONE_NEWNET if network else 0)) != 0:
        report["missing"].append(
            f"user and network namespaces ({os.strerror(ctypes.get_errno())}): the network is "
            f"closed by seccomp and Landlock only, and the process limit counts all of the "
            f"grader's processes")
        return
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)
    _capset(0, 0, 0)  # no capabilities inside the new namespace either
    report["applied"] += ["user namespace"] + (["network namespace"] if network else [])


def _capset(effective: int, permitted: int, inheritable: int) -> None:
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)(_CapData(effective, permitted, inheritable), _CapData(0, 0, 0))
    if _libc.syscall(_CAPSET_NR, ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _landlock(policy: dict, report: dict) -> None:
    abi = landlock_abi()
    if abi < 1:
        report["missing"].append("Landlock (kernel older than 5.13 or Landlock disabled): the "
                                 "submission can read and write every file the grader can")
        return
    file_rights = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE
    if abi >= 3:
        file_rights |= _FS_TRUNCATE
    if abi >= 5:
        file_rights |= _FS_IOCTL_DEV
    # READ_DIR, REMOVE_DIR, REMOVE_FILE, MAKE_DIR, MAKE_REG: ordinary files and folders only.
    # No symbolic links, FIFOs, sockets or devices: a link planted in the scratch folder could
    # make the grader, which writes there after the run, write or chmod a file it points to.
    folder_rights = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8)
    if abi >= 2:
        folder_rights |= _FS_REFER
    every_right = file_rights | folder_rights
    read_only = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    handled = file_rights | sum(1 << bit for bit in range(3, 13)) | (_FS_REFER if abi >= 2 else 0)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.net, size = _NET_BIND_TCP | _NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL, 24
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        report["missing"].append(f"Landlock ({os.strerror(ctypes.get_errno())})")
        return
    try:
        rules = [(p, read_only) for p in policy.get("read", ())]
        rules += [(p, every_right) for p in policy.get("write", ())]
        rules += [(p, _FS_READ_FILE | _FS_WRITE_FILE) for p in policy.get("devices", ())]
        for path, rights in rules:
            _add_rule(ruleset, path, rights, file_rights)
        if abi >= 4:
            for port in policy.get("bind_ports", ()):
                rule = _NetPort(_NET_BIND_TCP, int(port))
                _libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(rule), 0)
        if _libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            report["missing"].append(f"Landlock ({os.strerror(ctypes.get_errno())})")
            return
    finally:
        os.close(ruleset)
    report["applied"].append(f"Landlock ABI {abi}: files")
    ports = policy.get("bind_ports")
    if abi >= 4:
        report["applied"].append(f"Landlock: TCP binds on ports {', '.join(map(str, ports))} "
                                 "only, no connections" if ports else "Landlock: no TCP")
    else:
        report["missing"].append("Landlock TCP rules (ABI < 4)" + (
            ": the kernel, outside a network namespace, can reach the network" if ports else ""))
    if abi >= 6:
        report["applied"].append("Landlock: signals and abstract sockets scoped")
    else:
        report["missing"].append("Landlock signal scoping (ABI < 6): the submission can signal "
                                 "the grader's other processes of the same user")


def _add_rule(ruleset: int, path: str, rights: int, file_rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path that does not exist here: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= file_rights  # a file can only receive file rights
        rule = _PathBeneath(rights, fd)
        _libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(fd)


def _seccomp(report: dict, memory_files: bool = True) -> None:
    """Load the prepared filter. Without ``memory_files`` (no memory cgroup counts this run's
    pages: a grader that is not root, say) ``memfd_create`` is refused too: a memory file's pages
    escape ``RLIMIT_AS`` once unmapped (a run held 6 GiB under a 4 GiB cap, and 256 descriptors
    of 256 MiB each per process allow 64 GiB). The rule is added in this process only: the
    template's filter, which the next child is forked with, is unchanged."""
    if _FILTER is None:
        report["missing"].append(f"seccomp: {_FILTER_ERROR or 'filter not prepared'}")
        return
    try:
        if not memory_files:
            import pyseccomp as sc

            _FILTER.add_rule(sc.ERRNO(errno.EPERM), "memfd_create")
        _FILTER.load()
    except Exception as err:  # noqa: BLE001
        report["missing"].append(f"seccomp ({err})")
        return
    report["applied"].append("seccomp")
