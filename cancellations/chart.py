"""The rate chart: rolling 7-day rate per day against the target line.

``svg_chart`` writes self-contained inline SVG (no script, no CDN) for the HTML report;
``write_png`` draws the same chart with matplotlib's Agg canvas (no display, no global pyplot
state). A day without orders has no rate ("n/a"): the line has a gap there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from html import escape
from pathlib import Path

from cancellations.rate import DayFigures

Scale = Callable[[float], float]
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 48


def percent(value: Fraction | Decimal | None, places: int = 2) -> str:
    """``0.025`` -> ``2.50%``; None -> ``n/a``."""
    if value is None:
        return "n/a"
    number = (
        Decimal(value.numerator * 100) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value * 100
    )
    return f"{number:.{places}f}%"


def _top(series: Sequence[DayFigures], target: Fraction) -> float:
    rates = [float(d.rate) for d in series if d.rate is not None]
    highest = max([float(target) * 2, *rates, 0.01])
    step = 0.005 if highest <= 0.06 else 0.05
    return math.ceil(highest * 1.1 / step) * step


def svg_chart(series: Sequence[DayFigures], target: Fraction, title: str) -> str:
    """An SVG line chart of ``series`` with a dashed target line."""
    top = _top(series, target)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: float) -> float:
        return LEFT + (plot_w * index / max(len(series) - 1, 1))

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="18" class="title">{escape(title)}</text>',
    ]
    parts += _grid(top, y)
    parts += _x_labels(series, x)
    target_y = y(float(target))
    parts.append(
        f'<line x1="{LEFT}" y1="{target_y:.1f}" x2="{WIDTH - RIGHT}" y2="{target_y:.1f}" '
        f'class="target"><title>target {percent(target)}</title></line>'
    )
    parts += _line(series, x, y)
    parts.append("</svg>")
    return "\n".join(parts)


def _grid(top: float, y: Scale) -> list[str]:
    parts = []
    for i in range(6):
        value = top * i / 5
        pos = y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{pos:.1f}" x2="{WIDTH - RIGHT}" y2="{pos:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{pos + 4:.1f}" class="ylabel">{value * 100:.1f}%</text>'
        )
    return parts


def _x_labels(series: Sequence[DayFigures], x: Scale) -> list[str]:
    every = max(1, math.ceil(len(series) / 12))
    return [
        f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" class="xlabel">{day.day:%m-%d}</text>'
        for i, day in enumerate(series)
        if i % every == 0 or i == len(series) - 1
    ]


def _line(series: Sequence[DayFigures], x: Scale, y: Scale) -> list[str]:
    """Line segments (broken at days without orders) under one dot per day with a rate."""
    lines: list[str] = []
    dots: list[str] = []
    segment: list[str] = []
    for i, day in enumerate(series):
        if day.rate is None:
            lines.append(_polyline(segment))
            segment = []
            continue
        px, py = x(i), y(float(day.rate))
        segment.append(f"{px:.1f},{py:.1f}")
        css = "over" if day.at_or_over_target else "point"
        tip = (
            f"{day.day}: {percent(day.rate)} ({day.cancellations}/{day.orders}), "
            f"budget {day.budget}"
        )
        dots.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" class="{css}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    lines.append(_polyline(segment))
    return [line for line in lines if line] + dots


def _polyline(points: list[str]) -> str:
    if len(points) < 2:
        return ""
    return f'<polyline points="{" ".join(points)}" class="rate"/>'


def write_png(charts: Sequence[tuple[str, Sequence[DayFigures], Fraction]], path: Path) -> None:
    """One panel per (title, series, target), written as a PNG image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2 * max(len(charts), 1)), dpi=100)
    FigureCanvasAgg(figure)
    for index, (title, series, target) in enumerate(charts, start=1):
        axes = figure.add_subplot(len(charts), 1, index)
        positions = list(range(len(series)))
        values = [float(d.rate) * 100 if d.rate is not None else math.nan for d in series]
        axes.plot(positions, values, marker="o", color="#1f5fa8", label="7-day rate")
        axes.axhline(
            float(target) * 100, color="#c0392b", linestyle="--", label=f"target {percent(target)}"
        )
        every = max(1, math.ceil(len(series) / 12))
        ticks = positions[::every]
        axes.set_xticks(ticks, [f"{series[i].day:%m-%d}" for i in ticks])
        axes.set_xlim(-0.5, max(len(series) - 0.5, 0.5))
        axes.set_title(title)
        axes.set_ylabel("%")
        axes.set_ylim(0, _top(series, target) * 100)
        axes.legend(loc="best")
        axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    figure.savefig(path, format="png")
