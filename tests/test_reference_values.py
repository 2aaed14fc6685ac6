"""Reference values come from running the source solution, match the lesson, and do not drift."""

import json
import subprocess
import sys

from conftest import ROOT

from graders.course import REFERENCE_FILE
from graders.reference import flatten, published_mismatches


def test_stored_values_round_to_the_lessons_published_outputs():
    assert published_mismatches(json.loads(REFERENCE_FILE.read_text())) == []


def test_rerunning_the_source_solution_reproduces_the_stored_values(tmp_path):
    out = tmp_path / "reference.json"
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "reference", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the kernel runs over UNIX sockets: no TCP port, no warning about it
    assert "TCP" not in proc.stderr, proc.stderr
    # the kernel is shut down, not left to find its parent gone ("Parent appears to have exited")
    assert "WARNING" not in proc.stderr, proc.stderr
    fresh, stored = json.loads(out.read_text()), json.loads(REFERENCE_FILE.read_text())
    assert fresh.keys() == stored.keys()
    for exercise in stored:
        assert fresh[exercise].keys() == stored[exercise].keys()
        values = {**stored[exercise], **{f"inputs.{k}": v for k, v in
                                         stored[exercise]["inputs"].items()}}
        again = {**fresh[exercise], **{f"inputs.{k}": v for k, v in
                                       fresh[exercise]["inputs"].items()}}
        for name in [n for n in values if n != "inputs"]:
            pairs = zip(flatten(again[name]), flatten(values[name]), strict=True)
            assert all(abs(a - b) < 1e-7 for a, b in pairs), (
                f"{exercise}.{name} drifted: run `make reference` and review the change"
            )


def test_published_mismatch_is_reported():
    values = json.loads(REFERENCE_FILE.read_text())
    values["multilayer"]["output"] = [[0.5]]
    assert published_mismatches(values) == ["multilayer.output: [0.5] (published: [0.3171])"]


def test_the_published_values_are_the_tables():
    from graders.checks.exercises import EXERCISES
    from graders.reference import published

    assert published() == {("single_layer_sum", "y"): [0.1595], ("single_layer_mm", "y"): [0.1595],
                           ("multilayer", "h"): [0.6813, 0.4355],
                           ("multilayer", "output"): [0.3171]}
    assert all(set(ex.published) <= set(ex.outputs) for ex in EXERCISES.values())
