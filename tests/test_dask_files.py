"""The Dask path guards on their own (graders/engine/dask_files.py): what a worker sends back
about a run's folder is written into the job's folder here only as plain relative paths, as new
regular files, never through a link, never outside the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders.engine.dask_files import apply_changes, changes, read_files, safe, write_files


@pytest.mark.parametrize("relative", ["", "/etc/passwd", "../x", "a/../../x", "a\0b"])
def test_only_plain_relative_paths_pass(tmp_path, relative):
    with pytest.raises(ValueError):
        safe(tmp_path, relative)


def test_a_plain_relative_path_stays_in_the_folder(tmp_path):
    assert safe(tmp_path, "out/result.txt") == tmp_path / "out" / "result.txt"


@pytest.fixture
def job(tmp_path):
    """A job folder holding a link to a folder outside it, and that outside folder."""
    folder, outside = tmp_path / "job", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    (folder / "file_link").symlink_to(outside / "target.txt")
    return folder, outside


def test_nothing_is_written_through_a_link(job):
    folder, outside = job
    failed = write_files(folder, {"link/x.txt": b"a", "file_link": b"b", "ok.txt": b"c"},
                         ["link/made", "new/dir"])
    assert sorted(failed) == ["file_link", "link/made", "link/x.txt"]
    assert list(outside.iterdir()) == []  # nothing landed outside the job's folder
    assert (folder / "ok.txt").read_bytes() == b"c" and (folder / "new" / "dir").is_dir()


def test_a_removal_never_goes_through_a_link(job):
    folder, outside = job
    (outside / "keep.txt").write_text("the grader's")
    problems = apply_changes(folder, {"files": {}, "folders": [],
                                      "removed": ["link/keep.txt", "../outside/keep.txt"]})
    assert sorted(problems) == ["../outside/keep.txt", "link/keep.txt"]
    assert (outside / "keep.txt").exists()


def test_a_runs_changes_come_back_as_files_and_links_do_not(tmp_path):
    worker = tmp_path / "worker"
    worker.mkdir()
    (worker / "given.txt").write_bytes(b"given")
    sent, sent_folders = read_files(str(worker))
    (worker / "answer.txt").write_bytes(b"42")  # what the run wrote
    (worker / "sub").mkdir()
    (worker / "sub" / "deep.txt").write_bytes(b"d")
    os.symlink("/etc/passwd", worker / "passwd")  # a link the run made: not a file to ship
    back, made, removed, left_out = changes(worker, sent, sent_folders)
    assert (set(back), made, removed, left_out) == ({"answer.txt", "sub/deep.txt"}, ["sub"], [],
                                                    [])
    payload = {"files": back, "folders": made, "removed": removed}  # as the worker sends it
    here = tmp_path / "here"
    here.mkdir()
    assert apply_changes(here, payload) == []
    assert sorted(str(p.relative_to(here)) for p in here.rglob("*")) == [
        "answer.txt", "sub", "sub/deep.txt"]
    assert not Path(here / "passwd").exists()
