"""The static review scan (:mod:`graders.review`) on its own: what it lists, what it leaves
alone, and how it reports a cell it cannot parse. Fast: no course, no kernel."""

from __future__ import annotations

import pytest

from graders import review

FLAGGED = [  # (cell source, category, a piece of what the hit says)
    ("import ctypes", "introspection", "ctypes"),
    ("import gc\ngc.get_objects()", "introspection", "gc.get_objects"),
    ("import sys\nsys.modules['torch'].allclose = None", "introspection", "sys.modules"),
    ("import sys as s\ns.settrace(lambda *a: None)", "introspection", "sys.settrace"),
    ("f = lambda: 0\nf.__globals__['y'] = 1", "introspection", "__globals__"),
    ("torch.allclose = lambda *a, **k: True", "monkeypatching", "torch.allclose"),
    ("np.testing.assert_allclose = print", "monkeypatching", "np.testing.assert_allclose"),
    ("get_ipython().events.register('post_run_cell', print)", "IPython internals", "events"),
    ("import os\nos.fork()", "processes", "os.fork"),
    ("import os\nos.kill(os.getppid(), 9)", "processes", "os.kill"),
    ("import subprocess", "processes", "subprocess"),
    ("import socket", "network", "socket"),
    ("exec('y = 1')", "dynamic code", "exec"),
    ("getattr(torch, 'all' + 'close')", "dynamic code", "computed name"),
    ("open('../../../source/tensors/tensors.ipynb').read()", "files", "outside"),
    ("!cat /etc/passwd", "processes", "shell command"),
    ("import graders.kernel.instrument", "the grader's package", "graders"),
]
CLEAN = [  # what the lesson's honest answers use
    "y = activation(torch.sum(features * weights) + bias)",
    "y = activation(torch.mm(features, weights.view(5, 1)) + bias)",
    "h = activation(features @ W1 + B1)\noutput = activation(h @ W2 + B2)",
    "b = torch.from_numpy(a)\nb.mul_(2)",
    "%time z = torch.mm(features, weights.T)",
    "%%time\ny = activation((features * weights).sum() + bias)",
    "import numpy as np\nprint(np.shares_memory(a, b.numpy()))",
    "open('notes.txt', 'w').write('scratch')",
]


@pytest.mark.parametrize(("source", "category", "says"), FLAGGED,
                         ids=[f[2].replace(" ", "_") for f in FLAGGED])
def test_code_worth_a_look_is_listed_with_its_line(source, category, says):
    hits = review.scan_cell(7, source)
    assert any(h.category == category and says in h.what + h.code for h in hits), hits
    hit = next(h for h in hits if h.category == category)
    assert hit.cell == 7
    assert source.splitlines()[hit.line - 1].strip().startswith(hit.code[:10].strip()), hit


@pytest.mark.parametrize("source", CLEAN)
def test_the_lessons_own_code_is_not_listed(source):
    assert review.scan_cell(0, source) == []


def test_a_cell_that_does_not_parse_is_reported_last_and_once():
    hits = review.scan([(3, "import ctypes"), (5, "y = (")])
    assert [h.cell for h in hits] == [3, 5]
    assert hits[-1].category == "syntax" and hits[-1].what == "could not be parsed"


def test_hits_come_in_notebook_order_without_repeats():
    source = "import os\nos.fork()\nos.fork()"
    hits = review.scan([(9, source), (2, "import socket")])
    assert [h.cell for h in hits] == [9, 9, 2]
    assert [(h.line, h.what) for h in hits[:2]] == [(2, "uses os.fork"), (3, "uses os.fork")]
    assert "cell 9, line 2: uses os.fork (processes)" in hits[0].describe()
