"""Listings Items answers -> what stockguard acts on (pure; no ``sp_api``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockguard.core.amazon.results import ListingIssue, SubmissionResult

MFN_CHANNEL = "DEFAULT"  # fulfillmentChannelCode of merchant fulfilment (FBA: AMAZON_NA...)


def submission_result(payload: Mapping[str, Any], sku: str) -> SubmissionResult:
    """A ListingsItemSubmissionResponse (patch/put/delete)."""
    issues = tuple(
        ListingIssue(
            message=str(i.get("message", "")),
            severity=str(i.get("severity", "ERROR")).upper(),
            code=str(i.get("code", "")),
            sku=sku,
        )
        for i in payload.get("issues") or []
        if isinstance(i, Mapping)
    )
    return SubmissionResult(
        sku=str(payload.get("sku") or sku),
        status=str(payload.get("status") or "UNKNOWN"),
        submission_id=payload.get("submissionId"),
        issues=issues,
    )


def mfn_quantity(item: Mapping[str, Any]) -> int | None:
    """The DEFAULT-channel quantity of a getListingsItem ``Item``; None when it has none.

    ``fulfillmentAvailability`` (camelCase data set) first; the snake_case attribute as a
    fallback for answers asked with includedData=attributes.
    """
    for record in item.get("fulfillmentAvailability") or []:
        if record.get("fulfillmentChannelCode") == MFN_CHANNEL:
            return _quantity(record.get("quantity"))
    for record in (item.get("attributes") or {}).get("fulfillment_availability") or []:
        if record.get("fulfillment_channel_code") == MFN_CHANNEL:
            return _quantity(record.get("quantity"))
    return None  # no merchant-fulfilled offer on this listing


def _quantity(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
