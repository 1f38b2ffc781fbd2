"""The reports' charts: self-contained SVG (inlined in the HTML) and PNG (for documents).

A chart is data (``LineChart``: series over dates, progress over time; ``BarChart``: one
horizontal bar per commune, the ranking, laggards in another colour), with its target
(``Target``: a dashed line, named in the legend).  ``svg()`` draws it by hand, small and
inline; ``figure()`` draws the same data with matplotlib (``reports.chart_figures``)
and ``write_png()`` saves that.  Both draw the same
time axis, ticks and labels (``reports.axes``): dates DD/MM, the year beside the axis
(in every label when the axis crosses a year).  Every series, the target and, in the
ranking, the laggards' colour are named in a legend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from landclean.reports.axes import (
    Period,
    crosses_year,
    date_label,
    date_ticks,
    date_window,
    max_ticks,
    value_ticks,
)

COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
LAGGARD = "#d62728"
TARGET = "#333333"
DASH = "6 4"
FONT = 'font-family="sans-serif" font-size="11"'
HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
DOTS = 31  # a series of more points is drawn as a line only
CHAR = 7.0  # width of a character at 11 px, generously (for laying out the legend)


def tick_text(value: float, decimal_comma: bool = True) -> str:
    """A tick value: 12.500 (vi) or 12,500 (en); 2,5 or 2.5."""
    if value >= 1000:
        text = f"{value:,.0f}"
        return text.replace(",", ".") if decimal_comma else text
    text = f"{value:g}"
    return text.replace(".", ",") if decimal_comma else text


@dataclass(frozen=True)
class Target:
    """A chart's goal, drawn as a dashed line: the value to reach (in the chart's unit),
    what it is (the legend's words), and the day it is due (a dashed mark on the time
    axis when the axis shows that day)."""

    value: float
    label: str
    day: dt.date | None = None


# A legend item: (kind, colour, words); kind: "line", "dash", "box" or "mark".
LegendItem = tuple[str, str, str]


def _legend(items: list[LegendItem], x0: float, y0: float, right: float) -> tuple[str, float]:
    """Legend items flowed left to right from (x0, y0), wrapped at ``right``: the SVG and
    the height it takes."""
    parts, x, y = [], x0, y0
    for kind, colour, words in items:
        width = 22 + CHAR * len(words) + 20  # swatch, words, gap
        if x > x0 and x + width > right:
            x, y = x0, y + 16
        mid = y - 4
        if kind == "box":
            swatch = f'<rect x="{x}" y="{mid - 5}" width="14" height="10" fill="{colour}"/>'
        elif kind == "mark":
            swatch = (
                f'<line x1="{x + 7}" y1="{mid - 6}" x2="{x + 7}" y2="{mid + 6}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        else:
            dash = f' stroke-dasharray="{DASH}"' if kind == "dash" else ""
            swatch = (
                f'<line x1="{x}" y1="{mid}" x2="{x + 18}" y2="{mid}" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
            if kind == "line":
                swatch += f'<circle cx="{x + 9}" cy="{mid}" r="2.5" fill="{colour}"/>'
        parts.append(
            f'<g class="legend" data-kind="{kind}">{swatch}'
            f'<text x="{x + 22}" y="{y}" {FONT}>{escape(words)}</text></g>'
        )
        x += width
    return "".join(parts), y - y0 + 16


@dataclass
class LineChart:
    """Series over dates (``series``: words → (day, value) points), on the campaign's days
    when the data lies in or near them (``period``), with the target's dashed line."""

    title: str
    series: dict[str, list[tuple[dt.date, float]]]
    target: Target | None = None
    period: Period | None = None
    decimal_comma: bool = True

    WIDTH, LEFT, RIGHT, TOP, PLOT_H = 640, 60, 24, 30, 200

    def window(self) -> Period:
        return date_window(self._days() or [dt.date.today()], self.period)

    def x_ticks(self) -> list[tuple[dt.date, str]]:
        """The time axis' ticks and their labels (the SVG's and the PNG's)."""
        window = self.window()
        plot_w = self.WIDTH - self.LEFT - self.RIGHT
        return [(d, date_label(d, window)) for d in date_ticks(window, max_ticks(plot_w, window))]

    def year(self) -> str:
        """The year written beside the time axis ('' when every label has its year)."""
        window = self.window()
        return "" if crosses_year(window) else str(window[0].year)

    def y_ticks(self) -> list[float]:
        values = [v for points in self.series.values() for _, v in points]
        if self.target:
            values.append(self.target.value)
        return value_ticks(max(values, default=0.0) * 1.04)

    def legend(self) -> list[LegendItem]:
        items: list[LegendItem] = [
            ("line", COLOURS[i % len(COLOURS)], words) for i, words in enumerate(self.series)
        ]
        if self.target:
            items.append(("dash", TARGET, self.target.label))
        return items

    def _days(self) -> list[dt.date]:
        return [d for points in self.series.values() for d, _ in points]

    def svg(self) -> str:
        if not self._days():
            return _empty(self.title, self.WIDTH)
        left, top, plot_h = self.LEFT, self.TOP, self.PLOT_H
        plot_w = self.WIDTH - left - self.RIGHT
        lo, hi = self.window()
        span = (hi - lo).days
        y_ticks = self.y_ticks()

        def x(day: dt.date) -> float:
            return left + plot_w * (day - lo).days / span

        def y(value: float) -> float:
            return top + plot_h * (1 - value / y_ticks[-1])

        base = top + plot_h
        parts = []
        for v in y_ticks:
            parts.append(
                f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" '
                f'stroke="#eee"/><text class="ytick" x="{left - 6}" y="{y(v) + 4:.1f}" '
                f'text-anchor="end" {FONT}>{tick_text(v, self.decimal_comma)}</text>'
            )
        parts.append(
            f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#555"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#555"/>'
        )
        for day, words in self.x_ticks():
            parts.append(
                f'<line x1="{x(day):.1f}" y1="{base}" x2="{x(day):.1f}" y2="{base + 4}" '
                f'stroke="#555"/><text class="xtick" x="{x(day):.1f}" y="{base + 16}" '
                f'text-anchor="middle" {FONT}>{words}</text>'
            )
        if self.year():
            parts.append(
                f'<text class="year" x="{left + plot_w}" y="{base + 30}" text-anchor="end" '
                f"{FONT}>{self.year()}</text>"
            )
        if self.target:
            t = self.target
            parts.append(
                f'<line class="target" data-label="{escape(t.label)}" x1="{left}" '
                f'y1="{y(t.value):.1f}" x2="{left + plot_w}" y2="{y(t.value):.1f}" '
                f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="{DASH}"/>'
            )
            if t.day and lo <= t.day <= hi:
                parts.append(
                    f'<line class="target-day" x1="{x(t.day):.1f}" y1="{top}" '
                    f'x2="{x(t.day):.1f}" y2="{base}" stroke="{TARGET}" stroke-width="1" '
                    f'stroke-dasharray="2 3"/>'
                )
        for i, (words, values) in enumerate(self.series.items()):
            colour = COLOURS[i % len(COLOURS)]
            points = sorted(values)
            coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
            parts.append(
                f'<polyline class="series" data-label="{escape(words)}" fill="none" '
                f'stroke="{colour}" stroke-width="2" points="{coords}"/>'
            )
            r = 2.5 if len(points) > 2 else 4
            parts += [
                f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="{r}" fill="{colour}"/>'
                for d, v in points
                if len(points) <= DOTS
            ]
        legend, legend_h = _legend(self.legend(), left, base + 50, self.WIDTH - 8)
        height = int(base + 50 + legend_h)
        return _header(self.title, self.WIDTH, height) + "".join(parts) + legend + "</svg>"


