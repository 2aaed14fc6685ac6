"""Dask worker: what runs on each Dask worker of a batch (:mod:`graders.engine.dask_pool` is the
client): a :class:`KernelPoolPlugin` that keeps one warm :class:`~graders.engine.pool.KernelPool`
per worker, driven by one thread, and the tasks that hand it a few notebooks' jobs
(:func:`run_jobs`) or check the worker's sandbox (:func:`check_sandbox`). Jobs and results travel
as plain data (:mod:`graders.engine.dask_files`).

Leans on Dask's ``distributed`` (``WorkerPlugin``, ``get_worker``); written by hand: the pool kept
per worker and the thread that drives it.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from ..protocol import step_from_wire
from .dask_files import MAX_RETURN_BYTES, changes, pack, unpack, write_files
from .jobs import Job, JobResult
from .pool import local_pool
from .scratch import remove_tree

JOB_PREFIX = "graders-job-"  # a run's scratch folder on a worker: graders-job-<worker pid>-...


class SandboxRefused(RuntimeError):
    """This worker lacks part of the sandbox and the course requires all of it."""


class _Service:
    """The worker's :class:`KernelPool`, run by one thread; task threads :meth:`submit` jobs."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.waiting: dict[str, concurrent.futures.Future] = {}
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.closing = False
        self.error: BaseException | None = None
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.thread = threading.Thread(target=self._serve, name="graders-kernel-pool",
                                       daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self.lock:
            if self.error is not None or self.closing:
                raise RuntimeError(f"the worker's kernel pool has stopped ({self.error})")
            internal = str(next(self.ids))
            self.waiting[internal] = future
        self.jobs.put(Job(internal, job.steps, job.cwd, job.trace))
        self._wake()
        return future

    def _wake(self) -> None:
        try:
            os.write(self.wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # a wake-up is pending already (or we are closing)

    def _feed(self) -> Iterator[Job | None]:
        while True:
            if self.closing:
                raise _Closed
            try:
                yield self.jobs.get_nowait()
            except queue.Empty:
                yield None

    def _serve(self) -> None:
        try:
            for result in self.pool.run(self._feed(), wakeup=self.wake_r):
                with self.lock:
                    future = self.waiting.pop(result.key, None)
                if future is not None:
                    future.set_result(result)
        except BaseException as err:  # noqa: BLE001 - every waiting task is told
            with self.lock:
                self.error = err if not isinstance(err, _Closed) else RuntimeError("closed")
                waiting, self.waiting = self.waiting, {}
            for future in waiting.values():
                future.set_exception(RuntimeError(f"the worker's kernel pool stopped: "
                                                  f"{type(err).__name__}: {err}"))
        finally:
            self.pool.close()

    def close(self) -> None:
        self.closing = True
        self._wake()
        self.thread.join(timeout=30)
        for fd in (self.wake_r, self.wake_w):
            os.close(fd)


class _Closed(Exception):
    pass


class KernelPoolPlugin(WorkerPlugin):
    """On each worker: a warm :class:`KernelPool` made there from ``settings`` (plain data, see
    :func:`graders.engine.runs.pool_settings`), ``root`` being the client's course folder, kept
    out of the sandbox's reach in case the worker sees the same file system."""

    idempotent = True  # registering it again (same name) keeps the running one

    def __init__(self, root: str, settings: dict, require_sandbox: bool = False) -> None:
        self.root, self.settings, self.require_sandbox = root, settings, require_sandbox
        self.service: _Service | None = None
        self.missing: list[str] | None = None
        self.address = ""

    def setup(self, worker) -> None:
        self.address = worker.address
        self.checked = threading.Lock()
        self.setup_error = ""
        _remove_stale_folders()
        try:
            slots = max(1, int(worker.state.nthreads))
            pool = local_pool(self.root, self.settings, workers=slots)  # uids: this pid's
            pool.warm_up()  # the template imports torch while the worker takes its first tasks
            self.service = _Service(pool)
        except Exception as err:  # noqa: BLE001 - said by every task sent here
            self.setup_error = f"{type(err).__name__}: {err}"

    def teardown(self, worker) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None

    def check(self) -> list[str]:
        """What this worker's kernel lacks of the sandbox, found once by sealing a throw-away
        process."""
        if self.service is None:
            raise RuntimeError(f"worker {self.address} could not start its kernel pool: "
                               f"{self.setup_error or 'stopped'}")
        with self.checked:
            if self.missing is None:
                if not self.settings["sandbox"]:
                    self.missing = ["the sandbox is off (--no-sandbox): submissions run with "
                                    "the grader's rights"]
                else:
                    self.missing = _check_sandbox(self.root, self.settings)
        return self.missing

    def run(self, jobs: list[tuple[dict, dict[str, bytes], list[str]]]) -> list[dict]:
        """Run the jobs of one task (a notebook's runs: job, its files, its folders) side by
        side in this worker's pool; one payload each, in the same order."""
        missing = self.check()
        if missing and self.require_sandbox and self.settings["sandbox"]:
            raise SandboxRefused(f"the sandbox is required but worker {self.address} lacks: "
                                 + "; ".join(missing))
        scratch, started = [], []  # scratch folders; (job, files, folders, folder, future)
        try:
            for job, files, folders in jobs:
                folder = tempfile.mkdtemp(prefix=f"{JOB_PREFIX}{os.getpid()}-")
                scratch.append(folder)
                write_files(Path(folder), files, folders)
                future = self.service.submit(Job(job["key"], _steps(job["steps"]), folder,
                                                 bool(job["trace"])))
                started.append((job, files, folders, folder, future))
            return [self._payload(job, files, folders, folder, future.result(), missing)
                    for job, files, folders, folder, future in started]
        finally:
            for folder in scratch:
                remove_tree(folder)

    def _payload(self, job: dict, files, folders, folder: str, result: JobResult,
                 missing: list[str]) -> dict:
        result.key = job["key"]
        result.budgets = {}
        back, made, removed, left_out = changes(Path(folder), files, folders)
        if left_out:
            result.faults.append(
                f"files the notebook wrote were not brought back from the Dask worker "
                f"(over {MAX_RETURN_BYTES // 2**20} MiB in all): {', '.join(left_out[:5])}"
                + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""))
        return {"result": asdict(result), "files": back, "folders": made,
                "removed": removed, "worker": self.address, "missing": missing}


def _remove_stale_folders() -> None:
    """Remove the scratch folders of workers of this machine that died (killed, the node's
    memory...) before they could: their names carry the worker's pid."""
    for path in Path(tempfile.gettempdir()).glob(f"{JOB_PREFIX}*-*"):
        pid = path.name[len(JOB_PREFIX):].split("-", 1)[0]
        try:
            if pid.isdigit() and path.stat().st_uid == os.getuid():
                os.kill(int(pid), 0)  # alive: its folder
        except ProcessLookupError:
            remove_tree(str(path))
        except OSError:
            pass


_CHECK = """
import json, sys
from graders.engine.pool import local_pool
from graders.engine.sandbox import sandbox_check
root, settings = json.load(sys.stdin)
print(json.dumps(sandbox_check(local_pool(root, settings).sandbox)))
"""


def _check_sandbox(root: str, settings: dict) -> list[str]:
    """:func:`graders.engine.sandbox.sandbox_check` with this worker's policy, in a new
    process of this worker's Python: the check forks, and a worker has threads (a fork of it
    could inherit a held lock); the template would do, but only once it has imported torch."""
    try:
        proc = subprocess.run([sys.executable, "-c", _CHECK], input=json.dumps([root, settings]),
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as err:
        return [f"the sandbox could not be tested on this worker ({err})"]
    try:
        return list(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"the sandbox could not be tested on this worker ({last[:200]})"]


def _plugin(name: str) -> KernelPoolPlugin:
    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise RuntimeError(f"worker plugin {name} is not on this worker")
    return plugin


def run_jobs(name: str, jobs: bytes) -> bytes:
    """The task: run a few notebooks' jobs in this worker's pool. Both ways the plain data
    travel as one pickled blob (:func:`pack`), so that Dask handles a single ``bytes`` and
    does not walk every string of every step (its task-spec parsing on the client, its size
    estimate and msgpack on the worker cost more than the pickling)."""
    return pack(_plugin(name).run(unpack(jobs)))


def check_sandbox(name: str) -> tuple[str, list[str]]:
    """The task that checks one worker's sandbox."""
    plugin = _plugin(name)
    return plugin.address, plugin.check()


def _steps(wire: list) -> list:
    return [step_from_wire(step) for step in wire]
