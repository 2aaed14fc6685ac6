"""nbgrader configuration of the course: every nbgrader command run from this folder reads it,
and so does ``graders autograde``."""

from pathlib import Path

import nbgrader
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
)

import graders
from graders.preprocessors import (
    CleanText,
    DeduplicateCells,
    GuardGradebook,
    ReadableFeedback,
    RedactHiddenTests,
    RestoreCellMetadata,
    ReviewCode,
    SaveAutoGradesAtOnce,
    SaveFindings,
    SealedExecute,
    SnapshotFiles,
    VerifyAnswers,
    WarningsAreNotErrors,
)

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "intro-to-pytorch"

# Autograde: 30 s per cell, keep going after an error, and put back test cells a student deleted.
c.Execute.timeout = 30
# SealedExecute (below) waits 10 s for a cell's last output, then goes on without it
# (c.Execute.iopub_timeout, c.Execute.raise_on_iopub_timeout): nbgrader's own 4 s and raise
# fail the whole notebook, every test 0, when a loaded machine is slow to deliver it.
c.OverwriteCells.add_missing_cells = True

# nbgrader's stages, with this course's in their places (graders/preprocessors/):
# CleanText keeps text UTF-8 cannot encode (a lone surrogate) as its escape, so the notebook can
# be saved; RestoreCellMetadata puts back the nbgrader metadata of the release's cells from the
# gradebook (a test cell unlocked by hand is restored, not a lost submission); DeduplicateCells
# keeps copy-pasted cells from losing the submission; SealedExecute is nbgrader's
# Execute (c.Execute settings apply) with the notebook's kernel sealed as the engine's runs are
# (c.GradingEngine.sandbox and the limits below apply to it too); SnapshotFiles keeps the
# files handed in as they were before the notebook ran (for the grader's re-runs); GuardGradebook
# undoes what a notebook did to gradebook.db while it ran; WarningsAreNotErrors moves a warning
# on stderr in a test cell to stdout (nbgrader scores any stderr 0); VerifyAnswers decides every
# test cell outside the student's kernel, from the grader's own sealed re-runs; ReviewCode lists
# code worth a look; SaveAutoGradesAtOnce is SaveAutoGrades with one commit per notebook instead
# of one per cell (the same scores, a fraction of the disk syncs); SaveFindings writes diagnoses,
# tampering, review hits and what the sanitising stages changed to the gradebook.
c.Autograde.sanitize_preprocessors = [
    CleanText, ClearOutput, RestoreCellMetadata, DeduplicateCells, OverwriteKernelspec,
    OverwriteCells, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SnapshotFiles, SealedExecute, GuardGradebook, IgnorePattern, WarningsAreNotErrors,
    ClearMetadataPreprocessor, VerifyAnswers, ReviewCode, LimitOutput, SaveAutoGradesAtOnce,
    SaveFindings, AssignLatePenalties, CheckCellMetadata,
]

# The grading engine (`graders autograde`): see docs/instructor-guide.md and docs/security.md.
# c.GradingEngine.workers = 0            # grading processes; 0 = one per core
# c.GradingEngine.memory_cap_gib = 4
# c.GradingEngine.sandbox = True         # False only to debug (same as --no-sandbox)
# c.GradingEngine.require_sandbox = False

# Feedback: the stock stages plus RedactHiddenTests, so students see each failed test's message
# but never the hidden test code (nbgrader shows it by default: jupyter/nbgrader#917, #1363), and
# ReadableFeedback: formulas as MathML and error messages that wrap instead of running off the
# page; graders/templates/feedback/ replaces nbconvert's MathJax loader in nbgrader's feedback
# template, so the page needs nothing from the internet.
c.GenerateFeedback.preprocessors = [
    GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor, ReadableFeedback,
]
c.HTMLExporter.extra_template_basedirs = [
    str(Path(graders.__file__).parent / "templates"),
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]
