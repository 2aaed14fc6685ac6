"""Child reader: what a sealed child sends on its channel, read and kept within bounds.

Everything the child reports (stream text, displays, errors, cell boundaries, extractions) arrives
in order as length-prefixed JSON frames (:mod:`graders.protocol`) on one pipe, read here in linear
time. Frames are checked (size, kind, a known cell, in order: :func:`graders.protocol.decode`) and
cleaned (unencodable characters replaced); stream text is kept up to ``max_stream_bytes`` per
stream and cell, rich outputs up to :data:`MAX_RICH_BYTES` per cell and a run's outputs up to
:data:`MAX_RUN_BYTES` (then a note, and the cells still run and are graded). A child that sends
anything else is a protocol error: the pool stops it and the job is marked. Nothing read here is
trusted: outputs only fill the autograded notebook.

Standard library only. Written by hand, as the frames are this project's (:mod:`graders.protocol`),
not Jupyter's messages.
"""

from __future__ import annotations

import codecs
import json
import struct
import time

from .. import protocol
from ..protocol import Cell, CellEnd, Crash, Done, Extract, Extracted, Output, Ready, Start
from ..protocol import Stream as StreamText
from .jobs import JobResult

#: Largest frame a child may send: the runner cuts each output to 2 MiB of JSON and sends stream
#: text in 64 KiB pieces, so anything bigger was not written by it.
MAX_FRAME = 4 * 2**20
#: Rich outputs (displays, results, errors) kept per cell; the rest is dropped with a note.
MAX_RICH_BYTES = 8 * 2**20
#: Outputs a run may send in all and have kept; beyond that its outputs are dropped with a note
#: (the run goes on: a correct cell that shows many large displays keeps its marks).
MAX_RUN_BYTES = 256 * 2**20


def clean(value, depth: int = 0):
    """JSON from a child, with every string made encodable (lone surrogates replaced)."""
    if depth > 64:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean(k, depth + 1): clean(v, depth + 1) for k, v in value.items()}
    return value


class StreamOutput:
    """One stream output being received: chunks, a decoder, and the byte budget it shares with
    the cell's other outputs of the same stream (a display between two prints does not renew
    it)."""

    def __init__(self, name: str, budget: dict) -> None:
        self.name, self.budget = name, budget  # budget: {"left": bytes this cell may still add}
        self.chunks: list[str] = []
        self.dropped = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def add(self, data: bytes) -> None:
        room = self.budget["left"]
        if room <= 0:
            self.dropped += len(data)
            return
        self.budget["left"] -= min(room, len(data))
        self.dropped += max(0, len(data) - room)
        self.chunks.append(self.decoder.decode(data[:room]))

    def output(self) -> dict:
        text = "".join(self.chunks) + self.decoder.decode(b"", final=True)
        if self.dropped:
            text += (f"\n[... {self.dropped:,} more bytes of output were dropped by the grader; "
                     f"it keeps {self.budget['total']:,} per stream and cell]\n")
        return {"output_type": "stream", "name": self.name, "text": text}


