"""The sandbox's read-only layout (:mod:`graders.engine.sandbox`) on its own: a course that
lies inside a hierarchy the children must read is refused with a message that says what to do,
and the read list never reaches the course, its parents' other children or a home folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders.engine import sandbox


def test_a_protected_folder_inside_a_readable_one_is_refused(tmp_path):
    python = tmp_path / "opt" / "python"
    course = python / "lib" / "course"  # a course inside what children may read
    course.mkdir(parents=True)
    with pytest.raises(sandbox.SandboxLayoutError) as err:
        sandbox.check_layout([str(python)], [str(course)])
    message = str(err.value)
    assert str(python) in message and str(course) in message and "Move the course" in message


def test_a_readable_folder_inside_the_course_is_allowed(tmp_path):
    course = tmp_path / "course"
    venv = course / ".venv"
    venv.mkdir(parents=True)
    sandbox.check_layout([str(venv)], [str(course)])  # the course's own .venv: packages only


def test_links_are_resolved_before_the_check(tmp_path):
    real = tmp_path / "usr"
    course = real / "share" / "course"
    course.mkdir(parents=True)
    link = tmp_path / "link-to-course"
    link.symlink_to(course)
    with pytest.raises(sandbox.SandboxLayoutError):
        sandbox.check_layout([str(real)], [str(link)])


def test_siblings_that_share_a_prefix_are_not_inside_each_other(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course-venv").mkdir()
    sandbox.check_layout([str(tmp_path / "course-venv")], [str(tmp_path / "course")])


def test_the_read_list_keeps_out_the_course_and_the_home_folder(tmp_path, monkeypatch):
    course = tmp_path / "course"
    course.mkdir()
    monkeypatch.syspath_prepend(str(course))  # a script run from the course folder
    monkeypatch.syspath_prepend(str(tmp_path))  # ... or from the folder above it
    read = sandbox.read_paths(str(course))
    home = os.path.realpath(os.path.expanduser("~"))
    for path in read:
        assert not sandbox._inside(str(course), path), path
        assert not sandbox._inside(path, str(course)), path
        assert not sandbox._inside(home, path), path
    assert any(sandbox._inside(os.__file__, p) for p in read)  # the standard library is there
    # outermost folders only: none inside another
    assert not [p for p in read for q in read if p != q and sandbox._inside(p, q)]


def test_make_policy_refuses_a_course_in_a_system_folder():
    system = next(p for p in sandbox.SYSTEM_READ if Path(p).is_dir())
    with pytest.raises(sandbox.SandboxLayoutError):
        sandbox.make_policy(Path(system) / "course-that-does-not-exist", sandbox.Limits())
