"""The ``graders`` command (also ``python -m graders``): the course's own steps around nbgrader.

nbgrader does generate/autograde/feedback/export; these subcommands do what it does not:

* ``graders reference``: run the source solution and store the seeded answers the hidden tests use;
* ``graders demo``: copy the bundled demo submissions into ``submitted/`` (a fresh clone's set);
* ``graders autograde``: nbgrader's autograde, run by the fast, sealed, fault-proof engine of
  :mod:`graders.engine.batch`;
* ``graders serve``: grade each submission as it arrives in the nbgrader exchange and release its
  feedback (:mod:`graders.serve`);
* ``graders table``: print each student's score from the gradebook, after grading in ``make grade``;
* ``graders report``: the instructor's report (:mod:`graders.report`): ``reports/<assignment>/``,
  the last step of ``make grade``.
* ``graders gradescope``: write the autograder zip for a Gradescope programming assignment
  (:mod:`graders.gradescope`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

ASSIGNMENT = "tensors"


def _cmd_reference(args) -> int:
    from . import reference

    values = reference.compute(Path(args.source))
    problems = reference.published_mismatches(values)
    if problems:
        print("The source solution no longer reproduces the lesson's published values:")
        for problem in problems:
            print(f"  {problem}")
        print("Fix the solution in the source notebook; nothing was written.")
        return 1
    path = reference.write(values, Path(args.output)) if args.output else reference.write(values)
    print(f"Wrote reference values to {path}")
    for exercise, names in values.items():
        for name, value in names.items():
            if name in ("y", "h", "output"):
                print(f"  {exercise}.{name} = {value}")
    return 0


def _cmd_demo(args) -> int:
    from .submission_builder import build_submission, read_cell_file, write_submission

    release = Path(args.release)
    if not release.exists():
        print(f"No release notebook at {release}: run `nbgrader generate_assignment "
              f"{ASSIGNMENT}` (or `make release`) first.", file=sys.stderr)
        return 2
    files = sorted(Path(args.demo).glob("*.py"))
    if not files:
        print(f"No demo cell files in {args.demo}.", file=sys.stderr)
        return 2
    submitted = Path(args.into)
    for cell_file in map(read_cell_file, files):
        target_dir = submitted / cell_file.student / ASSIGNMENT
        if target_dir.exists() and not args.force:
            print(f"  kept     {cell_file.student}: {target_dir} exists (use --force to replace)")
            continue
        nb = build_submission(release, cell_file)
        path = write_submission(nb, submitted, cell_file.student, ASSIGNMENT, ASSIGNMENT)
        print(f"  demo     {cell_file.student}: {cell_file.description} -> {path}")
    return 0


def _cmd_autograde(args) -> int:
    from .engine import nbgrader_caching  # noqa: F401, I001 - first: it trims jsonschema imports
    from .autograde import autograde, interrupt
    from .engine.progress import Progress, summary

    signal.signal(signal.SIGTERM, interrupt)  # a clean stop, as on Ctrl-C
    try:
        report = autograde(
            Path(args.root), args.assignment, students=args.student, force=args.force,
            workers=args.workers, memory_cap_gib=args.memory_cap,
            sandbox=False if args.no_sandbox else None,
            require_sandbox=True if args.require_sandbox else None, progress=Progress(),
            scheduler=args.scheduler,
        )
    except KeyboardInterrupt:
        print("\nInterrupted. Every submission finished so far is recorded; run the same "
              "command again to grade the rest.", file=sys.stderr)
        return 130
    print(summary(report))
    return 1 if any(o.status == "failed" for o in report.outcomes.values()) else 0


def _cmd_serve(args) -> int:
    from .engine import nbgrader_caching  # noqa: F401, I001 - first: it trims jsonschema imports
    from .serve import Service

    service = Service(Path(args.root), args.assignment, scheduler=args.scheduler)
    return service.run(once=args.once)


def _cmd_table(args) -> int:
    from .grade_table import print_table

    return print_table(args.db, args.assignment)


def _cmd_report(args) -> int:
    from .report import main as report

    return report(args.root, args.assignment, out=args.out, db=args.db)


def _cmd_gradescope(args) -> int:
    from .gradescope.build import BuildError, build, describe

    try:
        path = build(Path(args.root), args.assignment, Path(args.out) if args.out else None,
                     visibility=args.visibility, venv=args.venv)
    except BuildError as err:
        print(f"{err}\nNothing was written.", file=sys.stderr)
        return 2
    print(describe(path))
    print(f"\nUpload it on Gradescope: the programming assignment's Configure Autograder page, "
          f"Zip file upload (see README, \"Using Gradescope\"). Students submit "
          f"{args.assignment}.ipynb.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graders", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ref = sub.add_parser("reference", help="run the source solution; store the seeded answers")
    ref.add_argument("--source", default=f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    ref.add_argument("--output", help="where to write (default: graders/reference_values.json)")
    ref.set_defaults(func=_cmd_reference)

    demo = sub.add_parser("demo", help="copy the demo submissions into submitted/")
    demo.add_argument("--demo", default="demo", help="folder of demo cell files")
    demo.add_argument("--release", default=f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    demo.add_argument("--into", default="submitted")
    demo.add_argument("--force", action="store_true", help="replace existing demo students")
    demo.set_defaults(func=_cmd_demo)

    grade = sub.add_parser("autograde", help="grade submitted/ fast, in parallel, fault-proof")
    grade.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    grade.add_argument("--student", action="append", metavar="ID",
                       help="grade only this student (repeatable)")
    grade.add_argument("--force", action="store_true", help="regrade students already graded")
    grade.add_argument("--workers", type=int,
                       help="grading processes (default: one per core); each keeps two "
                            "notebooks (and the grader's re-runs of them) running, so its own "
                            "work overlaps theirs (with --scheduler, the runs go to Dask and "
                            "these processes do the rest)")
    grade.add_argument("--memory-cap", type=float, metavar="GIB",
                       help="memory a submission may allocate (default 4 GiB)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run submissions without the sandbox (to debug only)")
    grade.add_argument("--require-sandbox", action="store_true",
                       help="refuse to grade if this kernel lacks part of the sandbox")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the submissions on the workers of this Dask scheduler "
                            "(tcp://host:8786; needs the 'dask' extra); the gradebook and "
                            "autograded/ stay here (default: c.GradingEngine.scheduler, or "
                            "this machine)")
    grade.add_argument("--root", default=".", help="the course folder (default: here)")
    grade.set_defaults(func=_cmd_autograde)

    serve = sub.add_parser("serve", help="grade each submission as it arrives in the exchange "
                                         "and release its feedback")
    serve.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    serve.add_argument("--root", default=".", help="the course folder (default: here)")
    serve.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on this Dask scheduler's workers instead of this machine")
    serve.add_argument("--once", action="store_true",
                       help="grade what is waiting, then stop (instead of watching)")
    serve.set_defaults(func=_cmd_serve)

    table = sub.add_parser("table", help="print each student's score from the gradebook")
    table.add_argument("--db", default="gradebook.db")
    table.add_argument("--assignment", default=ASSIGNMENT)
    table.set_defaults(func=_cmd_table)

    report = sub.add_parser("report", help="write the instructor's report: "
                                           "reports/<assignment>/index.html")
    report.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    report.add_argument("--root", default=".", help="the course folder (default: here)")
    report.add_argument("--db", help="the gradebook: a file or a database URL (default: the "
                                     "course's, from nbgrader_config.py)")
    report.add_argument("--out", help="folder to write (default: <root>/reports/<assignment>)")
    report.set_defaults(func=_cmd_report)

    gradescope = sub.add_parser("gradescope", help="write the Gradescope autograder zip "
                                "(dist/<assignment>-gradescope.zip)")
    gradescope.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    gradescope.add_argument("--out", help="where to write the zip "
                                          "(default: dist/<assignment>-gradescope.zip)")
    gradescope.add_argument("--visibility", default="split",
                            choices=("split", "after_published", "after_due_date", "visible",
                                     "hidden"),
                            help="when students see each test on Gradescope: split (default: "
                                 "type and shape tests at once, the others after the grades "
                                 "are published), or one setting for all (hidden is refused: "
                                 "Gradescope shows the total while tests are hidden)")
    gradescope.add_argument("--venv", default="/opt/graders-venv",
                            help="where setup.sh installs the grading environment on "
                                 "Gradescope's image (default: /opt/graders-venv)")
    gradescope.add_argument("--root", default=".", help="the course folder (default: here)")
    gradescope.set_defaults(func=_cmd_gradescope)

    args = parser.parse_args(argv)
    return args.func(args)