@dataclass
class BarChart:
    """One horizontal bar per label (values 0-100 for %): ``flagged`` labels in red,
    ``marks`` (label → value) a label's own target, ``target`` the common one; the
    legend names the red and the blue bars with ``flagged_label`` and ``others_label``."""

    title: str
    bars: list[tuple[str, float]]
    flagged: set[str] = field(default_factory=set)
    unit: str = "%"
    decimal_comma: bool = True
    target: Target | None = None
    marks: dict[str, float] = field(default_factory=dict)
    flagged_label: str = ""
    others_label: str = ""
    marks_label: str = ""

    WIDTH, LEFT, ROW = 640, 190, 14

    def legend(self) -> list[LegendItem]:
        items: list[LegendItem] = []
        flagged = any(label in self.flagged for label, _ in self.bars)
        if flagged and self.flagged_label:
            items.append(("box", LAGGARD, self.flagged_label))
        others = any(label not in self.flagged for label, _ in self.bars)
        if others and self.others_label:
            items.append(("box", COLOURS[0], self.others_label))
        if self.target:
            items.append(("dash", TARGET, self.target.label))
        if self.marks and self.marks_label:
            items.append(("mark", "#000", self.marks_label))
        return items

    def scale_top(self) -> float:
        """The value at the bars' full length."""
        values = [v for _, v in self.bars] + [*self.marks.values()]
        values += [self.target.value] if self.target else []
        return max([*values, 100.0 if self.unit == "%" else 1.0])

    def svg(self) -> str:
        left, row, width = self.LEFT, self.ROW, self.WIDTH
        legend, legend_h = _legend(self.legend(), 8, 38, width - 8)
        first = int(30 + legend_h + 6)
        height = first + row * len(self.bars) + 10
        scale = (width - left - 60) / self.scale_top()
        parts = [_header(self.title, width, height), legend]
        for i, (label, value) in enumerate(self.bars):
            yy = first + i * row
            w = scale * value
            colour = LAGGARD if label in self.flagged else COLOURS[0]
            parts.append(
                f'<text x="{left - 6}" y="{yy + 10}" text-anchor="end" {FONT}>{escape(label)}'
                f'</text><rect class="bar" data-label="{escape(label)}" x="{left}" y="{yy}" '
                f'width="{w:.1f}" height="{row - 3}" fill="{colour}"/>'
            )
            if label in self.marks:
                mx = left + scale * self.marks[label]
                parts.append(
                    f'<line class="mark" x1="{mx:.1f}" y1="{yy - 1}" x2="{mx:.1f}" '
                    f'y2="{yy + row - 2}" stroke="#000" stroke-width="2"/>'
                )
        if self.target:
            tx = left + scale * self.target.value
            parts.append(
                f'<line class="target" data-label="{escape(self.target.label)}" '
                f'x1="{tx:.1f}" y1="{first - 4}" x2="{tx:.1f}" y2="{first + row * len(self.bars)}"'
                f' stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="{DASH}"/>'
            )
        for i, (_, value) in enumerate(self.bars):  # values above the target line
            parts.append(
                f'<text x="{left + scale * value + 4:.1f}" y="{first + i * row + 10}" {HALO} '
                f"{FONT}>{_value(value, self.unit, self.decimal_comma)}</text>"
            )
        parts.append("</svg>")
        return "".join(parts)


Chart = LineChart | BarChart


def _value(value: float, unit: str, decimal_comma: bool) -> str:
    text = f"{value:.2f}"
    return escape((text.replace(".", ",") if decimal_comma else text) + " " + unit)


def _header(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title><text x="8" y="16" font-family="sans-serif" '
        f'font-size="13" font-weight="bold">{escape(title)}</text>'
    )


def _empty(title: str, width: int) -> str:
    return _header(title, width, 40) + "</svg>"
