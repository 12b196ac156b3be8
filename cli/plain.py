"""Data printed through Rich is text, never markup: the one helper every command prints it with.

A SKU ``[/x]``, a supplier's ``[/x] 在庫切れ`` or a buyer's ``[/b]`` passed to Rich as a string
is parsed as console markup (a ``MarkupError`` crash, or styling the data never asked for), and
``:smile:`` becomes an emoji. A ``Text`` is printed as it is: table cells and lines built from
data go through ``plain``; our own styling is applied with ``styled`` around plain data.
"""

from __future__ import annotations

from rich.text import Text


def plain(value: object) -> Text:
    """``value`` as Rich text that is printed exactly as it reads."""
    return Text(str(value))


def styled(*parts: tuple[object, str] | object) -> Text:
    """A line of plain data parts, some with a style: ``styled((sku, "bold"), " -> 0")``."""
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            value, style = part
            line.append(str(value), style=style)
        else:
            line.append(str(part))
    return line
