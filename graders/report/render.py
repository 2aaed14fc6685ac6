"""The report's page: ``graders/templates/report/index.html.j2``, rendered by jinja2 with
autoescape (every value from the gradebook is text on the page).

Leans on jinja2; the template is this project's.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .csv_export import CSV_FILES

SHOWN_IDS = 20  # student ids shown per mistake before "and N more"
SHOWN_ROWS = 50  # rows of the flagged, review and submissions tables before the CSV takes over
ALL_SUBMISSIONS_UP_TO = 50  # the page lists every submission up to this many
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CHARTS = ("scores", "pass_rates", "mistakes", "times")  # drawn by .charts; None: not drawn
SECTIONS = [("scores", "Scores"), ("tests", "Exercises and tests"), ("mistakes", "Mistakes"),
            ("flagged", "Flagged"), ("review", "Review list"), ("time", "Time"),
            ("submissions", "Submissions")]



def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update({
        "g": lambda x: f"{x:g}",
        "fixed": lambda x, digits: f"{x:.{digits}f}",
        "plural": plural,
        # a table's header: "#" starts a numeric column (right-aligned), "@" an id column
        "column_name": lambda label: label.lstrip("#@"),
    })
    return env


def render(num: dict, charts: dict[str, bytes | None], title: str, generated: str) -> str:
    """The page: one HTML file, styles inline, charts as data URIs, no script."""
    template = _environment().get_template("report/index.html.j2")
    return template.render(
        num=num, title=title, generated=generated, sections=SECTIONS,
        charts={name: base64.b64encode(charts[name]).decode("ascii") if charts.get(name)
                else None for name in CHARTS},
        files=[*CSV_FILES, "report.json"], shown_ids=SHOWN_IDS, shown_rows=SHOWN_ROWS,
        all_submissions_up_to=ALL_SUBMISSIONS_UP_TO)