class ChildReader:
    """The reading state of one child: where in its steps it is, its frames not yet complete,
    and the :class:`JobResult` being filled. ``steps``: (position in the job, step, replayed)."""

    def __init__(self, result: JobResult, steps: list, deadline: float, timeout: float,
                 grace: float, drain_wait: float, max_stream_bytes: int) -> None:
        self.result, self.steps, self.deadline = result, steps, deadline
        self.timeout, self.grace, self.drain_wait = timeout, grace, drain_wait
        self.max_stream_bytes = max_stream_bytes
        self.buffer = bytearray()
        self.current: int | None = None  # position of the cell running now
        self.silent = False
        self.last_done = -1  # position of the last step finished
        self.done = False
        self.problem = ""  # protocol error, crash report, or why the run was stopped
        self.received = 0  # bytes read from its channel
        self.over_output = False  # sent more than MAX_RUN_BYTES: further outputs dropped
        self.steps_by_pos: dict = {}
        self.replayed: set = set()  # positions this child replays, silently
        self.cell_pos: dict = {}  # notebook cell index -> position
        self.extract_pos: dict = {}  # extraction key -> position
        # cell position -> the cell limits the extractions right after it (before the next
        # cell) may spend on their extra runs (graders.protocol.recheck_limits)
        self.rechecks: dict[int, int] = {}
        cell = None
        for pos, step, replay in sorted(steps, key=lambda item: item[0]):
            self.steps_by_pos[pos] = step
            if replay:
                self.replayed.add(pos)
            if isinstance(step, Cell):
                self.cell_pos[step.index] = cell = pos
            elif isinstance(step, Extract):
                self.extract_pos[step.key] = pos
                if cell is not None:
                    self.rechecks[cell] = self.rechecks.get(cell, 0) + protocol.recheck_limits(
                        step.recheck, step.unscaled)

    def feed(self, data: bytes) -> bool:
        """Handle ``data`` read from the channel; False when the child broke the protocol (it
        must then be stopped)."""
        self.received += len(data)
        if self.received > MAX_RUN_BYTES and not self.over_output:
            self.over_output = True  # from now on outputs are dropped, with a note
            self._output_note()
        self.buffer += data
        return self._frames()

    def _output_note(self) -> None:
        pos = self.current
        if pos is None or self.silent:
            return
        self.result.outputs.setdefault(self.steps_by_pos[pos].index, []).append({
            "output_type": "display_data", "metadata": {}, "data": {
                "text/plain": f"[this run sent more than {MAX_RUN_BYTES // 2**20} MiB of "
                              f"output: the grader dropped the rest of its outputs; the cells "
                              f"still ran and were graded]"}})

    def _stream(self, name: str, text: str) -> None:
        pos = self.current
        if pos is None or self.silent or self.problem or self.over_output:
            return  # a silent (replayed or probe) cell, or a broken child
        index = self.steps_by_pos[pos].index
        outputs = self.result.outputs.setdefault(index, [])
        last = outputs[-1] if outputs else None
        if not (isinstance(last, StreamOutput) and last.name == name):
            budget = self.result.budgets.setdefault(
                (index, name), {"left": self.max_stream_bytes, "total": self.max_stream_bytes})
            last = StreamOutput(name, budget)
            outputs.append(last)
        last.add(text.encode("utf-8", "replace"))

    def _frames(self) -> bool:
        buf = self.buffer
        while len(buf) >= 4 and not self.problem:
            size = struct.unpack(">I", buf[:4])[0]
            if size > MAX_FRAME:
                return self._protocol_error(f"a message of {size:,} bytes")
            if len(buf) < 4 + size:
                return True
            frame = bytes(buf[4:4 + size])
            del buf[:4 + size]
            try:
                self._message(clean(json.loads(frame)))
            except Exception as err:  # noqa: BLE001 - whatever a child sends stays its problem
                return self._protocol_error(f"{type(err).__name__}: {err}"[:200])
        return True

    def _protocol_error(self, what: str) -> bool:
        self.problem = f"unexpected data on the grader's channel ({what})"
        self.buffer.clear()
        return False

    def _message(self, data) -> None:
        message = protocol.decode(data)
        now = time.monotonic()
        if isinstance(message, Ready):
            if self.result.sandbox is None:
                self.result.sandbox = message.report
            self.deadline = now + (self.timeout or 1e9) + self.grace
        elif isinstance(message, Start):
            pos = self.cell_pos[message.index]
            self.current, self.silent = pos, message.silent
            self.deadline = now + (self.timeout or 1e9) + self.drain_wait + self.grace
        elif isinstance(message, StreamText):
            if self.current is None:
                # Between cells: what a process the submission left running (or one of its
                # threads) writes after its cell ended. Dropped, as after a cell's output limit.
                return
            self._stream(message.name, message.text)
        elif isinstance(message, Output):
            output = message.output
            if self.current is None or self.silent:  # between cells: a thread's, dropped
                return
            if self.over_output:
                if output["output_type"] == "error":  # a cell's error is kept: it is small
                    self.result.outputs.setdefault(
                        self.steps_by_pos[self.current].index, []).append(
                        {k: output.get(k) for k in ("output_type", "ename", "evalue")}
                        | {"traceback": []})
                return
            index = self.steps_by_pos[self.current].index
            if output["output_type"] == "clear_output":
                self.result.outputs[index] = []
                return
            size = len(json.dumps(output))
            budget = self.result.budgets.setdefault((index, "rich"), {"left": MAX_RICH_BYTES})
            if size > budget["left"]:
                if budget["left"] >= 0:  # one note, then nothing more for this cell
                    self.result.outputs.setdefault(index, []).append({
                        "output_type": "display_data", "metadata": {}, "data": {
                            "text/plain": f"[further outputs of this cell were dropped by the "
                                          f"grader: it keeps {MAX_RICH_BYTES // 2**20} MiB of "
                                          f"displays per cell]"}})
                    budget["left"] = -1
                return
            budget["left"] -= size
            self.result.outputs.setdefault(index, []).append(output)
        elif isinstance(message, CellEnd):
            pos = self.cell_pos[message.index]
            if pos != self.current:
                raise ValueError("cell end out of order")
            index = self.steps_by_pos[pos].index
            dropped = dict(message.dropped or {})
            if not self.silent:
                for item in self.result.outputs.get(index, []):
                    if isinstance(item, StreamOutput) and item.name in dropped:
                        item.dropped += int(dropped.pop(item.name))
            if pos not in self.replayed:  # a probe's cells are silent, but their errors count
                if not self.silent:
                    self.result.execution_counts[index] = message.count
                if message.error is not None:
                    self.result.cell_errors[index] = message.error
            self.current, self.last_done = None, pos
            self.deadline = now + (self.timeout or 1e9) * (1 + self.rechecks.get(pos, 0)) + (
                self.grace)
        elif isinstance(message, Extracted):
            pos = self.extract_pos[message.exercise]
            if message.exercise in self.result.extracts:
                raise ValueError("extract")
            self.result.extracts[message.exercise] = message.data
            self.last_done = pos
        elif isinstance(message, Done):
            self.done = True
        elif isinstance(message, Crash):
            self.problem = f"the grader's runner failed: {message.reason[:500]}"

    def finish(self) -> None:
        """The stream outputs received as nbformat outputs (the run is over)."""
        for index, outputs in self.result.outputs.items():
            self.result.outputs[index] = [o.output() if isinstance(o, StreamOutput) else o
                                          for o in outputs]
