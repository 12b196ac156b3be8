"""Listings Items API 2021-08-01 writes: patchListingsItem, putListingsItem, deleteListingsItem.

Each answers a ``ListingsItemSubmissionResponse`` (ACCEPTED, INVALID, or VALID under
``mode=VALIDATION_PREVIEW``) or the model's ``ErrorList``. The MFN quantity belongs to the
seller + SKU: a patch or put of ``fulfillment_availability`` in one marketplace changes it in
every marketplace that lists the SKU, whatever ``marketplaceIds`` says; the offer (the other
attributes, presence) stays per marketplace. So a patch for a SKU this account lists only in
other marketplaces applies its inventory part, with a WARNING issue (code 99020); a SKU the
account does not list anywhere is 400 ``BAD_REQUEST`` (the model lists no 404 for writes).
"""

from __future__ import annotations

import uuid
from typing import Any

from stockguard.doubles.emulator import patching
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.listings import included_data, marketplaces, wrong_seller
from stockguard.doubles.emulator.state import QTY_ATTR, ListingState
from stockguard.doubles.emulator.wire import Request, Response, error, invalid_input, ok

SUBMISSION_DATA = ("identifiers", "issues")
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
NOT_LISTED_HERE = "99020"


def no_such_sku(sku: str, marketplace_ids: list[str]) -> Response:
    """The model's 400 for a write to a SKU the account does not list (its sandbox: BadSKU)."""
    return error(
        400,
        "BAD_REQUEST",
        "Invalid input",
        f"Requested item, {sku}, not found in marketplace(s) {','.join(marketplace_ids)}.",
    )


def _scope(ctx: EmulatorContext, req: Request) -> tuple[list[str], list[str], Any] | Response:
    """(marketplace ids, included data, JSON body or None) of a write, or Amazon's error."""
    marketplace_ids = marketplaces(ctx, req)
    if isinstance(marketplace_ids, Response):
        return marketplace_ids
    included = included_data(req, SUBMISSION_DATA, "issues")
    if isinstance(included, Response):
        return included
    body = None
    if req.method != "DELETE":
        try:
            body = req.json()
        except ValueError:
            return invalid_input("The request body is not valid JSON.")
    return marketplace_ids, included, body


def patch_listings_item(ctx: EmulatorContext, req: Request) -> Response:
    """PATCH /listings/2021-08-01/items/{sellerId}/{sku}: validate, then apply (or not)."""
    scope = _scope(ctx, req)
    if isinstance(scope, Response):
        return scope
    marketplace_ids, included, body = scope
    problem = _patch_problem(body)
    if problem:
        return invalid_input(problem)
    refused = wrong_seller(ctx, req)
    if refused:
        return refused
    sku = req.params["sku"]
    listing = ctx.state.find_listing(sku, marketplace_ids)
    sibling = listing or ctx.state.first_listing(sku)
    if sibling is None:
        return no_such_sku(sku, marketplace_ids)
    issues = patching.patch_issues(body["patches"])
    issues += _product_type_issues(body["productType"], sibling)
    status = _status(req, issues)
    patches = body["patches"]
    if listing is None:  # listed in other marketplaces only: the inventory part applies
        patches = [p for p in patches if p["path"].endswith("/" + QTY_ATTR)]
        issues.append(_not_listed_here(sku, marketplace_ids, bool(patches)))
    if status == "ACCEPTED" and patches and not ctx.faults.take_drop(sku):
        _apply(ctx, sibling, patches, listing is not None)
    return ok(_submission(sku, listing, status, issues, included))


def _patch_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The request body must be a ListingsItemPatchRequest object."
    if not isinstance(body.get("productType"), str) or not body["productType"]:
        return "'productType' is required."
    return patching.shape_error(body.get("patches"))


def _product_type_issues(product_type: str, listing: ListingState) -> list[dict[str, Any]]:
    if product_type in ("PRODUCT", listing.product_type):
        return []
    message = (
        f"The product type '{product_type}' does not match the product type of the listing "
        f"({listing.product_type})."
    )
    return [patching.issue("4000004", message, None, "INVALID_ATTRIBUTE")]


def _status(req: Request, issues: list[dict[str, Any]]) -> str:
    errors = [i for i in issues if i["severity"] == "ERROR"]
    if errors:
        return "INVALID"
    return "VALID" if req.arg("mode") == "VALIDATION_PREVIEW" else "ACCEPTED"


