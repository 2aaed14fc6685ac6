"""OverwriteKernelspecAtOnce: nbgrader's ``OverwriteKernelspec``, reading only the kernelspec.

nbgrader 0.9.6's ``OverwriteKernelspec`` loads the release notebook through the ORM, and with it
the notebook's maximum scores (column expressions summed over its cells), to read one column:
about 1.4 ms of the grading process's CPU a notebook. This stage reads that column alone
(:func:`graders.preprocessors.gradebook_rows.notebook_kernelspec`) and does the rest as
nbgrader does. ``graders autograde`` uses it in place of ``OverwriteKernelspec``.

Written by hand because nbgrader has no setting for it; what it mirrors is
``OverwriteKernelspec.preprocess`` of nbgrader 0.9.6 (check it on an nbgrader upgrade).
"""

from __future__ import annotations

import json

from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteKernelspec

from .gradebook_rows import notebook_kernelspec


class OverwriteKernelspecAtOnce(OverwriteKernelspec):
    """``OverwriteKernelspec`` with the kernelspec read in one statement."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            kernelspec = notebook_kernelspec(gb, info["notebook"], info["assignment"])
        if kernelspec is not None:
            kernelspec = json.loads(kernelspec)
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources
