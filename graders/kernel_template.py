"""Kernel template: what the warm template process loads once, before it forks each submission.

:mod:`graders.kernel_pool` names this module in the forkserver's preload list, so importing it
happens once, in the template; every child forked from it starts with all of this ready:

* torch, numpy and IPython imported (1.6 s a fresh process would spend on each submission);
* the IPython shell the cells run in, created but never used, with its input transformer and
  traceback formatter warmed (tokenize compiles its regular expressions on first use, and the
  first traceback a process formats costs ten times the next);
* the grading helpers the hidden tests import.

Last, ``gc.freeze()`` moves everything loaded so far out of the garbage collector's sight, so a
child's collections do not walk (and so copy, page by page) the template's objects.

Nothing here runs a tensor operation: torch starts its thread pools on the first one, and a
process with threads must not fork.
"""

import gc

import numpy  # noqa: F401 - loaded for the children
import torch  # noqa: F401 - loaded for the children

import graders.hidden_checks  # noqa: F401 - the hidden tests' import, ready in every child

from .cell_runner import _new_shell


def _warm_up() -> None:
    shell = _new_shell()
    shell.transform_cell("import torch\nx = torch.ones(1) @ torch.ones(1)\nprint(x)\n")
    str(numpy.linspace(0.0, 1.0, 12).reshape(4, 3))  # numpy's printing sets itself up once
    try:
        graders.hidden_checks.check(None, "no such exercise", "part")
    except ValueError as err:
        for mode in ("Plain", "Context"):
            shell.InteractiveTB.set_mode(mode)
            shell.InteractiveTB.structured_traceback(type(err), err, err.__traceback__)


_warm_up()
gc.freeze()
