"""The template's HOME: a folder of the grader's own, never one another user can make first.

On a host shared with students, the template process used ``HOME=/tmp``: IPython then read (or
failed to use, with a warning on every run) ``/tmp/.ipython``, which any user can create first,
startup scripts included. :func:`graders.engine.sandbox.grader_home` gives a folder that is the
grader's all the way down, or a fresh ``mkdtemp`` one.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import tempfile

import pytest

from graders.engine import sandbox


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(sandbox, "_grader_home", None)
    return monkeypatch


def _private(path: str) -> bool:
    info = os.lstat(path)
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
            and stat.S_IMODE(info.st_mode) == 0o700)


def test_the_template_never_gets_the_shared_tmp_as_home(fresh):
    fresh.delenv("XDG_CACHE_HOME", raising=False)
    env = sandbox.template_environment()
    assert env["HOME"] != tempfile.gettempdir() and _private(env["HOME"])
    assert env["IPYTHONDIR"] == os.path.join(env["HOME"], ".ipython")
    kept = os.path.expanduser("~/.cache/graders/template-home")
    assert env["HOME"] == kept or os.path.basename(env["HOME"]).startswith("graders-home-")


def test_a_cache_folder_others_can_write_is_not_used(fresh, tmp_path):
    shared = tmp_path / "shared"  # like /tmp: anyone may create things in it
    shared.mkdir()
    os.chmod(shared, 0o1777)
    fresh.setenv("XDG_CACHE_HOME", str(shared / ".cache"))
    home = sandbox.grader_home()
    assert not home.startswith(str(shared)), home
    assert os.path.basename(home).startswith("graders-home-") and _private(home)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder of another user needs root")
def test_a_folder_another_user_made_first_is_not_used(fresh, tmp_path):
    os.chmod(tmp_path, 0o755)
    planted = tmp_path / "cache" / "graders" / "template-home"
    planted.mkdir(parents=True, mode=0o700)
    os.chown(planted, 65534, 65534)  # nobody got there first
    fresh.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = sandbox.grader_home()
    assert home != str(planted) and _private(home)


def _child_home(queue) -> None:
    queue.put(sandbox.grader_home())


def test_a_forked_grader_makes_and_removes_its_own_temporary_home(fresh, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    fresh.setenv("XDG_CACHE_HOME", str(shared / ".cache"))  # unusable: mkdtemp folders
    mine = sandbox.grader_home()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_home, args=(queue,))
    child.start()
    theirs = queue.get(timeout=30)
    child.join(timeout=30)
    assert theirs != mine
    assert not os.path.exists(theirs), "removed when the forked process exited"
    assert os.path.isdir(mine), "the parent's folder is the parent's to remove"
    sandbox._remove_home(os.getpid(), mine)
