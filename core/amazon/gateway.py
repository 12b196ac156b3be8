"""The only importer of ``sp_api``: every call stockguard makes to Amazon goes through here.

Each call is rate-limited (``ratelimit.RateLimiter``: waits for a token on the injected clock,
corrected by ``x-amzn-RateLimit-Limit``), retried on 429/5xx/connection errors with jittered
exponential backoff (never on another 4xx), and its failure is turned into a ``core.errors``
exception with every secret scrubbed (``translate``). The parts that need no ``sp_api`` live
beside this module: ``retry`` (the retry loop), ``jobs`` (feeds and reports: submit, poll,
read), ``orders_fetch`` (Orders v2026/v0 paging and fallback), ``listings_items`` (patch and
read a quantity), ``listings_report`` (the All Listings Report read in bulk), ``feeds_doc``
(feed bodies, processing reports), ``orders_parse`` / ``listings_parse`` (answers -> domain),
``documents`` (presigned-URL upload/download), ``account`` (endpoints, credentials, seller
id) and ``wire`` (the raw answers the library misreads). docs/gateway.md explains how to run
against a real account.

python-amazon-sp-api quirks handled here (amazon-sp-api.md §7, pitfall 14): the endpoint and
marketplace are set after construction (``SP_API_DEFAULT_MARKETPLACE`` and ``AWS_ENV`` cannot
redirect us), the Host header is derived from the real endpoint, the LWA token cache key
covers the client id, secret and LWA host (the library keys it on the refresh token alone),
only the credentials we pass are used (no env/file fallback), and an error answer without
an ``errors`` body (a bare 429) raises instead of passing as an empty success.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

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

from stockguard.core.amazon import account, feeds_doc, listings_items, translate, wire
from stockguard.core.amazon.documents import DocumentClient
from stockguard.core.amazon.jobs import ACK_FEED, QUANTITY_FEED, JobRunner
from stockguard.core.amazon.listings_report import ListingQuantities
from stockguard.core.amazon.orders_fetch import OrdersReader
from stockguard.core.amazon.ratelimit import RateLimiter
from stockguard.core.amazon.results import FeedResult, SubmissionResult
from stockguard.core.amazon.retry import AttemptFailed, Retrier
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.config import AmazonSettings, Secrets
from stockguard.core.domain import Order, QuantityUpdate
from stockguard.core.errors import AmazonError

T = TypeVar("T")


class _Wire:
    """Mixin for the library's clients: the right Host header, and no silent error answers."""

    endpoint: str

    @property
    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = super().headers  # type: ignore[misc]
        headers["host"] = wire.host_header(self.endpoint)
        return headers

    def _check_response(self, res: httpx.Response, *args: Any, **kwargs: Any) -> Any:
        wire.raise_bare_error(res)  # the library would parse a bare 429 as an empty success
        try:
            return super()._check_response(res, *args, **kwargs)  # type: ignore[misc]
        except SellingApiException as exc:
            exc.status = res.status_code  # the library's generic class forgets it (401, 502...)
            raise


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


