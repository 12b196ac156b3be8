"""JSON-patch semantics of listings attributes, shared by patchListingsItem and the feed.

What matters for stock sync, as Amazon behaves: ``replace`` (and ``add``) replaces the whole
attribute, so a replace of ``fulfillment_availability`` drops ``lead_time_to_ship_max_days``
(the handling time); ``merge`` changes only the fields it names in the entry selected by
``fulfillment_channel_code``; ``delete`` removes the attribute. Attribute names are snake_case
and only top-level attributes can be patched.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from stockguard.doubles.emulator.state import QTY_ATTR, ListingState

OPS = ("add", "replace", "merge", "delete")
_PATH = re.compile(r"^/attributes/([^/]+)$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# The fields that select which entry of an attribute a merge changes.
_SELECTORS: dict[str, tuple[str, ...]] = {QTY_ATTR: ("fulfillment_channel_code",)}
_DEFAULT_SELECTORS = ("marketplace_id", "language_tag", "audience")


def issue(
    code: str, message: str, attribute: str | None = None, category: str = ""
) -> dict[str, Any]:
    """A listings ``Issue`` (code, message, severity, categories, attributeNames)."""
    out: dict[str, Any] = {
        "code": code,
        "message": message,
        "severity": "ERROR",
        "categories": [category] if category else [],
    }
    if attribute:
        out["attributeNames"] = [attribute]
    return out


def shape_error(patches: Any) -> str | None:
    """Why ``patches`` does not match the model's PatchOperation array (-> 400), or None."""
    if not isinstance(patches, list) or not patches:
        return "'patches' must be a non-empty array."
    for n, patch in enumerate(patches):
        if not isinstance(patch, dict):
            return f"patches[{n}] must be an object."
        if patch.get("op") not in OPS:
            return f"patches[{n}].op must be one of add, replace, merge, delete."
        if not isinstance(patch.get("path"), str):
            return f"patches[{n}].path must be a string."
        value = patch.get("value")
        if "value" in patch and not isinstance(value, list):
            return f"patches[{n}].value must be an array."
        if isinstance(value, list) and not all(isinstance(v, dict) for v in value):
            return f"patches[{n}].value must be an array of objects."
    return None


