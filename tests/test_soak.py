"""The grading service's soak, short form (the full one is ``benchmarks/serve_soak.py``, 2,000
submissions): `graders serve` grades a stream of submissions from many students, resubmissions
and broken ones among them, is SIGKILLed half-way and started again, and must lose and
duplicate nothing, leave nothing behind, and keep its descriptors, threads, children and memory
flat. About two minutes, so it runs with the hub test (``make test-hub``, CI), not in
``make test``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 120


def test_the_service_runs_flat_and_loses_nothing(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "serve_soak.py"), "--submissions",
         str(SUBMISSIONS), "--students", "12", "--broken-every", "10", "--kill-at", "0.5",
         "--json", str(out)], capture_output=True, text=True, timeout=1200)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    got = json.loads(out.read_text())
    assert got["submitted"] == got["logged"] == SUBMISSIONS, got
    assert got["failed"] == got["broken"] > 0  # each broken one failed, nothing else
    assert got["duplicated"] == got["lost"] == got["unknown"] == 0, got
    assert got["missing_feedback"] == 0 and got["left_in_tmp"] == 0, got
    assert got["killed_at"] is not None
    assert proc.returncode == 0, proc.stdout[-3000:]
    # After the restart the service is warm again from the same start: compare a sample a
    # quarter of the way into the second half with the last one.
    after = [s for s in got["samples"] if s["done"] > got["killed_at"]]
    assert len(after) >= 4, after
    settled, last = after[len(after) // 4], after[-1]
    assert last["fds"] <= settled["fds"] + 2, (settled, last)
    assert last["threads"] <= settled["threads"] + 1, (settled, last)
    assert last["children"] <= max(settled["children"], 5), (settled, last)
    assert last["rss_service"] - settled["rss_service"] < 16 * 2**20, (settled, last)
