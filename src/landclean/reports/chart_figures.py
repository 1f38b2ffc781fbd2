"""The reports' charts drawn with matplotlib (Agg, no display; its bundled DejaVu fonts
cover Vietnamese) for the PNG files: the same axes, ticks, target and legend as the SVG
that ``reports.charts`` draws by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landclean.reports.charts import (
    COLOURS,
    DOTS,
    LAGGARD,
    TARGET,
    BarChart,
    Chart,
    LineChart,
    tick_text,
)


def figure(chart: Chart) -> Any:
    """The chart as a matplotlib Figure (Agg), with the SVG's axes and legend."""
    return line_figure(chart) if isinstance(chart, LineChart) else bar_figure(chart)


def write_png(chart: Chart, path: Path) -> None:
    """The chart drawn as a PNG file."""
    figure(chart).savefig(path, format="png", metadata={"Title": chart.title})


def line_figure(chart: LineChart) -> Any:
    """The chart as a matplotlib Figure (Agg), with the SVG's axes and legend."""
    import matplotlib.dates as mdates

    fig, ax = _figure(6.4, 3.4)
    for i, (words, values) in enumerate(chart.series.items()):
        points = sorted(values)
        ax.plot(
            [mdates.date2num(d) for d, _ in points],
            [v for _, v in points],
            marker="o" if len(points) <= DOTS else None,
            markersize=3 if len(points) > 2 else 5,
            linewidth=2,
            color=COLOURS[i % len(COLOURS)],
            label=words,
        )
    lo, hi = chart.window()
    if chart.target:
        ax.axhline(
            chart.target.value, color=TARGET, linestyle=(0, (6, 4)), linewidth=1.2,
            label=chart.target.label,
        )  # fmt: skip
        if chart.target.day and lo <= chart.target.day <= hi:
            ax.axvline(
                mdates.date2num(chart.target.day), color=TARGET, linestyle=(0, (2, 3)),
                linewidth=0.8,
            )  # fmt: skip
    ax.set_xlim(mdates.date2num(lo), mdates.date2num(hi))
    ticks = chart.x_ticks()
    ax.set_xticks([mdates.date2num(d) for d, _ in ticks], [w for _, w in ticks])
    y_ticks = chart.y_ticks()
    ax.set_yticks(y_ticks, [tick_text(v, chart.decimal_comma) for v in y_ticks])
    ax.set_ylim(0, y_ticks[-1])
    if chart.year():
        ax.set_xlabel(chart.year(), loc="right", fontsize=8)
    ax.grid(axis="y", color="#eee")
    ax.tick_params(labelsize=8)
    fig.legend(loc="outside lower left", ncols=2, frameon=False, fontsize=8, handlelength=2.5)
    fig.suptitle(chart.title, x=0.01, ha="left", fontsize=10, fontweight="bold")
    return fig


def bar_figure(chart: BarChart) -> Any:
    """The chart as a matplotlib Figure (Agg), with the SVG's legend."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.patheffects import withStroke

    fig, ax = _figure(6.4, 0.9 + 0.14 * max(len(chart.bars), 1))
    labels = [label for label, _ in chart.bars]
    values = [value for _, value in chart.bars]
    rows = list(range(len(chart.bars)))
    ax.barh(
        rows,
        values,
        color=[LAGGARD if label in chart.flagged else COLOURS[0] for label in labels],
        height=0.8,
    )
    marked = [(row, chart.marks[label]) for row, label in enumerate(labels) if label in chart.marks]
    if marked:
        ax.vlines(
            [v for _, v in marked], [r - 0.45 for r, _ in marked],
            [r + 0.45 for r, _ in marked], colors="#000", linewidth=1.2,
        )  # fmt: skip
    if chart.target:
        ax.axvline(chart.target.value, color=TARGET, linestyle=(0, (6, 4)), linewidth=1)
    ax.set_yticks(rows, labels, fontsize=7)
    ax.invert_yaxis()
    top = chart.scale_top()
    ax.set_xlim(0, top * 1.12)
    halo = [withStroke(linewidth=3, foreground="white")]
    for row, value in zip(rows, values, strict=True):
        text = f"{value:.2f}"
        text = (text.replace(".", ",") if chart.decimal_comma else text) + " " + chart.unit
        ax.text(value + top * 0.01, row, text, va="center", fontsize=6, path_effects=halo)
    ax.margins(y=0.002)
    handles: list[Any] = []
    for kind, colour, words in chart.legend():
        if kind == "box":
            handles.append(Patch(color=colour, label=words))
        else:
            handles.append(
                Line2D(
                    [], [], color=colour, label=words,
                    linestyle=(0, (6, 4)) if kind == "dash" else "none",
                    marker="|" if kind == "mark" else None, markersize=9,
                )
            )  # fmt: skip
    if handles:  # above the bars, under the title
        ax.legend(
            handles=handles, loc="lower left", bbox_to_anchor=(-0.3, 1.0), ncols=2,
            frameon=False, fontsize=8, handlelength=2.5,
        )  # fmt: skip
    fig.suptitle(chart.title, x=0.01, ha="left", fontsize=10, fontweight="bold")
    return fig


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure  # Agg, no display, safe off the main thread

    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax
