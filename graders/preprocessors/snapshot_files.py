"""SnapshotFiles: keep the files a student handed in, as handed in (an nbgrader stage, first).

Under stock ``nbgrader autograde`` the notebook runs unsealed with the grader's rights, so it can
write into ``submitted/`` (a file holding code read from ``source/``, say) before
``VerifyAnswers`` copies the submission's other files into the grader's sealed re-runs. Placed
before ``Execute`` in ``c.Autograde.autograde_preprocessors``, this stage reads those files (not
the notebooks) into memory first; ``VerifyAnswers`` then uses that copy. Under ``graders
autograde`` the notebook run is sealed and cannot write there; the stage is harmless.

Leans on nbgrader's preprocessor interface. Written by hand: nbgrader keeps no copy of the files
handed in.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..course import stage_course
from ..engine.runs import assignment_files


class SnapshotFiles(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        _, coursedir, converter = stage_course(self)
        info = resources["nbgrader"]
        resources.setdefault("graders", {})["files"] = assignment_files(
            coursedir, converter, info["student"], info["assignment"])
        return nb, resources
