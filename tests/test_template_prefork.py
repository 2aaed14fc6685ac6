"""What the template loads before it forks (:mod:`graders.kernel.template`) must not make the
sealed children alike: NumPy's global generator is made once in the template (``numpy.random``
is imported there, so no child pays for the import), and each child seeds it afresh, as a
child that imported ``numpy.random`` itself would have. Real template, real sealed children."""

from __future__ import annotations

import tempfile

import pytest
from traitlets.config import Config

from graders.engine.pool import Job, local_pool
from graders.engine.runs import pool_settings
from graders.protocol import Cell

DRAW = "import numpy as np\nprint(repr(np.random.rand(3).tolist()))\n"


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    pool = local_pool(str(course), pool_settings(Config(), timeout=60), workers=2)
    pool.warm_up()
    yield pool
    pool.close()


def test_children_of_one_template_draw_different_unseeded_numbers(pool):
    jobs = [Job(f"draw{i}", [Cell(0, DRAW, True)], tempfile.mkdtemp(prefix="graders-test-"))
            for i in range(3)]
    drawn = {}
    for result in pool.run(jobs):
        text = "".join(out.get("text", "") for out in result.outputs.get(0, [])
                       if out.get("name") == "stdout")
        assert text.startswith("["), result.outputs
        drawn[result.key] = text
    assert len(set(drawn.values())) == 3, drawn


def test_a_seeded_draw_is_the_same_in_every_child(pool):
    seeded = "import numpy as np\nnp.random.seed(7)\n" + DRAW.split("\n", 1)[1]
    jobs = [Job(f"seeded{i}", [Cell(0, seeded, True)],
                tempfile.mkdtemp(prefix="graders-test-")) for i in range(2)]
    texts = {"".join(o.get("text", "") for o in r.outputs.get(0, [])) for r in pool.run(jobs)}
    assert len(texts) == 1 and next(iter(texts)).startswith("["), texts
