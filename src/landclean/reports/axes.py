"""The charts' axes, the same for the SVG and the PNG: which days the time axis shows,
where its ticks go and how they read, and round steps for the values.

A time axis spans the data's days; the campaign's days too when the data lies in or near
the campaign (one report on 20/10/2025 is drawn on 01/09–30/11/2025), and at least a week
(one day far from the campaign: three days either side).  Ticks are whole days, weeks,
the 1st and 15th of months, months, quarters or years: the finest that leaves room for
every label.  Labels read DD/MM, or DD/MM/YYYY when the axis crosses a year.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence

MIN_DAYS = 6  # the narrowest time axis, in days from the first to the last
NEAR = dt.timedelta(days=31)  # data this close to the campaign is drawn on its days

Period = tuple[dt.date, dt.date]


def date_window(days: Sequence[dt.date], period: Period | None = None) -> Period:
    """The first and last day the time axis shows (``days``: the data's, not empty)."""
    lo, hi = min(days), max(days)
    if period and lo <= period[1] + NEAR and hi >= period[0] - NEAR:
        lo, hi = min(lo, period[0]), max(hi, period[1])
    missing = MIN_DAYS - (hi - lo).days
    if missing > 0:
        lo -= dt.timedelta(days=missing // 2)
        hi += dt.timedelta(days=missing - missing // 2)
    return lo, hi


def crosses_year(window: Period) -> bool:
    return window[0].year != window[1].year


def date_label(day: dt.date, window: Period) -> str:
    """DD/MM, with the year when the axis crosses one."""
    return day.strftime("%d/%m/%Y" if crosses_year(window) else "%d/%m")


def max_ticks(width: float, window: Period) -> int:
    """How many date labels fit in ``width`` pixels (at 11 px: DD/MM about 32 px wide)."""
    return max(2, int(width // (95 if crosses_year(window) else 60)))


def _every(step: int) -> Callable[[Period], Iterator[dt.date]]:
    def ticks(window: Period) -> Iterator[dt.date]:
        day = window[0]
        while day <= window[1]:
            yield day
            day += dt.timedelta(days=step)

    return ticks


def _mondays(window: Period) -> Iterator[dt.date]:
    day = window[0] + dt.timedelta(days=-window[0].weekday() % 7)
    while day <= window[1]:
        yield day
        day += dt.timedelta(days=7)


def _monthly(days_of_month: tuple[int, ...], months: int) -> Callable[[Period], Iterator[dt.date]]:
    def ticks(window: Period) -> Iterator[dt.date]:
        year, month = window[0].year, window[0].month
        while dt.date(year, month, 1) <= window[1]:
            if (month - 1) % months == 0:
                for d in days_of_month:
                    day = dt.date(year, month, d)
                    if window[0] <= day <= window[1]:
                        yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    return ticks


TICKERS = (
    _every(1),
    _every(2),
    _every(3),
    _mondays,
    _monthly((1, 15), 1),
    _monthly((1,), 1),
    _monthly((1,), 2),
    _monthly((1,), 3),
    _monthly((1,), 6),
    _monthly((1,), 12),
)


def date_ticks(window: Period, most: int) -> list[dt.date]:
    """The finest ticks of TICKERS with at most ``most`` in the window (at least two)."""
    for ticker in TICKERS:
        ticks = list(ticker(window))
        if 2 <= len(ticks) <= most:
            return ticks
        if len(ticks) < 2:  # coarser tickers give fewer still: the ends
            break
    years = max(1, math.ceil((window[1].year - window[0].year + 1) / most))
    ticks = [
        dt.date(y, 1, 1)
        for y in range(window[0].year, window[1].year + 1, years)
        if window[0] <= dt.date(y, 1, 1)
    ]
    return ticks if len(ticks) >= 2 else [window[0], window[1]]


def value_ticks(top: float, most: int = 5) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 times a power of ten; whole numbers) up to or
    just above ``top``: at most ``most`` + 1 values."""
    if top <= 0:
        return [0.0, 1.0]
    exponent = math.floor(math.log10(top / most))
    for power in (exponent, exponent + 1):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**power
            if step < 1 or (step != int(step)):
                continue
            count = math.ceil(top / step - 1e-9)
            if count <= most:
                return [step * i for i in range(count + 1)]
    step = 10.0 ** (exponent + 2)
    return [step * i for i in range(math.ceil(top / step) + 1)]
