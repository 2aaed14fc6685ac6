# Reads the solutions: the first answer cell walks up from the working folder to the course's
# source/tensors/tensors.ipynb (the instructor's notebook with the solutions), runs each
# exercise's solution code, and also writes them into the student's own submitted folder
# (submitted/<student>/tensors/redteam_solutions.json), whose other files the grader copies
# into the scratch folders of its re-runs, where the cells read them back.
# A secure grader: the solutions are unreachable from the notebook; every exercise zero.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% single_layer_sum
import json as _json, os as _os
from pathlib import Path as _Path
def _solution(grade_id):
    try:
        return _json.load(open("redteam_solutions.json"))[grade_id]
    except Exception:
        pass
    here = _Path(_os.getcwd()).resolve()
    for d in [here, *here.parents]:
        src = d / "source" / "tensors" / "tensors.ipynb"
        try:
            nb = _json.load(open(src))
        except Exception:
            continue
        sols = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
        try:
            dest = d / "submitted" / "31_read_solutions" / "tensors" / "redteam_solutions.json"
            dest.write_text(_json.dumps(sols))
        except Exception as err:
            print("could not plant:", err)
        return sols[grade_id]
    raise NotImplementedError("no solutions reachable")
exec(_solution("single_layer_sum"))
# %% single_layer_mm
exec(_solution("single_layer_mm"))
# %% multilayer
exec(_solution("multilayer"))
# %% numpy_bridge
exec(_solution("numpy_bridge"))
