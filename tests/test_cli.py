"""The ``graders`` command: traitlets applications whose flags are configuration.

Each subcommand's help, every flag the Makefile, the docs, the tests and the benchmarks use
(parsed, not run: what it sets is checked), the course's nbgrader_config.py reaching the engine
with the command line on top, and bad input said in one line without a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, course_env

from graders.apps import GradersApp, main
from graders.apps.gradersapp import SUBCOMMANDS
from graders.engine.settings import GradingEngine

# The flags each subcommand had as an argparse command; they keep their spelling.
FLAGS = {
    "reference": ["--source", "--output"],
    "demo": ["--demo", "--release", "--into", "--force"],
    "autograde": ["--student", "--force", "--workers", "--memory-cap", "--no-sandbox",
                  "--require-sandbox", "--scheduler", "--root"],
    "serve": ["--root", "--scheduler", "--once"],
    "table": ["--db", "--assignment"],
    "report": ["--root", "--db", "--out"],
    "gradescope": ["--out", "--visibility", "--venv", "--root"],
}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder with the repository's nbgrader_config.py, plus two engine settings."""
    course = tmp_path_factory.mktemp("cli") / "course"
    course.mkdir()
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(
        config + "\nc.GradingEngine.workers = 3\nc.GradingEngine.kill_grace = 7.5\n"
                 "c.GradescopeApp.visibility = 'after_due_date'\n",
        encoding="utf-8")
    return course


def parsed(argv: list[str]):
    """The subcommand's application after reading ``argv`` and the course's config (not run)."""
    app = GradersApp()
    try:
        app.initialize(argv)
        return app.subapp
    finally:
        GradersApp.clear_instance()
        if app.subapp is not None:
            type(app.subapp).clear_instance()


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=course_env(),
                          capture_output=True, text=True, timeout=120)


def test_the_subcommands_are_the_documented_ones():
    assert set(SUBCOMMANDS) == set(FLAGS)


