"""The rate chart: rolling 7-day rate per day against the target line.

``svg_chart`` writes self-contained inline SVG (no script, no CDN) for the HTML report;
``write_png`` draws the same chart with matplotlib's Agg canvas (no display, no global pyplot
state). A day without orders has no rate ("n/a"): the line has a gap there.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from html import escape
from pathlib import Path
from typing import Any

from stockguard.cancellations.rate import DayFigures
from stockguard.core.i18n import tr

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
        f'class="target"><title>{escape(tr("target {rate}", rate=percent(target)))}</title></line>'
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
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{6 if day.at_or_over_target else 4}" '
            f'class="{css}"><title>{escape(tip)}</title></circle>'
            f'<text x="{px:.1f}" y="{py - 9:.1f}" class="count {css}">'
            f"{day.cancellations}/{day.orders}</text>"
        )
    lines.append(_polyline(segment))
    return [line for line in lines if line] + dots


def _polyline(points: list[str]) -> str:
    if len(points) < 2:
        return ""
    return f'<polyline points="{" ".join(points)}" class="rate"/>'


def japanese_font() -> Path | None:
    """IPAexGothic as shipped by the matplotlib-fontja package (a dependency), found without
    importing that package (its import would change matplotlib's global settings)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    font = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    return font if font.exists() else None


def _font_family() -> list[str]:
    """Latin text in DejaVu Sans, everything else (kana, kanji) in IPAexGothic."""
    from matplotlib import font_manager

    font = japanese_font()
    if font is None:
        return ["DejaVu Sans"]
    font_manager.fontManager.addfont(str(font))
    return ["DejaVu Sans", font_manager.FontProperties(fname=str(font)).get_name()]


def write_png(charts: Sequence[tuple[str, Sequence[DayFigures], Fraction]], path: Path) -> None:
    """One panel per (title, series, target), written as a PNG image: the rate line, each
    day's window counts (cancellations/orders) over its point, days at or over the target
    marked in red, as in the HTML chart."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context({"font.family": _font_family()}):
        figure = Figure(figsize=(9, 3.4 * max(len(charts), 1)), dpi=100)
        FigureCanvasAgg(figure)
        for index, (title, series, target) in enumerate(charts, start=1):
            _panel(figure.add_subplot(len(charts), 1, index), title, series, target)
        figure.tight_layout()
        figure.savefig(path, format="png")


def _panel(axes: Any, title: str, series: Sequence[DayFigures], target: Fraction) -> None:
    positions = list(range(len(series)))
    values = [float(d.rate) * 100 if d.rate is not None else math.nan for d in series]
    axes.plot(positions, values, marker="o", color="#1f5fa8", label=tr("7-day rate"))
    over = [i for i, d in enumerate(series) if d.at_or_over_target]
    if over:
        axes.scatter(
            over,
            [values[i] for i in over],
            s=90,
            color="#c0392b",
            zorder=3,
            label=tr("at or over target"),
        )
    target_label = tr("target {rate}", rate=percent(target))
    axes.axhline(float(target) * 100, color="#c0392b", linestyle="--", label=target_label)
    for i, day in enumerate(series):
        if day.rate is not None:  # the counts behind the point: cancellations / orders
            axes.annotate(
                f"{day.cancellations}/{day.orders}",
                (i, values[i]),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=8,
                color="#c0392b" if day.at_or_over_target else "#333333",
            )
    every = max(1, math.ceil(len(series) / 12))
    ticks = positions[::every]
    axes.set_xticks(ticks, [f"{series[i].day:%m-%d}" for i in ticks])
    axes.set_xlim(-0.5, max(len(series) - 0.5, 0.5))
    axes.set_title(title)
    axes.set_ylabel(tr("% (labels: cancellations/orders in the window)"))
    axes.set_ylim(0, _top(series, target) * 100 * 1.15)
    axes.legend(loc="best")
    axes.tick_params(axis="x", labelrotation=45)