class _TokenNoAnswer(Exception):
    """Login with Amazon did not answer the token request (timeout, connection refused)."""

    def __init__(self, cause: httpx.TransportError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _lwa_client_class(lwa_endpoint: str | None, timeout: float) -> type[Any]:
    """An AccessTokenClient posting to ``lwa_endpoint`` with a cache key that covers it all,
    waiting ``timeout`` seconds like every SP-API call (the library's own default is 5)."""
    token_url = account.token_endpoint(lwa_endpoint)

    class _LWA(AccessTokenClient):  # type: ignore[misc]
        scheme = token_url.scheme
        host = token_url.host
        path = token_url.path

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._transport._client.timeout = httpx.Timeout(timeout)

        def _get_cache_key(self, token_flavor: str = "") -> str:
            return account.token_cache_key(self.host, self.cred, token_flavor)

        def _request(self, url: str, data: Any, headers: Any) -> Any:
            try:
                response = self._transport.request("POST", url, data=data, headers=headers)
            except httpx.TransportError as exc:  # told apart from the SP-API call's own
                raise _TokenNoAnswer(exc) from None
            body = wire.json_object(response)  # no JSONDecodeError on an HTML answer
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
        self.marketplace = account.find_marketplace(settings)
        self.endpoint = account.api_endpoint(settings, self.marketplace)
        self._lwa = _lwa_client_class(settings.lwa_endpoint, settings.timeout_seconds)
        self._documents = DocumentClient(settings.timeout_seconds)
        self._jobs = JobRunner(self._call, self._documents, settings, self.clock)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []
        self._orders = OrdersReader(
            self._call, partial(self._client, _Orders2026), partial(self._client, _OrdersV0)
        )
        self._retrier = Retrier(
            settings, self.clock, self.limiter, rng or random.Random(), self._forget_access_token
        )
        self.requests = self._retrier.requests  # requests sent per operation (benchmarks)

    # --- plumbing ---------------------------------------------------------------------------

    def _client(self, cls: type[Any]) -> Any:
        """This thread's client of ``cls`` (the library's clients keep per-call state)."""
        clients: dict[type[Any], Any] = self._local.__dict__.setdefault("clients", {})
        if cls not in clients:
            client = cls(
                marketplace=Marketplaces.US,  # overridden below, whatever the env says
                credentials=account.library_credentials(self._secrets),
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
        except wire.BareHttpError as exc:
            self._observe(operation, exc.headers)
            raise self._failed(operation, subject, exc.status, None, None) from None
        except SellingApiException as exc:
            self._observe(operation, exc.headers)
            status = getattr(exc, "status", None) or (exc.code if exc.code != 999 else None)
            code = getattr(exc, "amzn_code", None)
            message = wire.error_text(getattr(exc, "error", None))
            raise self._failed(operation, subject, status, code, message) from None
        except AuthorizationError as exc:
            error = translate.for_lwa(exc.status_code, exc.error_code, exc.message, self._redact)
            raise AttemptFailed(error, None) from None
        except _TokenNoAnswer as exc:
            no_answer = translate.for_lwa_no_answer(operation, exc.cause, self._redact)
            raise AttemptFailed(no_answer, None) from None
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
        body = feeds_doc.patch_body(update)  # a bad update fails before any client is made
        client, seller = self._client(_Listings), account.seller_id(self.settings)
        return listings_items.patch_quantity(self._call, client, seller, update, body)

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None:
        """Amazon's current MFN quantity (getListingsItem, fulfillmentAvailability)."""
        client, seller = self._client(_Listings), account.seller_id(self.settings)
        mid = marketplace_id or self.marketplace.marketplace_id
        return listings_items.get_quantity(self._call, client, seller, sku, mid)

    # --- feeds ------------------------------------------------------------------------------

    def submit_quantity_feed(self, updates: Sequence[QuantityUpdate]) -> str:
        """Create, upload and submit a JSON_LISTINGS_FEED; return the feed id.

        At most 25,000 updates, one marketplace, each SKU once (splitting is the caller's job).
        """
        document, skus = feeds_doc.build_quantity_feed(account.seller_id(self.settings), updates)
        target = feeds_doc.feed_marketplace(updates)
        self.limiter.acquire(f"feedType:{QUANTITY_FEED}")
        return self._jobs.submit_feed(
            self._client(_Feeds), QUANTITY_FEED, document, feeds_doc.JSON_CONTENT_TYPE, target, skus
        )

    def submit_order_acknowledgements(self, xml: bytes) -> str:
        """Submit a POST_ORDER_ACKNOWLEDGEMENT_DATA feed; return the feed id."""
        if not isinstance(xml, bytes):
            raise TypeError("the order-acknowledgement document must be bytes (UTF-8 XML)")
        orders = feeds_doc.acknowledgement_orders(xml)
        target = self.marketplace.marketplace_id
        return self._jobs.submit_feed(
            self._client(_Feeds), ACK_FEED, xml, feeds_doc.XML_CONTENT_TYPE, target, orders
        )

    def wait_for_feed(self, feed_id: str) -> FeedResult:
        """Poll a feed until it ends and read its processing report (JSON or XML).

        Errors are keyed by SKU (JSON_LISTINGS_FEED) or AmazonOrderID (acknowledgements);
        issues about the whole feed under ``feeds_doc.FEED_LEVEL`` ("*").
        """
        return self._jobs.feed_result(self._client(_Feeds), feed_id)

    def feed_result_if_done(self, feed_id: str) -> FeedResult | None:
        """One getFeed, no waiting: None while the feed is queued or processing; once it has
        ended, its processing report as ``wait_for_feed`` reads it."""
        return self._jobs.feed_result_if_done(self._client(_Feeds), feed_id)

    def quota_wait(self, operations: Sequence[str]) -> float:
        """Seconds until every one of ``operations`` (operation names, or a feed-type quota
        such as ``feedType:JSON_LISTINGS_FEED``) has a token; nothing is reserved."""
        return max((self.limiter.wait_needed(op) for op in operations), default=0.0)

    # --- orders -----------------------------------------------------------------------------

    def search_orders(
        self,
        updated_after: datetime,
        *,
        marketplace_ids: Sequence[str] = (),
        version: str = "auto",
    ) -> list[Order]:
        """Orders updated after ``updated_after`` with their items (v2026-01-01, v0 fallback).

        ``marketplace_ids``: the marketplaces to search (default: the configured one); they
        must be in this account's region. ``version``: "auto" (v2026-01-01, falling back to
        v0 when it fails), "2026-01-01" or "v0".
        """
        ids = list(marketplace_ids) or [self.marketplace.marketplace_id]
        return self._orders.search(ids, updated_after, version)

    def get_order(self, order_id: str, *, version: str = "auto") -> Order | None:
        """One order with its items, or None when Amazon does not know it."""
        return self._orders.get(order_id, version)

    # --- reports ----------------------------------------------------------------------------

    def request_account_health(self) -> dict[str, Any]:
        """Request and download GET_V2_SELLER_PERFORMANCE_REPORT as parsed JSON."""
        return self._jobs.account_health(self._client(_Reports), self.marketplace.marketplace_id)

    def read_quantities(self, marketplace_id: str | None = None) -> ListingQuantities:
        """Every merchant-fulfilled SKU's quantity in one marketplace, from one All Listings
        Report (GET_MERCHANT_LISTINGS_ALL_DATA): a handful of requests for any number of
        listings. FBA rows and rows without a quantity are left out; unreadable rows are
        counted in ``skipped``, never guessed (listings_report.py)."""
        mid = marketplace_id or self.marketplace.marketplace_id
        return self._jobs.listing_quantities(self._client(_Reports), mid)
