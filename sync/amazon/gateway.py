"""The only importer of ``sp_api``: every call stockguard makes to Amazon goes through here.

Each call is rate-limited (``ratelimit.RateLimiter``: waits for a token on the injected clock,
corrected by ``x-amzn-RateLimit-Limit``), retried on 429/5xx/connection errors with jittered
exponential backoff (never on another 4xx), and its failure is turned into a ``sync.errors``
exception with every secret scrubbed (``translate``). The parts that need no ``sp_api`` live
beside this module: ``retry`` (the retry loop), ``jobs`` (feeds and reports: submit, poll,
read), ``orders_fetch`` (Orders v2026/v0 paging), ``feeds_doc`` (feed bodies, processing
reports), ``orders_parse`` / ``listings_parse`` (answers -> domain), ``documents``
(presigned-URL upload/download). docs/gateway.md explains how to run against a real account.

python-amazon-sp-api quirks handled here (amazon-sp-api.md §7, pitfall 14): the endpoint and
marketplace are set after construction (``SP_API_DEFAULT_MARKETPLACE`` and ``AWS_ENV`` cannot
redirect us), the Host header is derived from the real endpoint, the LWA token cache key
covers the client id, secret and LWA host (the library keys it on the refresh token alone),
only the credentials we pass are used (no env/file fallback), and an error answer without
an ``errors`` body (a bare 429) raises instead of passing as an empty success.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from sp_api.api.feeds.feeds_2021_06_30 import FeedsV20210630
from sp_api.api.listings_items.listings_items_2021_08_01 import ListingsItemsV20210801
from sp_api.api.orders.orders_2026_01_01 import OrdersV20260101
from sp_api.api.orders.orders_v0 import OrdersV0
from sp_api.api.reports.reports import Reports
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as token_cache_module
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException, fill_query_params
from sp_api.base.credential_provider import FromCodeCredentialProvider

from sync.amazon import feeds_doc, listings_parse, orders_fetch, translate
from sync.amazon.caller import must
from sync.amazon.documents import DocumentClient
from sync.amazon.jobs import ACK_FEED, JobRunner
from sync.amazon.ratelimit import RateLimiter
from sync.amazon.results import FeedResult, SubmissionResult
from sync.amazon.retry import AttemptFailed, Retrier
from sync.clock import Clock, SystemClock
from sync.config import AmazonSettings, Secrets
from sync.domain import Order, QuantityUpdate, marketplace
from sync.errors import (
    AmazonAuthError,
    AmazonError,
    AmazonRejected,
    ConfigError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

LWA_DEFAULT = "https://api.amazon.com"
REGION_ENDPOINTS = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}
QUANTITY_FEED = "JSON_LISTINGS_FEED"


class _BareHttpError(Exception):
    """An error status whose body has no ``errors`` list (the library would return it as OK)."""

    def __init__(self, status: int, headers: Any) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


class _Wire:
    """Mixin for the library's clients: the right Host header, and no silent error answers."""

    endpoint: str

    @property
    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = super().headers  # type: ignore[misc]
        # The library sends endpoint[8:], which is wrong for http:// (the emulator).
        headers["host"] = urlsplit(self.endpoint).netloc
        return headers

    def _check_response(self, res: httpx.Response, *args: Any, **kwargs: Any) -> Any:
        # An error status without an ``errors`` body is parsed as an empty success by the
        # library (a bare 429 in particular): raise it, whatever the body says.
        if res.status_code >= 400 and not _has_errors(res):
            raise _BareHttpError(res.status_code, res.headers)
        try:
            return super()._check_response(res, *args, **kwargs)  # type: ignore[misc]
        except SellingApiException as exc:
            exc.status = res.status_code  # the library's generic class forgets it (401, 502...)
            raise


def _has_errors(res: httpx.Response) -> bool:
    try:
        body = res.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("errors"))


class _Listings(_Wire, ListingsItemsV20210801):  # type: ignore[misc]
    pass


class _Feeds(_Wire, FeedsV20210630):  # type: ignore[misc]
    def get_feed_document_info(self, feed_document_id: str) -> Any:
        """getFeedDocument without the library's own download (we gunzip and decode)."""
        path = fill_query_params("/feeds/2021-06-30/documents/{}", feed_document_id)
        return self._request(path, params={"method": "GET"}, add_marketplace=False)


