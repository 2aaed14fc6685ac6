"""The report's charts: PNGs drawn by matplotlib (Agg backend, no display).

Leans on matplotlib; the choice and layout of the charts are written here.
"""

from __future__ import annotations

import io
import statistics


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


BLUE, GREY, RED = "#3b6ea8", "#9aa5b1", "#c0504d"
#: Inches at 100 dpi: 680 px, shown at that width on a wide screen and scaled down at most to
#: 0.8 at 600 px, so that text of 9 points or more stays about 10 px or more (a chart drawn for
#: the whole 1,100 px column was halved there, its 8-point labels to 6 px).
CHART_WIDTH = 6.8
SMALL, LABEL, TITLE = 9, 10, 11  # font sizes in points (1 point = 1.39 px at 100 dpi)
EXERCISE_COLOURS = ["#3b6ea8", "#5b9a5b", "#c07a2c", "#8a5aa8", "#4a9aa8", "#a85a6a"]


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor="white")
    return buffer.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=LABEL)


def chart_scores(num: dict) -> bytes:
    dist = {float(k): v for k, v in num["scores"]["distribution"].items()}
    max_score = num["max_score"]
    fig = _figure(CHART_WIDTH, 2.8)
    ax = fig.add_subplot()
    if all(k.is_integer() for k in dist) and max_score <= 60:
        xs = list(range(int(max_score) + 1))
        ys = [dist.get(float(x), 0) for x in xs]
        bars = ax.bar(xs, ys, color=BLUE, width=0.8)
        ax.set_xticks(xs if len(xs) <= 31 else xs[::5])
        if len(xs) <= 31:
            ax.bar_label(bars, labels=[str(y) if y else "" for y in ys], fontsize=SMALL, padding=1)
    else:
        values = [k for k, v in dist.items() for _ in range(v)]
        ax.hist(values, bins=20, range=(0, max_score), color=BLUE)
    ax.set_xlabel(f"score (of {max_score:g})", fontsize=LABEL)
    ax.set_ylabel("submissions", fontsize=LABEL)
    ax.set_title(f"Scores of {_n(num['submissions'], 'submission')}", fontsize=TITLE, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.margins(y=0.15)
    _style(ax)
    return _png(fig)


def chart_pass_rates(num: dict) -> bytes:
    labels, rates, colours, weights = [], [], [], []
    for i, ex in enumerate(num["exercises"]):
        colour = EXERCISE_COLOURS[i % len(EXERCISE_COLOURS)]
        labels.append(f"Exercise {ex['label']}: all tests")
        rates.append(ex["pass_rate"])
        colours.append(colour)
        weights.append("bold")
        for row in (r for r in num["tests"] if r["exercise"] == ex["exercise"]):
            labels.append(f"{row['test']} ({row['points']:g} pt)")
            rates.append(row["pass_rate"])
            colours.append(colour + "99")
            weights.append("normal")
    fig = _figure(CHART_WIDTH, 0.7 + 0.27 * len(labels))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    bars = ax.barh(ys, rates, color=colours, height=0.72)
    ax.bar_label(bars, labels=[f"{r:.0f}%" for r in rates], fontsize=SMALL, padding=2)
    ax.set_yticks(ys, labels, fontsize=SMALL)
    for tick, weight in zip(ax.get_yticklabels(), weights, strict=True):
        tick.set_fontweight(weight)
    ax.set_xlim(0, 108)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title("Passed (full marks), by exercise and test cell", fontsize=TITLE, loc="left")
    _style(ax)
    return _png(fig)


def chart_mistakes(num: dict, top: int = 15) -> bytes | None:
    rows = num["mistakes"][:top]
    if not rows:
        return None
    fig = _figure(CHART_WIDTH, 0.9 + 0.27 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    colours = [BLUE if r["kind"] == "mistake" else GREY for r in rows]
    bars = ax.barh(ys, [r["count"] for r in rows], color=colours, height=0.72)
    ax.bar_label(bars, labels=[str(r["count"]) for r in rows], fontsize=SMALL, padding=2)
    ax.set_yticks(ys, [r["code"] for r in rows], fontsize=SMALL)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.margins(x=0.1)
    more = len(num["mistakes"]) - len(rows)
    ax.set_title("Students per diagnosis code" + (f" (top {len(rows)}; {more} more in the "
                                                  "table)" if more > 0 else ""),
                 fontsize=TITLE, loc="left")
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=BLUE, label="catalogued mistake"),
                        Patch(color=GREY, label="general code")],
               fontsize=SMALL, frameon=False, loc="outside upper right", ncols=2)
    ax.set_xlabel("students", fontsize=LABEL)
    _style(ax)
    return _png(fig)


def chart_times(seconds: list[float]) -> bytes | None:
    if not seconds:
        return None
    fig = _figure(CHART_WIDTH, 2.6)
    ax = fig.add_subplot()
    bins = max(5, min(40, len(seconds)))
    ax.hist(seconds, bins=bins, color=BLUE)
    median = statistics.median(seconds)
    ax.axvline(median, color=RED, linestyle="--", linewidth=1.2,
               label=f"median {median:.2f} s")
    ax.legend(fontsize=SMALL, frameon=False)
    ax.set_xlabel("seconds to grade one submission (graders autograde)", fontsize=LABEL)
    ax.set_ylabel("submissions", fontsize=LABEL)
    ax.set_title(f"Time per submission ({len(seconds)} recorded)", fontsize=TITLE, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(left=0)
    _style(ax)
    return _png(fig)
