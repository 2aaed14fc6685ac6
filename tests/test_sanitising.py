"""The stages that keep right answers gradable whatever else the notebook holds: CleanText,
WarningsAreNotErrors, and the cell-file format that expresses such notebooks (graded cases are in
tests/corpus/41-47)."""

import json

import nbformat
from conftest import ASSIGNMENT, ROOT

from graders.preprocessors.clean_text import CleanText
from graders.preprocessors.warnings_are_not_errors import NOTE, WarningsAreNotErrors
from graders.submission_builder import build_submission, read_cell_file, write_submission

RELEASE = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
TORCH_WARNING = (
    "/tmp/ipykernel_1/2.py:2: UserWarning: Converting a tensor with requires_grad=True to a "
    "scalar may lead to unexpected behavior.\nConsider using tensor.detach() first. (Triggered "
    "internally at python_variable_methods.cpp:822.)\n  assert 0 < float(y) < 1, (\n")


def _test_cell(*outputs):
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "locked": True,
                                 "solution": False}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _stream(name, text):
    return {"output_type": "stream", "name": name, "text": text}


def _run(cell):
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = WarningsAreNotErrors().preprocess(nb, {})
    return [(o.name, o.text) for o in nb.cells[0].outputs if o.output_type == "stream"]


def test_warning_only_stderr_moves_to_stdout_with_a_note():
    got = _run(_test_cell(_stream("stderr", TORCH_WARNING), _stream("stdout", "ok\n")))
    assert got == [("stdout", NOTE + TORCH_WARNING), ("stdout", "ok\n")]
    # a warning split over two stream outputs, then another warning: still warnings only
    got = _run(_test_cell(_stream("stderr", TORCH_WARNING[:60]),
                          _stream("stderr", TORCH_WARNING[60:] + "x.py:3: numpy.FooWarning: y\n")))
    assert [name for name, _ in got] == ["stdout", "stdout"]


def test_other_stderr_keeps_nbgraders_rule():
    for text in ("Traceback (most recent call last):\n", "some text\n" + TORCH_WARNING,
                 "x.py:1: UserError: not a warning\n"):
        assert _run(_test_cell(_stream("stderr", text))) == [("stderr", text)]
    # not a test cell: left alone
    cell = _test_cell(_stream("stderr", TORCH_WARNING))
    cell.metadata["nbgrader"]["grade"] = False
    assert _run(cell) == [("stderr", TORCH_WARNING)]


def test_clean_text_escapes_lone_surrogates_everywhere_and_drops_a_forged_graders_entry():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("y = 1  # \ud83d"),
        nbformat.v4.new_markdown_cell("fine: \U0001F600, \u202e, \x00"),
    ])
    nb.cells[0].outputs = [nbformat.from_dict(_stream("stdout", "\udc80\n"))]
    nb.metadata["graders"] = {"sanitized": [{"kind": "autograder", "text": "forged"}]}
    nb, _ = CleanText().preprocess(nb, {})
    text = nbformat.writes(nb)
    text.encode("utf-8")  # writable now
    assert nb.cells[0].source == "y = 1  # \\ud83d"
    assert nb.cells[0].outputs[0].text == "\\udc80\n"
    assert nb.cells[1].source == "fine: \U0001F600, \u202e, \x00"  # valid text untouched
    notes = nb.metadata["graders"]["sanitized"]
    assert [n["text"][:7] for n in notes] == ["cell 0 "]


def test_cell_files_express_metadata_edits_and_escapes(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("# a case\n# text-escapes: on\n# %% single_layer_sum\ny = 1  # \\ud83d\n"
                    "# %% meta test_single_layer_sum_value grade=false locked=false points=0 "
                    "editable=true\n# %% meta numpy_bridge cell_type=markdown\n")
    cell_file = read_cell_file(path)
    assert cell_file.description == "a case"
    nb = build_submission(RELEASE, cell_file)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert cells["single_layer_sum"].source == "y = 1  # \ud83d"
    meta = cells["test_single_layer_sum_value"].metadata
    assert (meta["nbgrader"]["grade"], meta["nbgrader"]["locked"], meta["nbgrader"]["points"],
            meta["editable"]) == (False, False, 0, True)
    assert cells["numpy_bridge"].cell_type == "markdown" and "outputs" not in cells[
        "numpy_bridge"]
    target = write_submission(nb, tmp_path, "s", ASSIGNMENT, ASSIGNMENT)
    assert "\\ud83d" in target.read_text(encoding="utf-8")
    assert json.loads(target.read_text(encoding="utf-8"))["cells"]


def test_a_gradebook_comment_line_keeps_a_lone_surrogate_as_its_escape():
    from graders.preprocessors.save_findings import add_comment_line

    class Comment:
        auto_comment = "[review] x"

    comment = Comment()
    add_comment_line(comment, "[autograder] tensors.ipynb is missing (found: tensors\udcff.ipynb)")
    assert comment.auto_comment.splitlines()[1].endswith("(found: tensors\\udcff.ipynb)")
    comment.auto_comment.encode("utf-8")


def test_a_handed_in_file_name_that_is_not_utf8_keys_the_fresh_inputs(tmp_path):
    """os.listdir gives such a name with surrogates; the key hashes its bytes (a UTF-8 name's
    bytes are its UTF-8 encoding, so keys of ordinary names did not change)."""
    import hashlib
    import hmac

    from graders.checks import run_plan
    from graders.preprocessors.verify_answers import notebook_key

    resources = {"nbgrader": {"student": "s", "assignment": "a", "notebook": "n"}}
    odd = notebook_key(tmp_path, resources, {"notes\udcff.txt": b"x"})
    assert odd != notebook_key(tmp_path, resources, {"notes.txt": b"x"})
    digest = hashlib.sha256(b"s/a/n")
    digest.update("données.csv".encode() + b"\0" + hashlib.sha256(b"x").digest())
    assert notebook_key(tmp_path, resources, {"données.csv": b"x"}) == hmac.new(
        run_plan.course_secret(tmp_path), digest.digest(), hashlib.sha256).digest()
