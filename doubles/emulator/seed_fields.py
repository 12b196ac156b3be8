"""The field readers of a seed: each value checked, or an InputError that names its key."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stockguard.core.domain import MARKETPLACES_BY_ID, marketplace
from stockguard.core.errors import InputError
from stockguard.doubles.emulator.wire import parse_iso


def price(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        price: Decimal | None = Decimal(str(value))
    except InvalidOperation:
        price = None
    if isinstance(value, bool) or price is None or not price.is_finite() or price < 0:
        raise InputError(f"{where}: expected a decimal amount >= 0, got {value!r}")
    return price


def known_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise InputError(
                f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def items_of(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{where}.{key}: expected a list")
    return value


def text(raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise InputError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def count(raw: dict[str, Any], key: str, where: str, default: int | None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where}.{key}: expected an integer >= 0, got {value!r}")
    return value


def moment(raw: dict[str, Any], key: str, where: str) -> datetime | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return parse_iso(str(value))
    except ValueError as exc:
        raise InputError(f"{where}.{key}: expected an ISO 8601 time, got {value!r}") from exc


def marketplace_id(value: Any, where: str) -> str:
    try:
        return marketplace(str(value)).marketplace_id
    except KeyError as exc:
        known = ", ".join(sorted(m.marketplace_id for m in MARKETPLACES_BY_ID.values())[:3])
        raise InputError(f"{where}: unknown marketplace {value!r} (e.g. US, JP, {known})") from exc
