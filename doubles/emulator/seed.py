"""Seeding the emulator from a dict or a JSON file (the format is in docs/emulator.md).

A bad seed is refused with an InputError that names the key, e.g.
``seed: listings[2].quantity: expected an integer >= 0, got 'five'``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from stockguard.core.domain import MARKETPLACES_BY_ID, FulfilmentChannel
from stockguard.core.errors import InputError
from stockguard.doubles.emulator import seed_fields
from stockguard.doubles.emulator.credentials import EMULATOR_SELLER_ID
from stockguard.doubles.emulator.offers import parse_offers
from stockguard.doubles.emulator.regions import region_codes
from stockguard.doubles.emulator.state import (
    LEAD_TIME_KEY,
    MFN_CHANNEL,
    V0_STATUSES,
    EmulatorState,
    OrderItemState,
    OrderState,
)

TOP_KEYS = {"seller_id", "marketplace", "listings", "orders", "account_health", "offers"}
LISTING_KEYS = {
    "sku",
    "asin",
    "product_type",
    "quantity",
    "handling_days",
    "marketplace",
    "item_name",
    "created_at",
    "fulfillment_channel",
    "price",
}
ORDER_KEYS = {
    "order_id",
    "status",
    "purchase_date",
    "last_update_date",
    "marketplace",
    "fulfillment_channel",
    "latest_ship_date",
    "cancelled_by",
    "cancel_reason",
    "currency",
    "items",
}
ITEM_KEYS = {
    "order_item_id",
    "sku",
    "asin",
    "quantity",
    "quantity_shipped",
    "price",
    "buyer_cancel_requested",
    "buyer_cancel_reason",
    "cancel_reason",
}
HEALTH_KEYS = {"target_value", "account_status", "report"}
ORDER_ID = re.compile(r"^\w{3}-\w{7}-\w{7}$")
ITEM_ID = re.compile(r"^\d{14}$")
FBA_CHANNEL = re.compile(r"^AMAZON_[A-Z]{2}$")  # AMAZON_NA, AMAZON_EU, AMAZON_JP...


def load_seed_file(path: Path) -> dict[str, Any]:
    """Read a seed file; InputError naming the file (and line) when it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read seed file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: a seed file must hold a JSON object")
    return data


def build_state(seed: dict[str, Any] | None, now: datetime) -> EmulatorState:
    """A fresh state holding the seed's seller, listings, orders and account-health override.

    The account's region is its ``marketplace``'s (default US: NA); every listing and order
    must be in a marketplace of that region.
    """
    seed = seed or {}
    seed_fields.known_keys(seed, TOP_KEYS, "seed")
    seller = seed.get("seller_id", EMULATOR_SELLER_ID)
    if not isinstance(seller, str) or not seller:
        raise InputError("seed: seller_id: expected a non-empty string")
    default_mp = seed_fields.marketplace_id(seed.get("marketplace", "US"), "seed: marketplace")
    region = MARKETPLACES_BY_ID[default_mp].region
    state = EmulatorState(seller_id=seller, region=region, default_marketplace=default_mp)
    first: dict[str, str] = {}  # SKU -> where its first listing (and inventory) was seeded
    for n, raw in enumerate(seed_fields.items_of(seed, "listings", "seed")):
        _add_listing(state, raw, f"seed: listings[{n}]", now, first)
    for n, raw in enumerate(seed_fields.items_of(seed, "orders", "seed")):
        order = _order(raw, f"seed: orders[{n}]", state, now)
        if order.order_id in state.orders:
            raise InputError(f"seed: orders[{n}].order_id: duplicate order {order.order_id!r}")
        state.orders[order.order_id] = order
    state.account_health = _account_health(seed.get("account_health"))
    state.offer_book = parse_offers(seed.get("offers"))
    return state


def _account_health(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    where = "seed: account_health"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    seed_fields.known_keys(raw, HEALTH_KEYS, where)
    target = raw.get("target_value")
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 1
    ):
        raise InputError(f"{where}.target_value: expected a fraction from 0 to 1, got {target!r}")
    if raw.get("account_status", "NORMAL") not in ("NORMAL", "AT_RISK", "DEACTIVATED"):
        raise InputError(f"{where}.account_status: expected NORMAL, AT_RISK or DEACTIVATED")
    report = raw.get("report")
    if report is not None and (not isinstance(report, dict) or "performanceMetrics" not in report):
        raise InputError(f"{where}.report: expected a whole report with performanceMetrics")
    return raw


