"""Benchmark: a batch on the local engine against the same batch on a Dask cluster, side by side.

    .venv/bin/python benchmarks/dask_throughput.py [--n 200] [--threads 6] [--rounds 1]
                                                   [--dask-defaults] [--keep DIR]

Builds N submissions by cycling through the test corpus, twice, starts a Dask scheduler and two
workers on this machine (127.0.0.1, ``--nthreads`` each: how many sealed runs a worker keeps
going; the local engine keeps 4 per grading process, one grading process per core), then grades
one copy with ``graders autograde`` and the other with ``graders autograde --scheduler`` and
prints both wall times, the throughput, the ratio and the peak memory of each command's own
processes (for Dask the grading processes; the workers' process trees are sampled apart). The
cluster's start is not timed (it is long-lived infrastructure); each batch's own warm-up is (the
local engine's templates, the Dask workers' plugin and their templates). With ``--rounds R``
the batches run R times in alternating order (``--force`` after the first) and the medians are
compared. It also prints the CPU time each batch used in all (the grading processes and their
children, and for Dask the cluster's processes), which a shared machine's load disturbs less
than wall time. The cluster runs with :data:`LEAN` settings unless ``--dask-defaults``. Exits
1 if any test cell's score differs between the two.

Same machine, same two cores: this measures what Dask's way of moving the work costs, not a
speed-up (that takes more machines). A benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from autograde_speed import BIN, cell_scores, make_course, run  # noqa: E402

from graders.engine.dask_pool import LEAN_DASK_ENV, wait_for_cluster  # noqa: E402

ASSIGNMENT = "tensors"
GOAL = 0.10  # Dask should cost under 10 % more wall time than the local engine
#: Stock Dask otherwise (--dask-defaults): an idle scheduler and two workers use about 0.14 CPU
#: s per s here, 0.02 with these.
LEAN = LEAN_DASK_ENV


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, folder: Path, workers: int, threads: int, lean: bool = True) -> None:
        self.folder, self.procs = folder, []
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   **(LEAN if lean else {}))
        port = self.address.rsplit(":", 1)[1]
        commands = [["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]]
        commands += [["worker", self.address, "--nworkers", "1", "--nthreads", str(threads),
                      "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}",
                      "--local-directory", str(folder / f"w{i}")] for i in range(workers)]
        for i, args in enumerate(commands):
            with open(folder / f"dask-{i}.log", "w") as log:
                self.procs.append(subprocess.Popen(
                    [str(BIN / "dask"), *args], cwd=folder, env=env, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True))
            if i == 0:
                time.sleep(1.0)

    def wait(self, workers: int, timeout: float = 300) -> None:
        wait_for_cluster(self.address, workers, timeout)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the cluster: scheduler, nannies, workers, and (through the
        reaping parents' children times) the templates and sealed children that ended."""
        total = 0.0
        for proc in self.procs:
            try:
                root = psutil.Process(proc.pid)
                for p in [root, *root.children(recursive=True)]:
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
        return total

    def worker_memory(self) -> float:
        """RSS in MiB of the workers' process trees (nannies, workers, templates, children)."""
        total = 0
        for proc in self.procs[1:]:
            try:
                root = psutil.Process(proc.pid)
                for p in [root, *root.children(recursive=True)]:
                    total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def stop(self) -> None:
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _reaped_cpu() -> float:
    """CPU seconds of this process's children (and theirs) that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    parser.add_argument("--threads", type=int, default=6,
                        help="threads (concurrent sealed runs) per Dask worker (default 6)")
    parser.add_argument("--rounds", type=int, default=1, help="batches of each (default 1)")
    parser.add_argument("--dask-defaults", action="store_true",
                        help="start the cluster with Dask's stock settings, not LEAN's")
    parser.add_argument("--keep", help="build the courses in this folder and keep them")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-dask-"))
    cluster = None
    try:
        print(f"Building 2 x {args.n} submissions in {base} ...", flush=True)
        local = make_course(base / "local", args.n)
        on_dask = make_course(base / "dask", args.n)
        (base / "cluster").mkdir()
        print(f"Starting a Dask scheduler and {args.workers} workers ({args.threads} threads "
              f"each) on 127.0.0.1, {'stock' if args.dask_defaults else 'lean'} Dask "
              f"settings ...", flush=True)
        cluster = Cluster(base / "cluster", args.workers, args.threads,
                          lean=not args.dask_defaults)
        cluster.wait(args.workers)

        command = [sys.executable, "-m", "graders", "autograde", ASSIGNMENT]
        walls = {"local": [], "dask": []}
        cpu = {"local": [], "dask": []}
        idle = {"local": [], "dask": []}
        peaks = {"local": [], "dask": []}
        worker_peak = 0.0
        dask_line = ""
        for round_ in range(args.rounds):
            order = ["local", "dask"] if round_ % 2 == 0 else ["dask", "local"]
            for name in order:
                extra = ["--force"] if round_ else []
                if name == "dask":
                    extra += ["--scheduler", cluster.address]
                print(f"Round {round_ + 1}: grading with the {name} engine ...", flush=True)
                stop = threading.Event()
                sampled = [0.0]

                def sample(stop=stop, sampled=sampled) -> None:
                    while not stop.wait(0.5):
                        sampled[0] = max(sampled[0], cluster.worker_memory())

                sampler = threading.Thread(target=sample, daemon=True)
                if name == "dask":
                    sampler.start()
                before = _reaped_cpu(), cluster.cpu_seconds()
                wall, peak, summary = run(local if name == "local" else on_dask,
                                          command + extra)
                stop.set()
                # CPU time of everything the batch made busy: its own processes (reaped when
                # they end) and, for Dask, the cluster's (idle cost included; for the local
                # batch the idle cluster's cost is subtracted). Less noisy than wall time on a
                # shared machine.
                used = _reaped_cpu() - before[0]
                cluster_cpu = cluster.cpu_seconds() - before[1]
                cpu[name].append(used + cluster_cpu if name == "dask" else used)
                idle[name].append(cluster_cpu / wall)
                walls[name].append(wall)
                peaks[name].append(peak)
                if name == "dask":
                    sampler.join()
                    worker_peak = max(worker_peak, sampled[0])
                    dask_line = next((line for line in summary.splitlines()
                                      if line.startswith("Dask cluster")), "")

        a, b = cell_scores(local), cell_scores(on_dask)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        wall_local, wall_dask = (statistics.median(walls["local"]),
                                 statistics.median(walls["dask"]))
        more = wall_dask / wall_local - 1
        corpus = len(list((ROOT / "tests" / "corpus").glob("*.py")))
        print()
        print(f"submissions            {args.n}  (cycling through the {corpus} corpus files), "
              f"{os.cpu_count()} cores, {args.rounds} round(s)")
        print(f"local engine           {wall_local:8.1f} s   {args.n / wall_local:6.2f}/s   "
              f"peak {max(peaks['local']):6.0f} MiB   "
              f"({', '.join(f'{w:.1f}' for w in walls['local'])} s)")
        print(f"Dask, {args.workers} workers x {args.threads} "
              f"{wall_dask:8.1f} s   {args.n / wall_dask:6.2f}/s   "
              f"peak {max(peaks['dask']):6.0f} MiB (grading processes) + "
              f"{worker_peak:.0f} MiB (workers)   "
              f"({', '.join(f'{w:.1f}' for w in walls['dask'])} s)")
        print(f"ratio                  Dask takes {100 * more:+.1f} % wall time "
              f"({'within' if more < GOAL else 'over'} the {100 * GOAL:.0f} % goal)")
        cpu_local, cpu_dask = statistics.median(cpu["local"]), statistics.median(cpu["dask"])
        print(f"CPU time               local {cpu_local:.1f} s, Dask {cpu_dask:.1f} s "
              f"({100 * (cpu_dask / cpu_local - 1):+.1f} %; the idle cluster alone uses "
              f"{statistics.median(idle['local']):.2f} CPU s per s)  "
              f"(local {', '.join(f'{c:.1f}' for c in cpu['local'])}; "
              f"Dask {', '.join(f'{c:.1f}' for c in cpu['dask'])})")
        if dask_line:
            print(dask_line)
        print(f"scores per test cell   {len(a) - len(differ)} of {len(a)} identical")
        for key in differ[:20]:
            print(f"  differs: {key}: local {a.get(key)}, Dask {b.get(key)}")
        return 1 if differ else 0
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
