"""Cell runner: execute one submission's code cells in a forked child, cell by cell.

The child is forked from a warm template process that has already imported torch, numpy and
IPython (see :mod:`graders.kernel_pool`), so a submission starts in milliseconds instead of the
seconds a fresh Jupyter kernel takes. The child runs the cells in an in-process IPython shell, the
same ``InteractiveShell`` an ipykernel wraps, and turns what each cell does into nbformat outputs
exactly as a kernel's messages would become outputs: ``stream`` (stdout/stderr), ``display_data``,
``execute_result`` and ``error`` with an IPython traceback. nbgrader then grades those outputs as
usual (an error or anything on stderr scores 0).

Why not a real kernel over ZMQ (a jupyter_client provisioner that forks)? In the measured
prototype, 0.35 s of 0.43 s per notebook went to waiting for the kernel to be ready; an
in-process shell in a forked child needs none of that handshake, and nothing the grader relies on
differs: the code, the shell, the display formatter and the traceback formatter are IPython's.

What this adds per cell, written by hand because neither nbclient nor IPython does it:

* a soft time limit (``CellTimeoutError`` raised in the cell, as nbclient's interrupt does);
* a memory cap (``RLIMIT_AS``) so that an oversized allocation fails at once with ``MemoryError``
  instead of stalling the machine;
* one JSON message per cell to the parent, so that if the child dies (``os._exit``, a segfault)
  every cell finished before it is kept.

Messages are JSON, never pickle: the child runs student code, and the parent must not unpickle
anything that code could have written.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import sys

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

ALLOCATION_FAILED = "can't allocate memory"  # how torch's CPU allocator says it


class CellTimeoutError(BaseException):
    """Raised inside a cell that ran past the per-cell timeout (BaseException, like nbclient's
    KeyboardInterrupt, so that ``except Exception`` in student code does not swallow it)."""


class _Recorder:
    """Collects one cell's outputs in nbformat form."""

    def __init__(self) -> None:
        self.outputs: list[dict] = []

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output: dict) -> None:
        self.outputs.append(output)


class _StreamToOutputs(io.TextIOBase):
    def __init__(self, shell: CapturingShell, name: str) -> None:
        self._shell, self.name = shell, name

    def write(self, text: str) -> int:
        self._shell.recorder.stream(self.name, str(text))
        return len(text)

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"


class _OutputDisplayHook(DisplayHook):
    """Turns a cell's last expression into an ``execute_result`` (as ipykernel's hook does)."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self.shell.recorder.add({
            "output_type": "execute_result",
            "execution_count": self.shell.execution_count,
            "data": format_dict,
            "metadata": md_dict or {},
        })

    def finish_displayhook(self) -> None:
        pass


class _OutputDisplayPublisher(DisplayPublisher):
    """Turns ``display(...)`` calls into ``display_data`` outputs."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        self.shell.recorder.add(
            {"output_type": "display_data", "data": data, "metadata": metadata or {}}
        )

    def clear_output(self, wait=False) -> None:
        self.shell.recorder.outputs.clear()


class CapturingShell(InteractiveShell):
    """An IPython shell whose outputs become nbformat outputs instead of terminal text."""

    displayhook_class = _OutputDisplayHook
    display_pub_class = _OutputDisplayPublisher
    memory_cap_bytes = 0
    timeout = 0.0

    def _showtraceback(self, etype, evalue, stb) -> None:
        ename, text = etype.__name__, str(evalue)
        if issubclass(etype, CellTimeoutError):
            text = f"the cell ran longer than the {self.timeout:g} s timeout and was interrupted"
            stb = [f"CellTimeoutError: {text}"]
        elif issubclass(etype, RuntimeError) and ALLOCATION_FAILED in text:
            ename = "MemoryError"
            text = (f"the cell tried to allocate more memory than a submission may use "
                    f"({self.memory_cap_bytes / 2**30:g} GiB): {text.splitlines()[0]}")
            stb = [f"MemoryError: {text}"]
        self.recorder.add({"output_type": "error", "ename": ename, "evalue": text,
                           "traceback": list(stb)})

    def init_io(self) -> None:  # keep the process's streams; run() swaps them per cell
        pass


def _new_shell() -> CapturingShell:
    """The process's shell: made once in the template (see :mod:`graders.kernel_template`), so a
    forked child finds it ready and unused."""
    if CapturingShell.initialized():
        shell = CapturingShell.instance()
        shell.recorder = _Recorder()
        return shell
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # the hidden tests read In[], not a file
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    shell = CapturingShell.instance(config=config)
    shell.recorder = _Recorder()
    return shell


def _cap_memory(cap_bytes: int) -> None:
    """Let the child grow by at most ``cap_bytes`` of address space beyond what it has now."""
    if cap_bytes <= 0:
        return
    with open("/proc/self/statm") as fh:
        current = int(fh.read().split()[0]) * resource.getpagesize()
    limit = current + cap_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _on_timeout(signum, frame):
    raise CellTimeoutError()


def run(conn, cells: list[tuple[int, str]], replay: list[int], cwd: str, timeout: float,
        memory_cap: int, traceback_mode: str = "Plain") -> None:
    """Child entry point: run ``cells`` ((index, source) pairs) in order and report each one.

    Cells whose index is in ``replay`` rebuild the state a dead child had: they run silently.
    Messages sent on ``conn`` (JSON bytes): ``{"start": i}`` before a cell,
    ``{"cell": i, "outputs": [...], "execution_count": n}`` after a reported one, and
    ``{"done": true}`` at the end.
    """
    os.chdir(cwd)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    if "torch" in sys.modules:  # one thread a child: the pool already runs one child per core
        sys.modules["torch"].set_num_threads(1)
    shell = _new_shell()
    shell.memory_cap_bytes, shell.timeout = memory_cap, timeout
    shell.InteractiveTB.set_mode(traceback_mode)
    _cap_memory(memory_cap)
    signal.signal(signal.SIGALRM, _on_timeout)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = _StreamToOutputs(shell, "stdout")
    sys.stderr = _StreamToOutputs(shell, "stderr")
    silent = set(replay)

    def send(message: dict) -> None:
        conn.send_bytes(json.dumps(message).encode())

    try:
        for index, source in cells:
            send({"start": index})
            shell.recorder = _Recorder()
            signal.setitimer(signal.ITIMER_REAL, timeout if timeout and timeout > 0 else 0)
            try:
                shell.run_cell(source, store_history=True)
            except CellTimeoutError:  # landed between IPython's own steps, outside user code
                shell._showtraceback(CellTimeoutError, CellTimeoutError(), [])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if index not in silent:
                send({"cell": index, "outputs": shell.recorder.outputs,
                      "execution_count": shell.execution_count - 1})
        send({"done": True})
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        conn.close()
        os._exit(0)  # skip interpreter teardown: the parent has everything it needs