def _add_listing(
    state: EmulatorState, raw: Any, where: str, now: datetime, first: dict[str, str]
) -> None:
    """Seed one offer; a SKU seeded again in another marketplace shares the first's inventory."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    seed_fields.known_keys(raw, LISTING_KEYS, where)
    sku = seed_fields.text(raw, "sku", where)
    mid = seed_fields.marketplace_id(
        raw.get("marketplace", state.default_marketplace), f"{where}.marketplace"
    )
    _in_region(state, mid, f"{where}.marketplace")
    if state.find_listing(sku, [mid]) is not None:
        code = MARKETPLACES_BY_ID[mid].code
        raise InputError(f"{where}.sku: duplicate SKU {sku!r} in marketplace {code}")
    record = _availability(raw, where)
    created = seed_fields.moment(raw, "created_at", where) or now
    product_type = seed_fields.text(raw, "product_type", where, default="PRODUCT")
    price = seed_fields.price(raw.get("price"), f"{where}.price")
    pooled = state.inventories.get(sku)
    if pooled is not None and pooled.records:
        _same_inventory(raw, record, pooled.records[0], where, first[sku])
    listing = state.add_listing(sku, mid, product_type, created)
    listing.asin = seed_fields.text(raw, "asin", where, default="")
    listing.item_name = seed_fields.text(raw, "item_name", where, default="")
    listing.price = price
    if sku not in first:
        first[sku] = where
        listing.inventory.records = [record]
        state.record_quantity(sku, created, "seed")


def _same_inventory(
    raw: dict[str, Any], record: dict[str, Any], pooled: dict[str, Any], where: str, other: str
) -> None:
    """A SKU's listings share one quantity, handling time and channel: what a later listing
    states must agree with the first (what it leaves out, it inherits)."""
    fields = (
        ("fulfillment_channel", "fulfillment_channel_code"),
        ("quantity", "quantity"),
        ("handling_days", LEAD_TIME_KEY),
    )
    for key, attribute in fields:
        if key in raw and record.get(attribute) != pooled.get(attribute):
            raise InputError(
                f"{where}.{key}: {record.get(attribute)!r} differs from "
                f"{pooled.get(attribute)!r} in {other.removeprefix('seed: ')}: a SKU has one "
                "merchant-fulfilled inventory in all the marketplaces that list it"
            )


def _in_region(state: EmulatorState, marketplace_id: str, where: str) -> None:
    market = MARKETPLACES_BY_ID[marketplace_id]
    if market.region != state.region:
        codes = ", ".join(region_codes(state.region))
        raise InputError(
            f"{where}: {market.code} is in region {market.region}; this account sells in "
            f"region {state.region} ({codes}), set by the seed's marketplace"
        )


def _availability(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The fulfillment_availability record: DEFAULT with a quantity, or FBA without one."""
    channel = seed_fields.text(raw, "fulfillment_channel", where, default=MFN_CHANNEL)
    if channel != MFN_CHANNEL:
        if not FBA_CHANNEL.match(channel):
            raise InputError(
                f"{where}.fulfillment_channel: expected DEFAULT or AMAZON_<region>, got {channel!r}"
            )
        if "quantity" in raw:
            raise InputError(f"{where}.quantity: an FBA listing ({channel}) has no MFN quantity")
        return {"fulfillment_channel_code": channel}
    record: dict[str, Any] = {
        "fulfillment_channel_code": MFN_CHANNEL,
        "quantity": seed_fields.count(raw, "quantity", where, 0),
    }
    handling = seed_fields.count(raw, "handling_days", where, None)
    if handling is not None:
        record[LEAD_TIME_KEY] = handling
    return record


def _order(raw: Any, where: str, state: EmulatorState, now: datetime) -> OrderState:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    seed_fields.known_keys(raw, ORDER_KEYS, where)
    order_id = seed_fields.text(raw, "order_id", where)
    if not ORDER_ID.match(order_id):
        raise InputError(f"{where}.order_id: expected 3-7-7 characters, got {order_id!r}")
    status = seed_fields.text(raw, "status", where, default="Unshipped")
    if status not in V0_STATUSES:
        raise InputError(
            f"{where}.status: expected one of {', '.join(V0_STATUSES)}, got {status!r}"
        )
    purchased = seed_fields.moment(raw, "purchase_date", where) or now
    cancelled_by = raw.get("cancelled_by")
    if cancelled_by not in (None, "BUYER", "MERCHANT", "AMAZON"):
        raise InputError(f"{where}.cancelled_by: expected BUYER, MERCHANT or AMAZON")
    merchant = FulfilmentChannel.MERCHANT
    channel = seed_fields.text(raw, "fulfillment_channel", where, default=merchant)
    if channel not in (FulfilmentChannel.MERCHANT, FulfilmentChannel.AMAZON):
        raise InputError(f"{where}.fulfillment_channel: expected MFN or AFN, got {channel!r}")
    items = [
        _item(it, f"{where}.items[{k}]")
        for k, it in enumerate(seed_fields.items_of(raw, "items", where))
    ]
    mid = seed_fields.marketplace_id(
        raw.get("marketplace", state.default_marketplace), f"{where}.marketplace"
    )
    _in_region(state, mid, f"{where}.marketplace")
    if not items:
        raise InputError(f"{where}.items: an order needs at least one item")
    return OrderState(
        order_id=order_id,
        marketplace_id=mid,
        status=status,
        purchase_date=purchased,
        last_update_date=seed_fields.moment(raw, "last_update_date", where) or purchased,
        items=items,
        fulfillment_channel=channel,
        currency=seed_fields.text(raw, "currency", where, default=MARKETPLACES_BY_ID[mid].currency),
        latest_ship_date=seed_fields.moment(raw, "latest_ship_date", where),
        cancelled_by=cancelled_by,
        cancel_reason=raw.get("cancel_reason"),
    )


def _item(raw: Any, where: str) -> OrderItemState:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    seed_fields.known_keys(raw, ITEM_KEYS, where)
    item_id = seed_fields.text(raw, "order_item_id", where)
    if not ITEM_ID.match(item_id):
        raise InputError(f"{where}.order_item_id: expected 14 digits, got {item_id!r}")
    try:
        price = Decimal(str(raw.get("price", "10.00")))
    except InvalidOperation as exc:
        raise InputError(f"{where}.price: expected a decimal amount") from exc
    flag = raw.get("buyer_cancel_requested", False)
    if not isinstance(flag, bool):
        raise InputError(f"{where}.buyer_cancel_requested: expected true or false")
    return OrderItemState(
        order_item_id=item_id,
        sku=seed_fields.text(raw, "sku", where),
        asin=seed_fields.text(raw, "asin", where, default=""),
        quantity=seed_fields.count(raw, "quantity", where, 1) or 0,
        price=price,
        quantity_shipped=seed_fields.count(raw, "quantity_shipped", where, 0) or 0,
        buyer_cancel_requested=flag,
        buyer_cancel_reason=raw.get("buyer_cancel_reason"),
        cancel_reason=raw.get("cancel_reason"),
    )
