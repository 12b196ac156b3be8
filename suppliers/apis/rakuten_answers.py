"""Reading a Rakuten Ichiba Item Search answer: pure functions, no HTTP.

Both answer shapes seen in 2026 are read: ``Items`` or ``items``, each entry flat
(``formatVersion=2``) or wrapped in ``Item``/``item`` (``formatVersion=1``); ``itemPrice``
as an int or a string. Only an entry whose ``itemCode`` is exactly the code asked decides,
and only ``availability`` 0 or 1 decides it; everything else is UNKNOWN with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockguard.core.domain import UnknownReason
from stockguard.suppliers.apis.http_answers import yen
from stockguard.suppliers.base import Reading, in_stock, out_of_stock, unknown


def answer_items(body: Any) -> list[dict[str, Any]] | None:
    """The item objects of an answer: ``Items`` or ``items``, flat or wrapped in ``Item``/``item``;
    None when the answer has no readable list (``count: 0`` without a list is an empty list)."""
    if not isinstance(body, dict):
        return None
    raw = body.get("Items", body.get("items"))
    if raw is None:
        return [] if body.get("count") == 0 else None
    if not isinstance(raw, list):
        return None
    items: list[dict[str, Any]] = []
    for entry in raw:
        inner = entry.get("Item", entry.get("item", entry)) if isinstance(entry, dict) else None
        if not isinstance(inner, dict):
            return None
        items.append(inner)
    return items


def item_verdict(code: str, items: list[dict[str, Any]]) -> Reading:
    """The verdict for ``code`` from the answer's items (only an exact ``itemCode`` counts)."""
    mine = [i for i in items if i.get("itemCode") == code]
    if not mine:
        return unknown(
            UnknownReason.NOT_IN_FEED,
            f"rakuten {code}: not in the answer ({len(items)} other items)",
        )
    flags = {_flag(i.get("availability")) for i in mine}
    if len(flags) != 1:
        return unknown(UnknownReason.ERROR, f"rakuten {code}: the answer lists it twice, differing")
    item, flag = mine[0], flags.pop()
    price = yen(item.get("itemPrice"))
    evidence = f"rakuten {code}: availability={item.get('availability')!r}{_price_note(item)}"
    if flag == 1:
        return in_stock(evidence, price=price)
    if flag == 0:
        return out_of_stock(evidence, price=price)
    return unknown(UnknownReason.ERROR, f"{evidence} (neither 0 nor 1)")


def _flag(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip() in ("0", "1")):
        return int(value)
    return None


def _price_note(item: Mapping[str, Any]) -> str:
    price = yen(item.get("itemPrice"))
    if price is None:
        return ", no readable itemPrice"
    notes = ["tax excluded" if item.get("taxFlag") == 1 else "tax included"]
    if item.get("postageFlag") == 1:
        notes.append("postage separate")
    low, high = yen(item.get("itemPriceMin3")), yen(item.get("itemPriceMax3"))
    if low is not None and high is not None and low != high:
        notes.append(f"purchasable variants ¥{low.amount}–¥{high.amount}")
    return f", itemPrice=¥{price.amount} ({', '.join(notes)})"