def _not_listed_here(sku: str, marketplace_ids: list[str], applied: bool) -> dict[str, Any]:
    where = ",".join(marketplace_ids)
    text = f"The SKU '{sku}' is not listed in marketplace(s) {where}; "
    if applied:
        text += "its fulfillment_availability applies to every marketplace that lists it."
    else:
        text += "nothing but fulfillment_availability can change before it is listed there."
    found = patching.issue(NOT_LISTED_HERE, text, QTY_ATTR if applied else None, "")
    return found | {"severity": "WARNING", "marketplaceIds": marketplace_ids}


def _apply(
    ctx: EmulatorContext, listing: ListingState, patches: list[dict[str, Any]], offer: bool
) -> None:
    now = ctx.clock.now()
    patching.apply_patches(listing, patches)
    if offer:
        listing.updated_at = now
    if any(p["path"].endswith("/" + QTY_ATTR) for p in patches):
        for each in ctx.state.listings_of(listing.sku):
            each.updated_at = now
        ctx.state.record_quantity(listing.sku, now, "patch")


def put_listings_item(ctx: EmulatorContext, req: Request) -> Response:
    """PUT /listings/2021-08-01/items/{sellerId}/{sku}: create or fully replace the listing in
    each marketplace named; ``fulfillment_availability``, when given, is the SKU's for all."""
    scope = _scope(ctx, req)
    if isinstance(scope, Response):
        return scope
    marketplace_ids, included, body = scope
    problem = _put_problem(body)
    if problem:
        return invalid_input(problem)
    refused = wrong_seller(ctx, req)
    if refused:
        return refused
    sku, attributes = req.params["sku"], body["attributes"]
    requirements = body.get("requirements", "LISTING")
    issues = patching.attribute_issues(attributes, requirements == "LISTING_PRODUCT_ONLY")
    status = _status(req, issues)
    listings: list[ListingState] = []
    if status == "ACCEPTED":
        listings = [_put(ctx, sku, m, body["productType"], attributes) for m in marketplace_ids]
        if QTY_ATTR in attributes:
            ctx.state.record_quantity(sku, ctx.clock.now(), "put")
    answer = _submission(sku, None, status, issues, included)
    if "identifiers" in included:
        answer["identifiers"] = [_identifier(ls) for ls in listings]
    return ok(answer)


def _put_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The request body must be a ListingsItemPutRequest object."
    if not isinstance(body.get("productType"), str) or not body["productType"]:
        return "'productType' is required."
    if not isinstance(body.get("attributes"), dict):
        return "'attributes' is required and must be an object."
    if body.get("requirements", "LISTING") not in REQUIREMENTS:
        return f"'requirements' must be one of {', '.join(REQUIREMENTS)}."
    return None


def _put(
    ctx: EmulatorContext,
    sku: str,
    marketplace_id: str,
    product_type: str,
    attributes: dict[str, Any],
) -> ListingState:
    now = ctx.clock.now()
    listing = ctx.state.find_listing(sku, [marketplace_id])
    if listing is None:
        listing = ctx.state.add_listing(sku, marketplace_id, product_type, now)
    listing.product_type, listing.updated_at = product_type, now
    listing.offer.clear()  # a full update: the offer is what this request says
    patching.replace_attributes(listing, attributes, full=False)
    listing.item_name = patching.first_value(attributes, "item_name") or listing.item_name
    listing.asin = patching.first_value(attributes, "merchant_suggested_asin") or listing.asin
    listing.price = patching.offer_price(attributes)
    return listing


def delete_listings_item(ctx: EmulatorContext, req: Request) -> Response:
    """DELETE /listings/2021-08-01/items/{sellerId}/{sku}: delist the SKU in each marketplace
    named; its inventory stays with its listings elsewhere."""
    scope = _scope(ctx, req)
    if isinstance(scope, Response):
        return scope
    marketplace_ids, included, _ = scope
    refused = wrong_seller(ctx, req)
    if refused:
        return refused
    sku = req.params["sku"]
    listings = [ls for m in marketplace_ids if (ls := ctx.state.find_listing(sku, [m]))]
    if not listings:
        return no_such_sku(sku, marketplace_ids)
    for listing in listings:
        ctx.state.remove_listing(listing)
    return ok(_submission(sku, None, "ACCEPTED", [], included))


def _identifier(listing: ListingState) -> dict[str, str]:
    return {"marketplaceId": listing.marketplace_id, "asin": listing.asin}


def _submission(
    sku: str,
    listing: ListingState | None,
    status: str,
    issues: list[dict[str, Any]],
    included: list[str],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": sku,
        "status": status,
        "submissionId": uuid.uuid4().hex,
        "issues": issues,
    }
    if "identifiers" in included:
        body["identifiers"] = [_identifier(listing)] if listing else []
    return body
