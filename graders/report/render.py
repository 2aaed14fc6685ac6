"""The report's page: ``graders/templates/report/index.html.j2``, rendered by jinja2 with
autoescape (every value from the gradebook is text on the page)."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .csv_export import CSV_FILES

SHOWN_IDS = 20  # student ids shown per mistake before "and N more"
SHOWN_ROWS = 50  # rows of the flagged, review and submissions tables before the CSV takes over
ALL_SUBMISSIONS_UP_TO = 50  # the page lists every submission up to this many
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SECTIONS = [("scores", "Scores"), ("tests", "Exercises and tests"), ("mistakes", "Mistakes"),
            ("flagged", "Flagged"), ("review", "Review list"), ("time", "Time"),
            ("submissions", "Submissions")]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 0 20px 40px; color: #1f2933;
       line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0.8em 0 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #d9dee3;
     padding-bottom: 0.2em; }
.sub { color: #52606d; margin: 0 0 0.8em; font-size: 0.92em; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
nav a { margin-right: 0.8em; font-size: 0.92em; white-space: nowrap; display: inline-block; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 1em 0; }
.card { border: 1px solid #d9dee3; border-radius: 6px; padding: 6px 12px; min-width: 100px; }
.card b { display: block; font-size: 1.35em; }
.card span { color: #52606d; font-size: 0.85em; }
.card.warn { border-color: #c0504d; }
img.chart { display: block; max-width: 100%; height: auto; margin: 0.6em 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; width: 100%; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
table.narrow { width: auto; min-width: 320px; }
td.id, th.id { white-space: nowrap; }
th { background: #f5f7fa; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.exercise td { font-weight: 600; background: #f9fafb; }
code { font-size: 0.92em; }
.tag { display: inline-block; border-radius: 3px; padding: 0 5px; font-size: 0.8em;
       background: #e4e7eb; margin: 1px 2px 1px 0; white-space: nowrap; }
.tag.mistake { background: #dbe7f5; } .tag.tampering, .tag.bad { background: #f5d9d8; }
.note { color: #52606d; font-size: 0.88em; }
details summary { cursor: pointer; }
.ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; }
a.tag { color: inherit; }
/* Narrow screens (a phone, a half-width window): each row becomes a block of "column: value"
   lines, so no table is wider than the page; charts are drawn for this width too. */
@media (max-width: 720px) {
  body { padding: 0 12px 30px; }
  table, table.narrow { min-width: 0; width: 100%; }
  table thead { display: none; }
  table, table tbody, table tr, table td { display: block; }
  table tr { border-bottom: 1px solid #c5ccd3; padding: 4px 0; }
  table td, td.num, td.id { border: none; padding: 1px 4px; text-align: left;
                            white-space: normal; overflow-wrap: anywhere; }
  table td::before { content: attr(data-label) ": "; color: #52606d; font-size: 0.9em; }
  table td[data-label=""]::before, table td:first-child::before { content: none; }
  table td:first-child { font-weight: 600; }
  table td:empty { display: none; }
  tr.exercise td { background: none; }
  tr.exercise { background: #f9fafb; }
}
"""


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
        num=num, title=title, generated=generated, css=CSS, sections=SECTIONS,
        charts={name: base64.b64encode(png).decode("ascii") if png else None
                for name, png in charts.items()},
        files=[*CSV_FILES, "report.json"], shown_ids=SHOWN_IDS, shown_rows=SHOWN_ROWS,
        all_submissions_up_to=ALL_SUBMISSIONS_UP_TO)
