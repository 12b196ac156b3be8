"""The HTML cancellation-rate report: one self-contained page a seller opens in a browser.

Inline CSS and inline SVG charts only: no script, no web font, no CDN, so the file works
offline and can be mailed as an attachment. Every value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from stockguard.cancellations.chart import percent, svg_chart
from stockguard.cancellations.report import MarketplaceReport, market_label
from stockguard.cancellations.report_lines import summary_lines
from stockguard.core.i18n import locale, tr, when

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.over td { background: #fde2e0; font-weight: bold; }
.warning { color: #a61b0f; font-weight: bold; }
ul.summary { list-style: none; padding-left: 0; }
svg .title { font-size: 14px; font-weight: bold; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; }
svg .ylabel { font-size: 11px; text-anchor: end; fill: #555; }
svg .xlabel { font-size: 11px; text-anchor: middle; fill: #555; }
svg .target { stroke: #c0392b; stroke-width: 2; stroke-dasharray: 6 4; }
svg .rate { fill: none; stroke: #1f5fa8; stroke-width: 2; }
svg .point { fill: #1f5fa8; } svg .over { fill: #c0392b; }
svg .count { font-size: 10px; text-anchor: middle; fill: #333; } svg .count.over { fill: #c0392b; }
"""


def render_html(
    reports: Sequence[MarketplaceReport], generated_at: datetime, *, several: bool = False
) -> str:
    """The whole page; ``several`` seller accounts configured: each section's title and each
    row of its table name the account."""
    empty = f"<p>{escape(tr('No seller-fulfilled orders.'))}</p>"
    sections = [_section(report, several) for report in reports] or [empty]
    lang = "ja" if locale() == "ja" else "en"
    intro = tr(
        "Generated {time}. Official buyer requests cancelled as BuyerCanceled and buyer "
        "self-cancellations are excluded; Amazon's auto-cancellations count. Keep the rate "
        "under the target. Each point shows cancellations/orders of its 7-day window.",
        time=when(generated_at),
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{lang}"><head><meta charset="utf-8">',
            f"<title>{escape(tr('Cancellation rate'))} — stockguard</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>{escape(tr('Cancellation rate (seller-fulfilled orders, rolling 7 days)'))}</h1>",
            f"<p>{escape(intro)}</p>",
            *sections,
            "</body></html>",
        ]
    )


def _section(report: MarketplaceReport, several: bool) -> str:
    title = chart_title(report, several)
    parts = [f"<h2>{escape(title)}</h2>"]
    parts += [f'<p class="warning">{escape(w)}</p>' for w in report.warnings]
    parts.append(svg_chart(report.days, report.target, title))
    parts.append('<ul class="summary">')
    parts += [f"<li>{escape(line.strip())}</li>" for line in summary_lines(report)]
    parts.append("</ul>")
    parts.append(_table(report, several))
    parts.append(_orders(report))
    return "\n".join(parts)


def chart_title(report: MarketplaceReport, several: bool) -> str:
    """A chart's title: the marketplace (after its account when ``several``) and time zone."""
    return tr(
        "{market}: 7-day cancellation rate ({zone})",
        market=market_label(report, several),
        zone=report.marketplace.timezone,
    )


def _table(report: MarketplaceReport, several: bool) -> str:
    names = ("Day", "Window", "Orders", "Seller cancellations", "Rate", "Target", "Budget")
    head = [tr(h) for h in (*names, "Account")] if several else [tr(h) for h in names]
    rows = [
        "<table><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
    ]
    for day in report.days:
        css = ' class="over"' if day.at_or_over_target else ""
        cells = (
            str(day.day),
            f"{day.first_day}..{day.day}",
            str(day.orders),
            str(day.cancellations),
            percent(day.rate),
            percent(report.target),
            str(day.budget),
            *((report.account,) if several else ()),
        )
        rows.append(f"<tr{css}>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _orders(report: MarketplaceReport) -> str:
    """The orders behind the counted cancellations, with the days whose window they are in."""
    heading = f"<h3>{escape(tr('Cancellations counted in these windows'))}</h3>"
    if not report.counted:
        return heading + f"<p>{escape(tr('None.'))}</p>"
    head = [tr(h) for h in ("Order", "Purchase day", "Counted as", "Reason", "SKU")]
    rows = [heading, '<table class="orders"><thead><tr>']
    rows[-1] += "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
    for item in report.counted:
        cells = (
            item.order_id,
            str(item.day),
            item.treatment,
            item.reason or "-",
            " ".join(item.skus),
        )
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)
