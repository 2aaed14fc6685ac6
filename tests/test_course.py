"""The course module (:mod:`graders.course`): configuration, folders, the renamed-notebook rule,
the limits and the seeded answers' file, read the same way by the engine, the stages and the
report. Small and in this process: no grading."""

from __future__ import annotations

import json
import os

from traitlets.config import Config

from graders import course
from graders.checks import run_plan
from graders.checks.run_plan import REFERENCE_FILE


def test_a_course_config_is_read_once_whatever_the_spelling_of_its_path(tmp_path, monkeypatch):
    (tmp_path / "course").mkdir()
    reads = tmp_path / "reads"
    (tmp_path / "course" / course.CONFIG_FILE).write_text(
        f"open({str(reads)!r}, 'a').write('x')\nc.GradingEngine.max_restarts = 9\n")
    os.symlink(tmp_path / "course", tmp_path / "link")
    # the course's folder is also one of Jupyter's config folders, under another name
    monkeypatch.setattr("jupyter_core.paths.jupyter_config_path",
                        lambda: [str(tmp_path / "link")])
    config = course.load_config(tmp_path / "course")
    assert config.GradingEngine.max_restarts == 9
    assert reads.read_text() == "x"


def test_the_course_root_is_the_folder_given_unless_the_config_names_another(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    coursedir = course.course_directory(".", Config())
    assert coursedir.root == str(tmp_path.resolve())
    other = Config()
    other.CourseDirectory.root = str(tmp_path / "elsewhere")
    assert course.course_directory(tmp_path, other).root == str(tmp_path / "elsewhere")
    db = course.course_directory(tmp_path, Config(), db="grades.db").db_url
    assert db == f"sqlite:///{(tmp_path / 'grades.db').resolve()}"


def test_a_renamed_notebook_is_graded_only_when_it_is_the_one_candidate():
    known = ["tensors", "tensors_extra"]
    assert course.renamed_notebook("tensors", ["Tensors (1).ipynb"], known) == "Tensors (1).ipynb"
    assert course.renamed_notebook("tensors", ["tensors (1).ipynb", "tensors-copy.ipynb"],
                                   known) is None  # two candidates: neither
    assert course.renamed_notebook("tensors", ["tensors_extra.ipynb"], known) is None  # another's
    assert course.renamed_notebook("tensors", ["notes.ipynb"], known) is None


def test_limits_follow_the_settings_and_the_command_line():
    config = Config()
    config.GradingEngine.max_processes = 7
    config.GradingEngine.max_file_mib = 3
    config.GradingEngine.memory_cap_gib = 2.0
    engine = course.settings(config)
    limits = course.limits(engine)
    assert (limits.max_processes, limits.max_file_bytes, limits.memory_cap) == (
        7, 3 * 2**20, 2 * 2**30)
    assert course.limits(engine, memory_cap_gib=0.5).memory_cap == 2**29


def test_the_configured_reference_file_is_the_one_the_plan_reads(tmp_path):
    assert course.reference_file(Config()) == REFERENCE_FILE
    config = Config()
    config.VerifyAnswers.reference_file = str(tmp_path / "mine.json")
    assert course.reference_file(config) == tmp_path / "mine.json"
    values = course.load_reference(REFERENCE_FILE)
    # Fresh inputs are drawn far from the lesson's answers: a lesson whose answer is what the
    # first draw gives forces another draw, so the configured values change the plan.
    import nbformat

    nb = nbformat.v4.new_notebook()
    first = run_plan.plan(nb, b"k", values)
    ex = next(iter(first.fresh_inputs))
    moved = json.loads(json.dumps(values))
    moved[ex] = run_plan.EXERCISES[ex].reference(first.fresh_inputs[ex])
    assert run_plan.plan(nb, b"k", moved).fresh_inputs[ex] != first.fresh_inputs[ex]
    assert run_plan.plan(nb, b"k").fresh_inputs[ex] == first.fresh_inputs[ex]
