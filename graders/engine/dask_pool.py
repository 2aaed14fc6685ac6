"""Dask pool: the sealed runs of a batch on a Dask cluster, behind the pools' one interface
(:class:`~graders.engine.pools.Pool`).

``graders autograde --scheduler tcp://host:8786`` (or ``c.GradingEngine.scheduler``) grades with a
:class:`DaskPool` in place of the local :class:`~graders.engine.pool.KernelPool`. Only the work
moves: the grading processes (each a Dask *client*, one per core as for the local engine) still
prepare every notebook with nbgrader's stages, decide the tests (:mod:`graders.checks`), and write
the gradebook and ``autograded/``; a worker only runs jobs (a notebook's run and the grader's fresh
re-run of it) and returns what its sealed children reported. Both ways travel plain data only: a job
is its key, its steps (lists of strings and numbers), its trace flag and the bytes of the files in
its folder; a result is the :class:`~graders.engine.pool.JobResult`'s fields as dicts and lists,
plus the bytes of the files the run left in its folder. A task's jobs, and its results, go as one
pickled ``bytes`` (:func:`pack`): Dask then moves one opaque value instead of parsing, sizing and
msgpacking every string of every step. No course file, gradebook or secret reaches
a worker; only the course folder's path does, so that a worker that sees the same file system keeps
it out of the sandbox's reach.

What Dask does (nothing of it is re-done here):

* **placement and concurrency**: the jobs of :data:`NOTEBOOKS_PER_TASK` notebooks (each its
  run and the fresh re-run) are one task (:func:`run_jobs`) when they are ready together, handed
  together to the worker's pool; the scheduler sends tasks to
  workers with a free thread, and a worker runs as many sealed children at once as it has
  threads (``dask worker ADDRESS --nthreads 6``);
* **a worker that dies**: its tasks are re-run on another worker (up to the scheduler's
  ``allowed-failures``); nothing is lost, and a new worker that joins gets the plugin;
* **set-up on every worker**: :class:`KernelPoolPlugin` (a ``distributed.WorkerPlugin``)
  starts a warm template on each worker, now and on workers that join later, and stops it
  when the batch ends (the grading processes of a batch share it by name);
* **results as they finish**: ``distributed.as_completed``.

What is by hand, and why:

* **the worker's pool** (:class:`KernelPoolPlugin`): one :class:`~graders.engine.pool.KernelPool`
  per worker, made on the worker by :func:`graders.engine.pool.local_pool` from the course's
  settings sent as a plain dict, so its sandbox policy comes from the worker's own Python (the
  client's paths mean nothing there). The pool is driven by one thread of the worker; the task
  threads hand it jobs through a queue and wait for their result. That thread has nothing else to
  do, so the pool's :data:`~graders.engine.pool.BATCH_WAIT` matters most here: without it the thread
  woke for each of the few hundred frames a child writes a run;
* **scratch folders**: a job's ``cwd`` is a folder on the client. The client sends the files
  in it (the submission's other files and the assignment's files, see
  :func:`graders.engine.runs.assignment_files`) as bytes with the task; the worker writes them
  into a temporary folder of its own, runs the job there, and sends back every file the run
  created or changed there (and the names of those it deleted), which the client writes into
  the job's folder. So ``autograded/`` keeps what a notebook wrote in its folder, as nbgrader
  and the local engine do. Only regular files travel (the pool removes links, FIFOs and the
  like), at most :data:`~graders.engine.dask_files.MAX_RETURN_BYTES` per run; past that, files
  are left out and the run gets a fault saying which (the notebook is flagged);
* **a bounded number of notebooks in flight**: twice the cluster's threads, shared among the
  grading processes (at least :data:`MIN_IN_FLIGHT` each), refilled as each result arrives, so
  the workers never wait for the clients while no client prepares far ahead of them;
* **exactly once**: each job's result is yielded once; a second result for the same job (a
  task that somehow completed twice) is ignored and counted;
* **errors**: a task that raises is retried by Dask (``retries``); one that still fails, or
  that Dask gives up on (``KilledWorker``), stops the batch with a message, as the local pool
  does when its template keeps dying. The students recorded so far stay recorded; running the
  command again grades the rest.

The sandbox is checked on every worker before any submission runs (:meth:`DaskPool.sandbox_check`:
a throw-away sealed process on each, as the local engine checks its own), and each result says
what its worker lacks, so a worker that joins later is reported too; with ``require_sandbox`` a
worker lacking part of it refuses to run jobs.

A worker that dies leaves its scratch folders (``graders-job-<pid>-*`` in its temporary
folder) behind; the next worker set up on that machine removes them. Its template and sealed
children die with it.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from distributed import Client, as_completed

from ..protocol import step_to_wire
from .dask_files import apply_changes, pack, read_files, unpack
from .dask_stats import missing_lines, report_lines
from .dask_worker import KernelPoolPlugin, SandboxRefused, check_sandbox, run_jobs
from .jobs import Job, JobResult

_END = object()  # the end of a feed of jobs

#: The Dask settings docs/scale-out.md recommends for the scheduler and grading workers, as
#: environment variables: a worker's threads only wait for sealed children, so Dask's own
#: sampling need not run every 10-20 ms (the benchmark and the tests start clusters with them).
LEAN_DASK_ENV = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "500ms",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
}

MIN_IN_FLIGHT = 6
#: Notebooks whose runs go as one task when they are ready together (a batch's always are; a
#: service's only when two arrive at once): Dask's own cost (scheduler, worker and client, a
#: few ms of CPU a task) is paid once for them.
NOTEBOOKS_PER_TASK = 2
#: Dask retries a task that raised this many times (a worker dying is Dask's allowed-failures).
TASK_RETRIES = 2
CONNECT_TIMEOUT = 30.0
#: How long a batch waits for a first worker (a batch system may take minutes to start one).
WORKER_WAIT = 300.0


class DaskPoolError(RuntimeError):
    """The cluster could not run the batch's jobs (unreachable, no workers, a job it gave up
    on, a worker that refuses): the batch stops; what was recorded stays recorded."""


# --------------------------------------------------------------------------- the client side
class DaskPool:
    """Runs :class:`Job` s on a Dask cluster; the same interface as :class:`KernelPool`
    (``warm_up``, ``run(jobs)`` yielding each :class:`JobResult` as it completes, ``close``).

    ``scheduler`` is a scheduler's address (``tcp://host:8786``), a connected
    ``distributed.Client`` (used as it is, left open), or a cluster object with
    ``get_client()`` (``SLURMCluster``, ``KubeCluster``, ``GatewayCluster``, ``LocalCluster``...;
    its client is left open too).
    ``root`` is the course folder (kept out of the workers' sandbox in case they share this
    file system), ``settings`` the plain dict of :func:`graders.engine.runs.pool_settings`.
    With ``keep_warm`` the workers' templates stay up after :meth:`close` (for a long-running
    service); otherwise the plugin is removed and they stop."""

    def __init__(self, scheduler, root: str, settings: dict, in_flight: int | None = None,
                 require_sandbox: bool = False, keep_warm: bool = False,
                 connect_timeout: float = CONNECT_TIMEOUT, name: str | None = None,
                 shards: int = 1) -> None:
        self.scheduler, self.root, self.settings = scheduler, root, settings
        self.in_flight, self.require_sandbox = in_flight, require_sandbox
        self.keep_warm, self.connect_timeout = keep_warm, connect_timeout
        # Grading processes sharing one plugin (and so one template per worker) pass its name.
        self.name = name or plugin_name()
        self.shards = max(1, shards)  # grading processes sharing the cluster: each fills its share
        self.client: Client | None = None
        self.own_client = True
        self.address = scheduler if isinstance(scheduler, str) else repr(scheduler)
        self.sandbox = None  # the policy is made on each worker (see KernelPoolPlugin)
        self.idle_wait = 1.0  # as KernelPool.idle_wait: how often an idle open feed is asked
        self.runs: Counter[str] = Counter()  # worker address -> runs it returned
        self.missing: dict[str, list[str]] = {}  # worker address -> what its sandbox lacks
        self.duplicates = 0
        self.resubmitted = 0
        self.tasks = 0  # tasks submitted (a few notebooks' runs each, see NOTEBOOKS_PER_TASK)
        self.workers_seen: set[str] = set()
        self._threads = (0, 0.0)  # cluster threads, when last asked

    # ------------------------------------------------------------------ set-up
    def warm_up(self) -> None:
        """Connect, wait for a worker, and start a warm template on every worker."""
        if self.client is not None:
            return
        try:
            if isinstance(self.scheduler, Client):
                self.client, self.own_client = self.scheduler, False
            elif isinstance(self.scheduler, str):
                self.client = Client(self.scheduler, timeout=self.connect_timeout,
                                     set_as_default=False, name="graders")
            else:  # a cluster object (dask-jobqueue, dask-kubernetes, dask-gateway...): its
                # client may be the one its owner uses too, so it is left open
                self.client, self.own_client = self.scheduler.get_client(), False
            self.address = self.client.scheduler.address
        except (OSError, TimeoutError) as err:
            raise DaskPoolError(f"could not reach the Dask scheduler at {self.address}: "
                                f"{err}") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise DaskPoolError(f"no Dask worker joined the scheduler at {self.address} "
                                f"within {WORKER_WAIT:g} s") from None
        self.client.register_plugin(
            KernelPoolPlugin(self.root, self.settings, self.require_sandbox), name=self.name)
        self.workers_seen.update(self.client.scheduler_info(n_workers=-1)["workers"])

    def sandbox_check(self) -> list[str]:
        """What the sandbox lacks on the workers (a throw-away sealed process on each); the
        same list as the local check when all workers agree, else each line names its worker."""
        self.warm_up()
        workers = list(self.client.scheduler_info(n_workers=-1)["workers"])
        futures = [self.client.submit(check_sandbox, self.name, key=f"graders-check-{w}-"
                                      f"{uuid.uuid4().hex[:8]}", workers=[w],
                                      allow_other_workers=False, pure=False)
                   for w in workers]
        for worker, future in zip(workers, futures, strict=True):
            try:
                address, missing = future.result()
            except Exception as err:  # noqa: BLE001 - the operator must hear of it
                raise DaskPoolError(f"Dask worker {worker} could not check its sandbox "
                                    f"({type(err).__name__}: {err})") from None
            self.missing[address] = missing
        return self.missing_summary()

    def missing_summary(self) -> list[str]:
        return missing_lines(self.missing)

    def close(self) -> None:
        if self.client is None:
            return
        try:
            if not self.keep_warm:
                self.client.unregister_worker_plugin(self.name)
        except Exception:  # noqa: BLE001 - the cluster may be gone already
            pass
        if self.own_client:
            self.client.close()
        self.client = None

    def stats(self) -> dict:
        """Where the runs went and what Dask had to redo, as plain data (a grading process
        sends it to the coordinator; :func:`merge_stats` and :func:`report_lines` read it)."""
        try:
            now = set(self.client.scheduler_info(n_workers=-1)["workers"])
        except Exception:  # noqa: BLE001 - the cluster may be gone
            now = set(self.workers_seen)
        return {"address": self.address, "runs": dict(self.runs),
                "lost": sorted(self.workers_seen - now), "missing": dict(self.missing),
                "resubmitted": self.resubmitted, "duplicates": self.duplicates,
                "tasks": self.tasks}

    def report(self) -> list[str]:
        """Lines for the run's summary."""
        return report_lines(self.stats())

    def _limit(self) -> int:
        if self.in_flight:
            return self.in_flight
        threads, asked = self._threads
        if time.monotonic() - asked > 5.0:
            info = self.client.scheduler_info(n_workers=-1)["workers"]
            self.workers_seen.update(info)
            threads = sum(w.get("nthreads", 1) for w in info.values())
            self._threads = (threads, time.monotonic())
        return max(MIN_IN_FLIGHT, -(-2 * threads // self.shards))

    # ------------------------------------------------------------------ running
    def _submit(self, group: list[Job]):
        jobs = []
        for job in group:
            files, folders = read_files(job.cwd)
            jobs.append(({"key": job.key, "steps": [step_to_wire(s) for s in job.steps],
                          "trace": job.trace}, files,
                         folders))
        self.tasks += 1
        return self.client.submit(run_jobs, self.name, pack(jobs),
                                  key=f"graders-run-{uuid.uuid4().hex}", pure=False,
                                  retries=TASK_RETRIES)

    def run(self, jobs: Iterable[Job | None]) -> Iterator[JobResult]:
        """As :meth:`KernelPool.run`: ``jobs`` may be an open feed, ``None`` meaning "nothing
        yet"; it is asked again after a result, or after ``idle_wait`` when nothing runs.
        Consecutive jobs of one notebook (keys that differ only after ``#``: the notebook's
        run and its re-runs) go as one task, so Dask's cost per task is paid once a
        notebook."""
        self.warm_up()
        pending = iter(jobs)
        # with_results: each result is fetched as soon as it is ready, so it is safe here even
        # if its worker dies before the caller gets to it.
        running = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)
        inflight: dict = {}  # future -> (its jobs, attempt)
        done: set[str] = set()
        exhausted = False
        held: list = []  # a job read ahead of its task (the first of the next notebook)

        def fill() -> None:
            nonlocal exhausted
            while not exhausted and len(inflight) < -(-self._limit() // NOTEBOOKS_PER_TASK):
                job = held.pop() if held else next(pending, _END)
                if job is None:  # an open feed with nothing ready
                    return
                if job is _END:
                    exhausted = True
                    return
                group, notebooks = [job], 1
                while True:
                    follow = next(pending, _END)
                    if isinstance(follow, Job) and (_notebook(follow) == _notebook(group[-1])
                                                    or notebooks < NOTEBOOKS_PER_TASK):
                        notebooks += _notebook(follow) != _notebook(group[-1])
                        group.append(follow)
                        continue
                    if follow is not None:
                        held.append(follow)
                    break
                future = self._submit(group)
                inflight[future] = (group, 0)
                running.add(future)

        try:
            fill()
            while inflight or not exhausted:
                if not inflight:  # an open feed, idle: ask it again in a moment
                    time.sleep(self.idle_wait)
                    fill()
                    continue
                future, payloads = next(running)
                if isinstance(payloads, bytes):
                    payloads = unpack(payloads)
                if not isinstance(payloads, list):
                    group, attempt = inflight[future]
                    payload = payloads
                    if future.status in ("lost", "pending"):
                        running.add(future)  # its result was lost with a worker: Dask redoes it
                        continue
                    del inflight[future]
                    if isinstance(payload, SandboxRefused):
                        raise DaskPoolError(str(payload))
                    if future.status == "cancelled" and attempt < TASK_RETRIES:
                        again = self._submit(group)  # lost with the scheduler's state: again
                        self.resubmitted += 1
                        inflight[again] = (group, attempt + 1)
                        running.add(again)
                        continue
                    raise DaskPoolError(f"the Dask cluster could not run {group[0].key} "
                                        f"({future.status}: {type(payload).__name__}: "
                                        f"{payload})")
                group, _ = inflight.pop(future)
                future.release()
                results = []
                for job, payload in zip(group, payloads, strict=True):
                    if job.key in done:
                        self.duplicates += 1
                        continue
                    done.add(job.key)
                    self.runs[payload["worker"]] += 1
                    self.missing.setdefault(payload["worker"], payload["missing"])
                    result = JobResult(**payload["result"])
                    problems = apply_changes(Path(job.cwd), payload)
                    if problems:
                        result.faults.append("files the notebook wrote could not be put in "
                                             "its folder: " + ", ".join(problems[:5]))
                    results.append(result)
                fill()  # keep the workers busy while the caller records these
                yield from results
        finally:
            for future in inflight:
                future.cancel()


def _notebook(job: Job) -> str:
    return job.key.partition("#")[0]


def wait_for_cluster(address: str, workers: int, timeout: float) -> None:
    """Wait until the scheduler at ``address`` listens and has ``workers`` workers: for scripts
    that start a cluster and then grade on it (the benchmark, the tests)."""
    deadline = time.monotonic() + timeout
    while True:  # the scheduler may not listen yet
        try:
            client = Client(address, timeout=10, set_as_default=False)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    try:
        client.wait_for_workers(workers, timeout=max(1, deadline - time.monotonic()))
    finally:
        client.close()


# --------------------------------------------------------------------------- several processes
def plugin_name() -> str:
    return f"graders-kernel-pool-{uuid.uuid4().hex[:12]}"


def remove_plugin(scheduler: str, name: str) -> None:
    """Stop the workers' templates of a batch whose grading processes kept them warm."""
    try:
        with Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False) as client:
            client.unregister_worker_plugin(name)
    except Exception:  # noqa: BLE001 - the cluster may be gone already: nothing to stop
        pass
