"""A Jupyter kernel that seals itself before it runs a cell: the kernel stock nbgrader uses.

Started by :class:`graders.preprocessors.SealedExecute` (the course's ``Execute`` stage) as
``python -m graders.kernel.sealed_kernel -f <connection file>``, in the submission's folder
under ``autograded/``, with a clean environment that holds the policy the grading side made
(``GRADERS_KERNEL_POLICY``, JSON). Before ipykernel starts it:

1. reads the connection file, and adds to the policy its five TCP ports (the only ones the
   kernel may bind) and the file itself (read-only: ipykernel reads it once more at start-up);
2. imports what the notebook needs from inside the course folder (``graders.kernel``, which the
   hidden test cells call), since the course folder is out of reach once sealed;
3. seals itself with :mod:`graders.kernel.confine`, as the engine's children are sealed, except
   that it stays in the host's network namespace (jupyter_client talks to it over loopback TCP):
   seccomp allows ``socket()`` for TCP over IPv4/IPv6 only, and Landlock (ABI 4+) allows binding
   its own five ports and no connection to any port, so it can answer the grader and reach
   nothing else. jupyter_client already started it as a session leader and kills its process
   group at the end.

Then ipykernel runs as usual. Written by hand because neither ipykernel nor jupyter_client has a
sandbox; the confinement itself is :mod:`graders.kernel.confine`, shared with the engine.
A policy the kernel cannot apply in full is written to ``GRADERS_KERNEL_REPORT`` (a file named
by the grading side) so that the grader can say so, or refuse, as the engine does.
"""

from __future__ import annotations

import json
import os
import re
import sys

POLICY_VARIABLE = "GRADERS_KERNEL_POLICY"
PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def connection_file(argv: list[str]) -> str:
    """The ``-f``/``--f``/``--IPKernelApp.connection_file`` argument jupyter_client passes."""
    for i, arg in enumerate(argv):
        for flag in ("-f", "--f", "--IPKernelApp.connection_file"):
            if arg == flag and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    raise SystemExit("graders sealed kernel: no connection file (-f FILE) was given")


def seal(policy: dict, argv: list[str]) -> dict:
    """Apply ``policy`` (plus this kernel's ports and connection file) to this process."""
    from . import confine

    path = os.path.abspath(connection_file(argv))
    with open(path) as fh:
        info = json.load(fh)
    # Port 0: an ephemeral port, which ipykernel's pipe for subprocesses' output binds.
    ports = [int(info[k]) for k in PORT_NAMES] + [0]
    policy = dict(policy, session=False, bind_ports=ports,
                  read=list(policy.get("read", ())) + [path])
    confine.prepare(inet=True)
    return confine.apply(policy)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(value):
    """``value`` with each lone surrogate in its strings written out as its escape (``\\ude00``,
    six characters), as the CleanText stage does to a notebook."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def safe_packer(obj) -> bytes:
    """jupyter_client's JSON packer, for a message that holds a lone surrogate too (a student
    printed half an emoji): ipykernel could not send it, and the error it logged to the
    kernel's own stderr came out in a later cell (a test cell: its points lost)."""
    from jupyter_client.session import json_packer

    try:
        return json_packer(obj)
    except ValueError:  # UnicodeEncodeError: a lone surrogate
        return json_packer(_escaped(obj))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    text = os.environ.pop(POLICY_VARIABLE, None)
    report_path = os.environ.pop("GRADERS_KERNEL_REPORT", None)
    if text is None:
        raise SystemExit(
            "graders sealed kernel: started without a policy. This kernel is started by the "
            "SealedExecute stage of `nbgrader autograde` (see the course's nbgrader_config.py); "
            "to run a notebook yourself, use the ordinary Python 3 kernel.")
    policy = json.loads(text)
    # What the notebook imports from inside the course folder, and ipykernel itself (its
    # modules are readable afterwards too, but importing now keeps the sealed start quick).
    import ipykernel.kernelapp  # noqa: F401

    from graders import kernel  # noqa: F401 - hidden test cells call graders.kernel.hidden_test

    report = seal(policy, argv)
    if report_path:
        try:
            with open(report_path, "w") as fh:
                json.dump(report, fh)
        except OSError:
            pass  # the folder is the grader's; a missing report reads as "not sealed"
    if report.get("missing") and policy.get("require"):
        raise SystemExit("graders sealed kernel: the sandbox is incomplete on this machine: "
                         + "; ".join(report["missing"]))
    sys.argv = [sys.argv[0]] + argv + [f"--Session.packer={__name__}.safe_packer"]
    from ipykernel.kernelapp import launch_new_instance
    from ipykernel.kernelbase import Kernel

    # ipykernel lists its children at shutdown through psutil, which reads all of /proc (out
    # of reach); SealedExecute kills the kernel's whole process group once the notebook is done.
    Kernel._process_children = lambda self: []

    launch_new_instance()


if __name__ == "__main__":
    main()
