"""Processing a JSON_LISTINGS_FEED: apply the valid messages, write the JSON report.

The report follows listings-feed-processing-report-schema-v2: ``header`` (with the feed id),
``issues`` (per message: messageId, sku, code, severity, message), ``summary`` and, when the
feed's header asked for it, ``items``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockguard.doubles.emulator import patching
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.feed_validation import (
    FatalFeedError,
    ParsedFeed,
    parse_listings_feed,
)
from stockguard.doubles.emulator.listings import item_body
from stockguard.doubles.emulator.state import QTY_ATTR, FeedState, ListingState

NOT_FOUND_CODE = "99010"
INJECTED_CODE = "99011"


def process_listings_feed(
    ctx: EmulatorContext, feed: FeedState, content: bytes | None, at: datetime
) -> tuple[str, dict[str, Any]]:
    """Run the feed; return (processingStatus DONE|FATAL, the processing report)."""
    try:
        parsed = parse_listings_feed(content, ctx.state.seller_id)
    except FatalFeedError as exc:
        return "FATAL", fatal_report(ctx.state.seller_id, feed.feed_id, str(exc))
    marketplace_id = feed.marketplace_ids[0]
    issues = list(parsed.issues)
    applied: list[ListingState] = []
    for message in parsed.messages:
        found = _apply(ctx, message, marketplace_id, at)
        if isinstance(found, ListingState):
            applied.append(found)
        elif found:
            issues.extend(
                {"messageId": message["messageId"], "sku": message["sku"], **i} for i in found
            )
    return "DONE", _report(ctx, feed, parsed, issues, applied)


def fatal_report(seller_id: str, feed_id: str, reason: str) -> dict[str, Any]:
    """The report of a FATAL feed: one feed-level issue, nothing processed."""
    return {
        "header": {"sellerId": seller_id, "version": "2.0", "feedId": feed_id},
        "issues": [{"code": "99000", "severity": "ERROR", "message": reason}],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        },
    }


def _apply(
    ctx: EmulatorContext, message: dict[str, Any], marketplace_id: str, at: datetime
) -> ListingState | list[dict[str, Any]] | None:
    """Apply one message in the feed's marketplace: the listing it changed, its issues, or
    None (deleted, or only the SKU's shared inventory changed)."""
    sku, op = message["sku"], message["operationType"]
    if sku in ctx.faults.error_skus:
        return [
            _issue(
                INJECTED_CODE,
                "An internal error occurred while processing this message. Resubmit it.",
            )
        ]
    listing = ctx.state.find_listing(sku, [marketplace_id])
    if listing is None and op != "UPDATE":
        return _not_listed(ctx, message, marketplace_id, at)
    if op == "DELETE":
        if listing is not None:
            ctx.state.remove_listing(listing)
        return None
    if op == "PATCH":
        problems = [_strip(i) for i in patching.patch_issues(message["patches"])]
        if problems:
            return problems
    if listing is None:
        listing = ctx.state.add_listing(sku, marketplace_id, message["productType"], at)
    if op == "PATCH":
        patching.apply_patches(listing, message["patches"])
    else:
        patching.replace_attributes(listing, message["attributes"], full=op == "UPDATE")
    listing.updated_at = at
    if _touches_quantity(message):
        ctx.state.record_quantity(sku, at, "feed")
    return listing


def _not_listed(
    ctx: EmulatorContext, message: dict[str, Any], marketplace_id: str, at: datetime
) -> list[dict[str, Any]] | None:
    """A message for a SKU not listed in the feed's marketplace: its inventory part applies
    when the SKU is listed elsewhere in the account (inventory is per SKU); else 99010."""
    sibling = ctx.state.first_listing(message["sku"])
    inventory = _inventory_part(message)
    if sibling is None or inventory is None:
        return [
            _issue(
                NOT_FOUND_CODE,
                f"The SKU '{message['sku']}' does not exist for this seller in marketplace "
                f"{marketplace_id}.",
            )
        ]
    problems = [_strip(i) for i in patching.patch_issues(inventory)]
    if problems:
        return problems
    patching.apply_patches(sibling, inventory)
    ctx.state.record_quantity(sibling.sku, at, "feed")
    return None


def _inventory_part(message: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The message's fulfillment_availability change as patches, or None when it has none."""
    if message["operationType"] == "PATCH":
        patches = [p for p in message["patches"] if p["path"].endswith("/" + QTY_ATTR)]
        return patches or None
    value = message.get("attributes", {}).get(QTY_ATTR)
    if message["operationType"] != "PARTIAL_UPDATE" or not isinstance(value, list):
        return None
    return [{"op": "replace", "path": "/attributes/" + QTY_ATTR, "value": value}]


def _touches_quantity(message: dict[str, Any]) -> bool:
    if "patches" in message:
        return any(p["path"].endswith("/" + QTY_ATTR) for p in message["patches"])
    return QTY_ATTR in message.get("attributes", {})


def _issue(code: str, text: str, attribute: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "severity": "ERROR", "message": text}
    if attribute:
        out["attributeName"] = attribute
    return out


def _strip(listing_issue: dict[str, Any]) -> dict[str, Any]:
    """A listings-API issue in the shape the feed report uses."""
    names = listing_issue.get("attributeNames") or [None]
    return _issue(listing_issue["code"], listing_issue["message"], names[0])


def _report(
    ctx: EmulatorContext,
    feed: FeedState,
    parsed: ParsedFeed,
    issues: list[dict[str, Any]],
    applied: list[ListingState],
) -> dict[str, Any]:
    errors = sum(1 for i in issues if i["severity"] == "ERROR")
    invalid = len({i.get("messageId", id(i)) for i in issues if i["severity"] == "ERROR"})
    header: dict[str, Any] = {
        "sellerId": ctx.state.seller_id,
        "version": "2.0",
        "feedId": feed.feed_id,
    }
    report: dict[str, Any] = {
        "header": header,
        "issues": issues,
        "summary": {
            "errors": errors,
            "warnings": len(issues) - errors,
            "messagesProcessed": parsed.total,
            "messagesAccepted": parsed.total - invalid,
            "messagesInvalid": invalid,
        },
    }
    requested = parsed.header.get("report")
    if requested:
        header["report"] = requested
        report["items"] = [item_body(ls, requested["includedData"]) for ls in applied]
        report["summary"]["itemSummary"] = {"items": len(applied), "errors": 0, "warnings": 0}
    return report
