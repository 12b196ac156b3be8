"""The catalogue's header: column names in English or Japanese, every missing one named.

Column names are compared after NFKC (full-width letters become ASCII), lower-casing, and
turning spaces and hyphens into ``_``; then ``ALIASES`` maps the names Seller Central's
reports and common Japanese listing tools use onto ours (``出品者SKU`` is ``sku``,
``仕入れ先URL`` is ``source``, ``仕入れ先URL2`` is ``source_2``). The table is documented in
docs/store.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stockguard.core.errors import FileRefused

REQUIRED = ("sku", "marketplace", "asin", "handling_days", "default_quantity")
ALIASES = {
    # sku
    "seller_sku": "sku",
    "出品者sku": "sku",
    "出品者_sku": "sku",
    "商品管理番号": "sku",
    # marketplace
    "marketplace_id": "marketplace",
    "マーケットプレイス": "marketplace",
    "マーケットプレイスid": "marketplace",
    "マーケットプレイス_id": "marketplace",
    "出品先": "marketplace",
    # asin
    "asin1": "asin",
    "asin_1": "asin",
    # handling_days
    "handling_time": "handling_days",
    "lead_time_to_ship_max_days": "handling_days",
    "fulfillment_latency": "handling_days",
    "出荷作業日数": "handling_days",
    "リードタイム": "handling_days",
    "発送までの日数": "handling_days",
    # default_quantity
    "quantity": "default_quantity",
    "数量": "default_quantity",
    "在庫数": "default_quantity",
    "出品数": "default_quantity",
    # product_type
    "feed_product_type": "product_type",
    "商品タイプ": "product_type",
    # max_cost, currency, safety_buffer, pack_size
    "仕入れ上限価格": "max_cost",
    "仕入上限価格": "max_cost",
    "通貨": "currency",
    "currency_code": "currency",
    "安全在庫": "safety_buffer",
    "入数": "pack_size",
}
SOURCE_ALIASES = ("仕入れ先url", "仕入先url", "仕入れurl", "仕入れ先", "仕入先")
_SOURCE_COLUMN = re.compile(r"^sources?(_\d+)?$")
_NUMBERED = re.compile(r"^(.*?)_?(\d+)$")


@dataclass(frozen=True)
class Header:
    """Where each known column is (first occurrence) and which columns hold sources."""

    columns: dict[str, int]
    sources: list[int]


def normalise(column: str) -> str:
    """Our name for a header cell (``出品者ＳＫＵ``: ``sku``, ``仕入れ先URL2``: ``source_2``)."""
    key = re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", column).strip().lower())
    if key in SOURCE_ALIASES:
        return "source"
    numbered = _NUMBERED.match(key)
    if numbered and numbered[1] in SOURCE_ALIASES:
        return f"source_{numbered[2]}"
    return ALIASES.get(key, key)


def read_header(header: list[str], name: str) -> Header:
    """The header's columns; FileRefused naming every required column that is missing."""
    columns: dict[str, int] = {}
    sources: list[int] = []
    for index, column in enumerate(header):
        key = normalise(column)
        if _SOURCE_COLUMN.match(key):
            sources.append(index)
        elif key:
            columns.setdefault(key, index)
    missing = [repr(required) for required in REQUIRED if required not in columns]
    if not sources:
        missing.append("'source' (or 'sources', 'source_2'…)")
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRefused(
            f"{name}: missing required column{plural} {', '.join(missing)} "
            f"(header: {', '.join(c.strip() for c in header)})"
        )
    return Header(columns, sources)
