"""Amazon's Swagger 2.0 models in ../shared/spapi-models, for tests that validate the wire.

The models never set ``additionalProperties: false``, so a misspelt key would pass plain
validation; here every object is *closed* (unknown keys fail) unless the model says otherwise.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

# emulator operation name -> (model file, operationId in that model)
OPERATIONS = {
    "getListingsItem": ("listingsItems_2021-08-01.json", "getListingsItem"),
    "patchListingsItem": ("listingsItems_2021-08-01.json", "patchListingsItem"),
    "putListingsItem": ("listingsItems_2021-08-01.json", "putListingsItem"),
    "deleteListingsItem": ("listingsItems_2021-08-01.json", "deleteListingsItem"),
    "searchListingsItems": ("listingsItems_2021-08-01.json", "searchListingsItems"),
    "createFeedDocument": ("feeds_2021-06-30.json", "createFeedDocument"),
    "createFeed": ("feeds_2021-06-30.json", "createFeed"),
    "getFeed": ("feeds_2021-06-30.json", "getFeed"),
    "getFeeds": ("feeds_2021-06-30.json", "getFeeds"),
    "getFeedDocument": ("feeds_2021-06-30.json", "getFeedDocument"),
    "searchOrders": ("orders_2026-01-01.json", "searchOrders"),
    "getOrder": ("orders_2026-01-01.json", "getOrder"),
    "getOrders": ("ordersV0.json", "getOrders"),
    "getOrderV0": ("ordersV0.json", "getOrder"),
    "getOrderItems": ("ordersV0.json", "getOrderItems"),
    "createReport": ("reports_2021-06-30.json", "createReport"),
    "getReport": ("reports_2021-06-30.json", "getReport"),
    "getReports": ("reports_2021-06-30.json", "getReports"),
    "getReportDocument": ("reports_2021-06-30.json", "getReportDocument"),
    "getItemOffers": ("productPricingV0.json", "getItemOffers"),
    "getItemOffersBatch": ("productPricingV0.json", "getItemOffersBatch"),
}
# Reached by tests/amazon/test_pricing_conformance.py, not by the gateway's scenario.
PRICING_OPERATIONS = {"getItemOffers", "getItemOffersBatch"}


@cache
def model(shared: Path, name: str) -> dict[str, Any]:
    """One model file, parsed once."""
    loaded: dict[str, Any] = json.loads((shared / "spapi-models/openapi" / name).read_text())
    return loaded


@cache
def closed_definitions(shared: Path, name: str) -> dict[str, Any]:
    """The model's definitions with every object that does not say otherwise closed."""
    closed = copy.deepcopy(model(shared, name)["definitions"])
    raw = model(shared, name)["definitions"]

    def merged(node: dict[str, Any]) -> dict[str, Any]:
        """An ``allOf`` of objects as one object: closing each part alone would refuse the
        keys the other parts define (productPricingV0's batch request and response items)."""
        parts = [raw[p["$ref"].split("/")[-1]] if "$ref" in p else p for p in node["allOf"]]
        parts = [merged(p) if "allOf" in p else p for p in parts]
        one: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        one["type"] = "object"
        one["properties"] = {k: v for p in parts for k, v in p.get("properties", {}).items()}
        one["required"] = sorted({r for p in parts for r in p.get("required", [])})
        return copy.deepcopy(one)

    for key, node in closed.items():
        if isinstance(node, dict) and "allOf" in node:
            closed[key] = merged(node)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(closed)
    return closed


def validator(shared: Path, name: str, schema: dict[str, Any]) -> Draft4Validator:
    """A validator for ``schema`` (usually a ``$ref``) against the closed definitions."""
    return Draft4Validator({**schema, "definitions": closed_definitions(shared, name)})


def operation(shared: Path, name: str, operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId."""
    for methods in model(shared, name)["paths"].values():
        for op in methods.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"{operation_id} not in {name}")