@pytest.mark.parametrize("subcommand", sorted(FLAGS))
def test_each_subcommand_help_lists_its_flags(subcommand, capsys):
    assert main([subcommand, "--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"Usage: graders {subcommand} ")
    for flag in FLAGS[subcommand]:
        assert f"\n{flag}" in shown, f"graders {subcommand} --help does not show {flag}"


@pytest.mark.parametrize("argv", [["autograde", "--help-all"], ["--help-all"]])
def test_help_all_lists_the_engine_settings(argv, capsys):
    assert main(argv) == 0
    shown = capsys.readouterr().out
    for name in GradingEngine.class_trait_names(config=True):
        assert f"--GradingEngine.{name}" in shown
    if argv == ["--help-all"]:
        assert "--GradingService.poll_interval" in shown and "--GradescopeApp.venv" in shown


def test_every_flag_sets_its_configuration(course):
    app = parsed(["autograde", "tensors", "--student", "ada", "--student=ben", "--force",
                  "--workers", "5", "--memory-cap=2.5", "--no-sandbox", "--require-sandbox",
                  "--scheduler", "tcp://127.0.0.1:8786", "--root", str(course)])
    assert (app.assignment, app.students, app.force) == ("tensors", ["ada", "ben"], True)
    engine = GradingEngine(config=app.config)
    assert (engine.workers, engine.memory_cap_gib, engine.sandbox, engine.require_sandbox,
            engine.scheduler) == (5, 2.5, False, True, "tcp://127.0.0.1:8786")

    app = parsed(["serve", "other", "--root", str(course), "--scheduler", "tcp://h:1", "--once"])
    assert (app.assignment, app.once, GradingEngine(config=app.config).scheduler) == (
        "other", True, "tcp://h:1")
    app = parsed(["table", "--db", "g.db", "--assignment", "other", "--root", str(course)])
    assert (app.db, app.assignment) == ("g.db", "other")
    app = parsed(["report", "other", "--root", str(course), "--db", "d.db", "--out", "o"])
    assert (app.assignment, app.db, app.out) == ("other", "d.db", "o")
    assert parsed(["gradescope", "--root", str(course)]).visibility == "after_due_date"
    app = parsed(["gradescope", "other", "--out", "z.zip", "--visibility", "visible",
                  "--venv", "/opt/v", "--root", str(course)])
    assert (app.assignment, app.out, app.visibility, app.venv) == (
        "other", "z.zip", "visible", "/opt/v")
    app = parsed(["demo", "--demo", "d", "--release", "r.ipynb", "--into", "s", "--force",
                  "--root", str(course)])
    assert (app.demo, app.release, app.into, app.force) == ("d", "r.ipynb", "s", True)
    app = parsed(["reference", "--source", "s.ipynb", "--output", "o.json",
                  "--root", str(course)])
    assert (app.source, app.output) == ("s.ipynb", "o.json")


def test_the_course_config_reaches_the_engine_and_the_command_line_wins(course):
    from graders.autograde.converter import BatchAutograde

    app = parsed(["autograde", "--root", str(course)])
    assert (app.assignment, app.students, app.force) == ("tensors", [], False)
    batch = BatchAutograde(course, "tensors", config=app.overrides())
    assert (batch.settings.workers, batch.settings.kill_grace) == (3, 7.5)

    app = parsed(["autograde", "--root", str(course), "--workers", "1",
                  "--GradingEngine.kill_grace=2", "--Execute.timeout=11"])
    batch = BatchAutograde(course, "tensors", config=app.overrides())
    assert (batch.settings.workers, batch.settings.kill_grace, batch.timeout) == (1, 2.0, 11)


@pytest.mark.parametrize("args, said", [
    (["autograde", "--workers", "many"], "expected an int"),
    (["autograde", "--GradingEngine.memory_cap_gib=lots"], "expected a float"),
    (["gradescope", "--visibility", "nobody"], "expected any of"),
    (["autograde", "--wrokers", "2"], "unknown option --wrokers"),
    (["autograde", "--GradingEngine.wrokers=2"], "settings are"),
    (["autograde", "--GradingEngin.workers=2"], "no configurable class"),
    (["autograde", "--workers"], "expected one argument"),
    (["autograde", "tensors", "again"], "unexpected argument: again"),
])
def test_bad_input_is_one_line_and_exit_code_2(course, args, said, capsys):
    assert main([*args, "--root", str(course)]) == 2
    first, second = capsys.readouterr().err.splitlines()
    assert first.startswith(f"graders {args[0]}: ") and said in first, first
    assert second == f"See `graders {args[0]} --help`."


def test_a_bad_value_in_the_course_config_is_refused_in_one_line(tmp_path):
    """The real command: its exit code, and no traceback."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n"
                                                 "c.GradingEngine.workers = 'many'\n")
    proc = graders("autograde", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "'workers' trait of a GradingEngine" in proc.stderr


def test_a_missing_assignment_says_what_to_do(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", course_env()["PATH"])  # nbgrader runs alembic

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}"):
        pass  # an empty gradebook: no assignment in it
    proc = graders("table", "--assignment", "nosuch", "--root", str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "no assignment 'nosuch': run `nbgrader generate_assignment nosuch`" in proc.stderr


@pytest.mark.parametrize("argv", [["nosuch"], []], ids=["unknown", "none"])
def test_an_unknown_or_missing_subcommand_lists_the_subcommands(argv, capsys):
    assert main(argv) == 2
    said = capsys.readouterr().err
    assert ("unknown subcommand 'nosuch'" if argv else "no subcommand given") in said
    for name, (_, help_) in SUBCOMMANDS.items():
        assert f"  {name}" in said and help_ in said


class _Called(Exception):
    pass


def test_autograde_and_serve_hand_the_command_line_to_the_engine(course, monkeypatch):
    """What the subcommands pass on: the settings given here, laid over the course's where the
    engine reads its nbgrader_config.py again (the engine itself is not run)."""
    import graders.apps.serveapp
    import graders.autograde

    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        raise _Called

    monkeypatch.setattr(graders.autograde, "autograde", record)
    monkeypatch.setattr(graders.apps.serveapp, "Service", record)
    with pytest.raises(_Called):
        main(["autograde", "tensors", "--root", str(course), "--student", "ada", "--force",
              "--GradingEngine.kill_grace=2"])
    (args, kwargs), = calls
    assert args == (course, "tensors")
    assert (kwargs["students"], kwargs["force"]) == (["ada"], True)
    assert GradingEngine(config=kwargs["config"]).kill_grace == 2
    with pytest.raises(_Called):
        main(["serve", "tensors", "--root", str(course), "--scheduler", "tcp://h:1",
              "--GradingService.poll_interval=3"])
    args, kwargs = calls[1]
    assert kwargs["config"].GradingService.poll_interval == 3
    assert GradingEngine(config=kwargs["config"]).scheduler == "tcp://h:1"