def patch_issues(patches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attribute-level problems of well-shaped patches (-> INVALID submission with issues)."""
    found: list[dict[str, Any]] = []
    for patch in patches:
        match = _PATH.match(patch["path"])
        if match is None:
            found.append(
                issue(
                    "90000900",
                    f"Only top-level listings item attributes can be patched: '{patch['path']}'.",
                    None,
                    "INVALID_ATTRIBUTE",
                )
            )
            continue
        name = match.group(1)
        if not _SNAKE.match(name):
            found.append(
                issue("90000900", "The attributes are invalid.", name, "INVALID_ATTRIBUTE")
            )
            continue
        if patch["op"] != "delete" and not patch.get("value"):
            found.append(
                issue("90220", f"'{name}' is required but not supplied.", name, "MISSING_ATTRIBUTE")
            )
            continue
        if name == QTY_ATTR:
            found.extend(_availability_issues(patch))
    return found


def _availability_issues(patch: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in patch.get("value") or []:
        if not entry.get("fulfillment_channel_code"):
            found.append(
                issue(
                    "90220",
                    "'fulfillment_channel_code' is required but not supplied.",
                    QTY_ATTR,
                    "MISSING_ATTRIBUTE",
                )
            )
        qty = entry.get("quantity")
        bad_qty = isinstance(qty, bool) or not isinstance(qty, int) or qty < 0
        if "quantity" in entry and bad_qty:
            found.append(
                issue(
                    "4000001",
                    "The provided value for 'Quantity' is invalid.",
                    QTY_ATTR,
                    "INVALID_ATTRIBUTE",
                )
            )
        lead = entry.get("lead_time_to_ship_max_days")
        if "lead_time_to_ship_max_days" in entry and (
            isinstance(lead, bool) or not isinstance(lead, int) or lead < 0
        ):
            found.append(
                issue(
                    "4000001",
                    "The provided value for 'Handling Time' is invalid.",
                    QTY_ATTR,
                    "INVALID_ATTRIBUTE",
                )
            )
    return found


def apply_patches(listing: ListingState, patches: list[dict[str, Any]]) -> None:
    """Apply validated patches to the listing's attributes, in order."""
    for patch in patches:
        name = patch["path"].rsplit("/", 1)[1]
        value = copy.deepcopy(patch.get("value") or [])
        if patch["op"] in ("add", "replace"):
            listing.attributes[name] = value
        elif patch["op"] == "delete":
            _delete(listing, name, value)
        else:
            _merge(listing, name, value)


def replace_attributes(listing: ListingState, attributes: dict[str, Any], full: bool) -> None:
    """PARTIAL_UPDATE (replace the named attributes) or UPDATE (``full``: replace the offer's).

    ``fulfillment_availability`` is the SKU's in every marketplace: replaced when named, kept
    otherwise, even by a full update of one marketplace's offer.
    """
    if full:
        listing.offer.clear()
    for name, value in attributes.items():
        listing.attributes[name] = copy.deepcopy(value) if isinstance(value, list) else []


def attribute_issues(attributes: dict[str, Any], product_only: bool) -> list[dict[str, Any]]:
    """Problems of a putListingsItem ``attributes`` object (-> INVALID with these issues).

    Names are snake_case, values arrays of objects; ``condition_type`` is required unless the
    request says ``LISTING_PRODUCT_ONLY`` (the model's own INVALID example asks for it).
    """
    found: list[dict[str, Any]] = []
    for name, value in attributes.items():
        shaped = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        if not _SNAKE.match(name) or not shaped:
            found.append(
                issue("90000900", "The attributes are invalid.", name, "INVALID_ATTRIBUTE")
            )
        elif name == QTY_ATTR:
            found.extend(_availability_issues({"value": value}))
    if not product_only and not attributes.get("condition_type"):
        found.append(
            issue(
                "90220",
                "'condition_type' is required but not supplied.",
                "condition_type",
                "MISSING_ATTRIBUTE",
            )
        )
    return found


def first_value(attributes: dict[str, Any], name: str) -> str | None:
    """``attributes[name][0]["value"]`` as text (item_name, merchant_suggested_asin), or None."""
    entries = attributes.get(name)
    value = entries[0].get("value") if isinstance(entries, list) and entries else None
    return str(value) if value is not None else None


def offer_price(attributes: dict[str, Any]) -> Decimal | None:
    """The ``purchasable_offer`` price (our_price schedule value_with_tax), or None."""
    try:
        offer = attributes["purchasable_offer"][0]
        price = Decimal(str(offer["our_price"][0]["schedule"][0]["value_with_tax"]))
    except (KeyError, IndexError, TypeError, InvalidOperation):
        return None
    return price if price.is_finite() and price >= 0 else None


def _selector_keys(name: str, entry: dict[str, Any]) -> tuple[str, ...]:
    keys = _SELECTORS.get(name, _DEFAULT_SELECTORS)
    return tuple(k for k in keys if k in entry)


def _merge(listing: ListingState, name: str, value: list[dict[str, Any]]) -> None:
    current = listing.attributes.setdefault(name, [])
    for entry in value:
        keys = _selector_keys(name, entry)
        target = next(
            (c for c in current if keys and all(c.get(k) == entry[k] for k in keys)), None
        )
        if target is None:
            current.append(entry)
        else:
            target.update(entry)


def _delete(listing: ListingState, name: str, value: list[dict[str, Any]]) -> None:
    if not value:
        listing.attributes.pop(name, None)
        return
    current = listing.attributes.get(name, [])
    for entry in value:
        keys = _selector_keys(name, entry)
        current[:] = [c for c in current if not (keys and all(c.get(k) == entry[k] for k in keys))]
    if not current:
        listing.attributes.pop(name, None)