class _Orders2026(_Wire, OrdersV20260101):  # type: ignore[misc]
    pass


class _OrdersV0(_Wire, OrdersV0):  # type: ignore[misc]
    pass


class _Reports(_Wire, Reports):  # type: ignore[misc]
    pass


def _lwa_client_class(lwa_endpoint: str | None) -> type[Any]:
    """An AccessTokenClient posting to ``lwa_endpoint`` with a cache key that covers it all."""
    parts = urlsplit(lwa_endpoint or LWA_DEFAULT)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"[amazon] lwa_endpoint: not an http(s) URL: {lwa_endpoint!r}")

    class _LWA(AccessTokenClient):  # type: ignore[misc]
        scheme = f"{parts.scheme}://"
        host = parts.netloc
        path = parts.path.rstrip("/") + "/auth/o2/token"

        def _get_cache_key(self, token_flavor: str = "") -> str:
            # The library's cache is global and keyed by the refresh token only: a wrong
            # client secret would be served the token cached for the right one.
            c = self.cred
            raw = "\n".join([self.host, c.client_id, c.client_secret, c.refresh_token or ""])
            return "stockguard_" + hashlib.sha256((raw + token_flavor).encode()).hexdigest()

        def _request(self, url: str, data: Any, headers: Any) -> Any:
            response = self._transport.request("POST", url, data=data, headers=headers)
            try:
                body = response.json()
            except ValueError:
                body = {}  # LWA behind a failing proxy answers HTML: no JSONDecodeError for us
            if not isinstance(body, dict):
                body = {}
            if response.status_code != 200 or "access_token" not in body:
                raise AuthorizationError(
                    body.get("error"), body.get("error_description"), response.status_code
                )
            return body

    return _LWA


