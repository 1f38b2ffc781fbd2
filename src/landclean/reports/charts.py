"""The reports' charts: self-contained SVG (inlined in the HTML) and PNG (for documents).

A chart is data (``LineChart``: series over dates, progress over time; ``BarChart``: one
horizontal bar per commune, the ranking, laggards in another colour).  ``svg()`` draws
it by hand, small and inline; ``write_png()`` draws the same data with matplotlib's Agg
renderer and its bundled DejaVu fonts, which cover Vietnamese.  Dates DD/MM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
LAGGARD = "#d62728"
FONT = 'font-family="sans-serif" font-size="11"'


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value >= 1000 else f"{value:g}"


def line_chart(
    title: str,
    series: dict[str, list[tuple[dt.date, float]]],
    width: int = 640,
    height: int = 280,
) -> str:
    """Series over dates: one polyline each, with axes, ticks and a legend."""
    left, right, top, bottom = 60, 150, 30, 40
    points = [p for values in series.values() for p in values]
    if not points:
        return _empty(title, width)
    days = [p[0] for p in points]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    top_value = max(max(p[1] for p in points), 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: dt.date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    parts = [_header(title, width, height)]
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>'
    )
    for i in range(5):
        v = top_value * i / 4
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" {FONT}>{_fmt(v)}</text>'
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" '
            'stroke="#eee"/>'
        )
    for day in sorted(set(days)):
        parts.append(
            f'<text x="{x(day):.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>'
            f"{day:%d/%m}</text>"
        )
    for i, (label, values) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in sorted(values))
        parts.append(
            f'<polyline class="series" data-label="{escape(label)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" points="{coords}"/>'
        )
        for d, v in values:
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>')
        ly = top + 14 + 16 * i
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{ly - 9}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 26}" y="{ly}" {FONT}>'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    bars: list[tuple[str, float]],
    flagged: set[str],
    unit: str = "%",
    decimal_comma: bool = True,
) -> str:
    """One horizontal bar per label (values 0-100 for %), flagged labels in red."""
    row, left, width = 14, 190, 640
    height = 40 + row * len(bars)
    top_value = max([v for _, v in bars] + [100.0 if unit == "%" else 1.0])
    parts = [_header(title, width, height)]
    for i, (label, value) in enumerate(bars):
        yy = 30 + i * row
        w = (width - left - 60) * value / top_value
        colour = LAGGARD if label in flagged else COLOURS[0]
        parts.append(
            f'<text x="{left - 6}" y="{yy + 10}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect class="bar" data-label="{escape(label)}" x="{left}" y="{yy}" '
            f'width="{w:.1f}" height="{row - 3}" fill="{colour}"/>'
            f'<text x="{left + w + 4:.1f}" y="{yy + 10}" {FONT}>'
            f"{_value(value, unit, decimal_comma)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class LineChart:
    title: str
    series: dict[str, list[tuple[dt.date, float]]]

    def svg(self) -> str:
        return line_chart(self.title, self.series)

    def write_png(self, path: Path) -> None:
        fig, ax = _figure(6.4, 2.8)
        for i, (label, values) in enumerate(self.series.items()):
            points = sorted(values)
            ax.plot(
                [d for d, _ in points],
                [v for _, v in points],
                marker="o",
                markersize=3,
                linewidth=2,
                color=COLOURS[i % len(COLOURS)],
                label=label,
            )
        import matplotlib.dates as mdates
        import matplotlib.ticker as mticker

        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: _fmt(v)))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#eee")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        _save(fig, self.title, path)


@dataclass
class BarChart:
    title: str
    bars: list[tuple[str, float]]
    flagged: set[str] = field(default_factory=set)
    unit: str = "%"
    decimal_comma: bool = True

    def svg(self) -> str:
        return bar_chart(self.title, self.bars, self.flagged, self.unit, self.decimal_comma)

    def write_png(self, path: Path) -> None:
        fig, ax = _figure(6.4, 0.4 + 0.14 * max(len(self.bars), 1))
        labels = [label for label, _ in self.bars]
        values = [value for _, value in self.bars]
        rows = list(range(len(self.bars)))
        ax.barh(
            rows,
            values,
            color=[LAGGARD if label in self.flagged else COLOURS[0] for label in labels],
            height=0.8,
        )
        ax.set_yticks(rows, labels, fontsize=7)
        ax.invert_yaxis()
        top = max([*values, 100.0 if self.unit == "%" else 1.0])
        ax.set_xlim(0, top * 1.12)
        for row, value in zip(rows, values, strict=True):
            text = f"{value:.2f}"
            text = (text.replace(".", ",") if self.decimal_comma else text) + " " + self.unit
            ax.text(value + top * 0.01, row, text, va="center", fontsize=6)
        ax.margins(y=0.002)
        _save(fig, self.title, path)


Chart = LineChart | BarChart


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure  # Agg, no display, safe off the main thread

    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _save(fig, title: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
    fig.savefig(path, format="png", metadata={"Title": title})


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
