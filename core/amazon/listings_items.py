"""The Listings Items calls: set one SKU's MFN quantity, read it back (no ``sp_api``).

Like ``orders_fetch``, these receive the gateway's Caller (rate limit, retries, translation)
and the library's client object; ``listings_parse`` reads the answers.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from stockguard.core.amazon import listings_parse
from stockguard.core.amazon.caller import Caller, must
from stockguard.core.amazon.results import SubmissionResult
from stockguard.core.domain import QuantityUpdate

QUANTITY_DATA = ["fulfillmentAvailability"]


def patch_quantity(
    call: Caller, client: Any, seller_id: str, update: QuantityUpdate, body: dict[str, Any]
) -> SubmissionResult:
    """patchListingsItem with ``body`` (``feeds_doc.patch_body`` of ``update``)."""
    send = partial(
        client.patch_listings_item,
        seller_id,
        update.sku,
        marketplaceIds=[update.marketplace_id],
        body=body,
    )
    answer = must(call, "patchListingsItem", send, f"SKU {update.sku}")
    return listings_parse.submission_result(answer.payload or {}, update.sku)


def get_quantity(
    call: Caller, client: Any, seller_id: str, sku: str, marketplace_id: str
) -> int | None:
    """getListingsItem's MFN quantity; None when the listing or its MFN offer is missing."""
    send = partial(
        client.get_listings_item,
        seller_id,
        sku,
        marketplaceIds=[marketplace_id],
        includedData=QUANTITY_DATA,
    )
    answer = call("getListingsItem", send, f"SKU {sku}", missing_ok=True)
    return None if answer is None else listings_parse.mfn_quantity(answer.payload or {})
