"""Amazon as a supplier: getItemOffersBatch through python-amazon-sp-api's Product Pricing.

``PricingTransport`` is the HTTP half of ``suppliers.apis.amazon.AmazonOffersApi``: one
``ProductsV0.get_item_offers_batch`` call per batch, on the seller's own authorisation for
the supplier marketplace's region (Japan: the FE endpoint and its own refresh token), with the
gateway's fixes for the library (the Host header, bare error answers, a token cache key that
covers the client secret and LWA host). It neither waits nor retries: the checker paces calls
by the API's quota and reads a refused batch again next round. Failures become
``ApiQuotaRefused`` (429) or ``ApiCallFailed`` with every credential scrubbed from the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from sp_api.api.products.products_v0 import ProductsV0
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException
from sp_api.base.credential_provider import FromCodeCredentialProvider

from stockguard.core.amazon import account, translate, wire
from stockguard.core.amazon.gateway import _lwa_client_class, _Wire
from stockguard.core.domain import Marketplace
from stockguard.core.errors import ApiCallFailed, ApiQuotaRefused, ConfigError

OPERATION = "getItemOffersBatch"
CREDENTIALS = ("lwa_app_id", "lwa_client_secret", "refresh_token")


class _Products(_Wire, ProductsV0):  # type: ignore[misc]
    pass


class PricingTransport:
    """getItemOffersBatch for one marketplace; ``close`` it when done."""

    def __init__(
        self,
        market: Marketplace,
        credentials: Mapping[str, str],
        *,
        endpoint: str | None = None,
        lwa_endpoint: str | None = None,
        timeout: float = 30.0,
        missing: Sequence[str] = (),
    ) -> None:
        """``credentials``: lwa_app_id, lwa_client_secret, refresh_token (from the
        environment); ``missing``: the environment variables that were not set."""
        absent = [key for key in CREDENTIALS if not credentials.get(key)]
        if absent:
            names = ", ".join(missing) or ", ".join(absent)
            raise ConfigError(f"Amazon {market.code} offers: credentials missing: set {names}")
        self.market = market
        self._redact = translate.Redactor(credentials.values())
        self._client = _Products(
            marketplace=Marketplaces.US,  # overridden below, whatever the env says
            credentials={key: credentials[key] for key in CREDENTIALS},
            credential_providers=(FromCodeCredentialProvider,),
            timeout=timeout,
            auth_token_client_class=_lwa_client_class(lwa_endpoint, timeout),
        )
        self._client.endpoint = account.REGION_ENDPOINTS[market.region]
        if endpoint:
            self._client.endpoint = endpoint.rstrip("/")
        self._client.marketplace_id = market.marketplace_id

    def item_offers_batch(self, asins: Sequence[str]) -> list[dict[str, Any]]:
        """The ``responses`` of one call for ``asins`` (New condition, consumer offers)."""
        requests = [
            {
                "uri": f"/products/pricing/v0/items/{asin}/offers",
                "method": "GET",
                "MarketplaceId": self.market.marketplace_id,
                "ItemCondition": "New",
                "CustomerType": "Consumer",
            }
            for asin in asins
        ]
        try:
            answer = self._client.get_item_offers_batch(requests_=requests)
        except wire.BareHttpError as exc:
            raise self._failure(exc.status, f"HTTP {exc.status}", exc.headers) from None
        except SellingApiException as exc:
            code, message = getattr(exc, "amzn_code", ""), getattr(exc, "message", "")
            detail = f"{code or ''} {message or ''}".strip()
            status = getattr(exc, "status", None) or getattr(exc, "code", None)
            raise self._failure(status, detail, exc.headers) from None
        except AuthorizationError as exc:
            text = self._redact(f"login with Amazon refused: {getattr(exc, 'message', '')}")
            raise ApiCallFailed(f"{OPERATION}: {text}", blocked=True) from None
        except httpx.HTTPError as exc:
            text = self._redact(f"{type(exc).__name__}: {exc}")
            raise ApiCallFailed(f"{OPERATION}: {text}") from None
        responses = (answer.payload or {}).get("responses")
        if not isinstance(responses, list):
            raise ApiCallFailed(f"{OPERATION}: the answer has no responses list")
        return [r for r in responses if isinstance(r, dict)]

    def _failure(self, status: Any, detail: str, headers: Any) -> Exception:
        text = self._redact(f"{OPERATION} {status}: {detail}")
        if status == 429:
            retry = (headers or {}).get("Retry-After") if hasattr(headers, "get") else None
            return ApiQuotaRefused(text, retry_after=_seconds(retry))
        return ApiCallFailed(text, blocked=status in (401, 403))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
        self._client._auth._transport.close()


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