class AmazonGateway:
    """Rate-limited, retrying access to the Selling Partner API for one seller account."""

    def __init__(
        self,
        settings: AmazonSettings,
        secrets: Secrets,
        clock: Clock | None = None,
        *,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._secrets = secrets
        self.clock = clock or SystemClock()
        self.limiter = limiter or RateLimiter(self.clock)
        self._redact = translate.Redactor(
            [secrets.lwa_client_id, secrets.lwa_client_secret, secrets.refresh_token]
        )
        try:
            self.marketplace = marketplace(settings.marketplace)
        except KeyError:
            raise ConfigError(f"[amazon] marketplace: unknown {settings.marketplace!r}") from None
        self.endpoint = (settings.endpoint or REGION_ENDPOINTS[self.marketplace.region]).rstrip("/")
        self._lwa = _lwa_client_class(settings.lwa_endpoint)
        self._documents = DocumentClient(settings.timeout_seconds)
        self._jobs = JobRunner(self._call, self._documents, settings, self.clock)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []
        self._feed_keys: dict[str, dict[int, str]] = {}
        self._v2026_unsupported = False
        self._retrier = Retrier(
            settings, self.clock, self.limiter, rng or random.Random(), self._forget_access_token
        )
        self.requests = self._retrier.requests  # requests sent per operation (benchmarks)

    # --- plumbing ---------------------------------------------------------------------------

    def _credentials(self) -> dict[str, str]:
        names = translate.CREDENTIAL_ENV
        values = (
            self._secrets.lwa_client_id,
            self._secrets.lwa_client_secret,
            self._secrets.refresh_token,
        )
        missing = [n for n, v in zip(names, values, strict=True) if not v]
        if missing:
            raise translate.missing_credentials(missing)
        return {
            "lwa_app_id": values[0],
            "lwa_client_secret": values[1],
            "refresh_token": values[2],
        }

    def _client(self, cls: type[Any]) -> Any:
        """This thread's client of ``cls`` (the library's clients keep per-call state)."""
        clients: dict[type[Any], Any] = self._local.__dict__.setdefault("clients", {})
        if cls not in clients:
            client = cls(
                marketplace=Marketplaces.US,  # overridden below, whatever the env says
                credentials=self._credentials(),
                credential_providers=(FromCodeCredentialProvider,),
                timeout=self.settings.timeout_seconds,
                auth_token_client_class=self._lwa,
            )
            client.endpoint = self.endpoint
            client.marketplace_id = self.marketplace.marketplace_id
            with self._lock:
                self._opened.append(client)
            clients[cls] = client
        return clients[cls]

    def _seller_id(self) -> str:
        if not self.settings.seller_id:
            raise ConfigError("[amazon] seller_id is not set (your Merchant Token)")
        return self.settings.seller_id

    def close(self) -> None:
        """Close every HTTP connection the gateway opened."""
        with self._lock:
            opened, self._opened = self._opened, []
        for client in opened:
            client.close()
            client._auth._transport.close()
        self._documents.close()

    def __enter__(self) -> AmazonGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self, operation: str, send: Callable[[], T], subject: str = "", *, missing_ok: bool = False
    ) -> T | None:
        """Send one request through the retrier (rate limit, retries, translation).

        ``missing_ok``: a 404 answer returns None instead of raising.
        """
        return self._retrier.run(
            operation, partial(self._attempt, operation, send, subject), missing_ok=missing_ok
        )

    def _attempt(self, operation: str, send: Callable[[], T], subject: str) -> T:
        """One request; its failure as ``AttemptFailed`` (the translated error and the status)."""
        try:
            answer = send()
        except _BareHttpError as exc:
            self._observe(operation, exc.headers)
            raise self._failed(operation, subject, exc.status, None, None) from None
        except SellingApiException as exc:
            self._observe(operation, exc.headers)
            status = getattr(exc, "status", None) or (exc.code if exc.code != 999 else None)
            code, message = getattr(exc, "amzn_code", None), getattr(exc, "message", None)
            raise self._failed(operation, subject, status, code, message) from None
        except AuthorizationError as exc:
            error = translate.for_lwa(exc.status_code, exc.error_code, exc.message, self._redact)
            raise AttemptFailed(error, None) from None
        except httpx.TransportError as exc:
            raise AttemptFailed(
                translate.for_connection(operation, exc, self._redact), None
            ) from None
        except AmazonError as exc:  # from documents.py (presigned URLs)
            raise AttemptFailed(exc, None) from None
        self._observe(operation, getattr(answer, "headers", None))
        return answer

    def _forget_access_token(self) -> None:
        """Drop this gateway's cached LWA token: the next request logs in again."""
        for client in self._local.__dict__.get("clients", {}).values():
            token_cache_module.cache.pop(client._auth._get_cache_key(), None)

    def _observe(self, operation: str, headers: Any) -> None:
        if headers is not None:
            self.limiter.observe(operation, headers.get("x-amzn-RateLimit-Limit"))

    def _failed(
        self, operation: str, subject: str, status: int | None, code: Any, message: Any
    ) -> AttemptFailed:
        error = translate.for_status(
            status,
            operation,
            code=str(code) if code else None,
            message=str(message) if message else None,
            subject=subject,
            redact=self._redact,
        )
        return AttemptFailed(error, status)

    # --- listings ---------------------------------------------------------------------------

    def patch_quantity(self, update: QuantityUpdate) -> SubmissionResult:
        """patchListingsItem with the ``merge`` op (keeps the handling time)."""
        body = feeds_doc.patch_body(update)
        client = self._client(_Listings)
        seller = self._seller_id()
        answer = must(
            self._call,
            "patchListingsItem",
            lambda: client.patch_listings_item(
                seller, update.sku, marketplaceIds=[update.marketplace_id], body=body
            ),
            f"SKU {update.sku}",
        )
        return listings_parse.submission_result(answer.payload or {}, update.sku)

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None:
        """Amazon's current MFN quantity (getListingsItem, fulfillmentAvailability)."""
        client = self._client(_Listings)
        seller = self._seller_id()
        mid = marketplace_id or self.marketplace.marketplace_id
        answer = self._call(
            "getListingsItem",
            lambda: client.get_listings_item(
                seller, sku, marketplaceIds=[mid], includedData=["fulfillmentAvailability"]
            ),
            f"SKU {sku}",
            missing_ok=True,
        )
        return None if answer is None else listings_parse.mfn_quantity(answer.payload or {})

    # --- feeds ------------------------------------------------------------------------------

    def submit_quantity_feed(self, updates: Sequence[QuantityUpdate]) -> str:
        """Create, upload and submit a JSON_LISTINGS_FEED; return the feed id.

        At most 25,000 updates, one marketplace, each SKU once (splitting is the caller's job).
        """
        document, skus = feeds_doc.build_quantity_feed(self._seller_id(), updates)
        target = feeds_doc.feed_marketplace(updates)
        self.limiter.acquire(f"feedType:{QUANTITY_FEED}")
        feed_id = self._jobs.submit_feed(
            self._client(_Feeds), QUANTITY_FEED, document, feeds_doc.JSON_CONTENT_TYPE, target
        )
        self._feed_keys[feed_id] = skus
        return feed_id

    def submit_order_acknowledgements(self, xml: bytes) -> str:
        """Submit a POST_ORDER_ACKNOWLEDGEMENT_DATA feed; return the feed id."""
        if not isinstance(xml, bytes):
            raise TypeError("the order-acknowledgement document must be bytes (UTF-8 XML)")
        orders = feeds_doc.acknowledgement_orders(xml)
        target = self.marketplace.marketplace_id
        feed_id = self._jobs.submit_feed(
            self._client(_Feeds), ACK_FEED, xml, feeds_doc.XML_CONTENT_TYPE, target
        )
        self._feed_keys[feed_id] = orders
        return feed_id

    def wait_for_feed(self, feed_id: str) -> FeedResult:
        """Poll a feed until it ends and read its processing report (JSON or XML).

        Errors are keyed by SKU (JSON_LISTINGS_FEED) or AmazonOrderID (acknowledgements);
        issues about the whole feed under ``feeds_doc.FEED_LEVEL`` ("*").
        """
        keys = self._feed_keys.get(feed_id, {})
        return self._jobs.feed_result(self._client(_Feeds), feed_id, keys)

    # --- orders -----------------------------------------------------------------------------

    def search_orders(self, updated_after: datetime, *, version: str = "auto") -> list[Order]:
        """Orders updated after ``updated_after`` with their items (v2026-01-01, v0 fallback).

        ``version``: "auto" (v2026-01-01, falling back to v0 when it fails), "2026-01-01"
        or "v0".
        """
        mid = self.marketplace.marketplace_id
        if self._use_v0(version):
            return orders_fetch.search_v0(self._call, self._client(_OrdersV0), mid, updated_after)
        try:
            return orders_fetch.search_v2026(
                self._call, self._client(_Orders2026), mid, updated_after
            )
        except AmazonError as exc:
            if version != "auto":
                raise
            self._note_v2026_failure(exc)
            return orders_fetch.search_v0(self._call, self._client(_OrdersV0), mid, updated_after)

    def get_order(self, order_id: str, *, version: str = "auto") -> Order | None:
        """One order with its items, or None when Amazon does not know it."""
        if self._use_v0(version):
            return orders_fetch.get_v0(self._call, self._client(_OrdersV0), order_id)
        try:
            return orders_fetch.get_v2026(self._call, self._client(_Orders2026), order_id)
        except AmazonError as exc:
            if version != "auto":
                raise
            self._note_v2026_failure(exc)
            return orders_fetch.get_v0(self._call, self._client(_OrdersV0), order_id)

    def _use_v0(self, version: str) -> bool:
        if version not in ("auto", "v0", "2026-01-01"):
            raise ValueError(f"unknown Orders API version {version!r}")
        return version == "v0" or (version == "auto" and self._v2026_unsupported)

    def _note_v2026_failure(self, exc: AmazonError) -> None:
        if isinstance(exc, AmazonAuthError | AmazonRejected):
            self._v2026_unsupported = True  # not authorised or not offered: stop asking
        log.warning("Orders v2026-01-01 failed (%s); using Orders v0", exc)

    # --- reports ----------------------------------------------------------------------------

    def request_account_health(self) -> dict[str, Any]:
        """Request and download GET_V2_SELLER_PERFORMANCE_REPORT as parsed JSON."""
        return self._jobs.account_health(self._client(_Reports), self.marketplace.marketplace_id)
