"""Where and as whom the gateway connects, from settings and secrets (pure; no ``sp_api``).

The marketplace and its SP-API endpoint (the region's, or the emulator's), the Login with
Amazon token URL, the credentials in python-amazon-sp-api's form, the seller id, and the key
under which the library caches an access token. Settings problems are ``ConfigError``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from stockguard.core.amazon import translate
from stockguard.core.config import AmazonSettings, Secrets
from stockguard.core.domain import Marketplace, marketplace
from stockguard.core.errors import ConfigError

LWA_DEFAULT = "https://api.amazon.com"
REGION_ENDPOINTS = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}


@dataclass(frozen=True)
class TokenEndpoint:
    """Where Login with Amazon hands out access tokens, split as the library's client wants."""

    scheme: str  # with its "://"
    host: str
    path: str


class LibraryCredentials(Protocol):
    """The credentials object python-amazon-sp-api's token client holds (``self.cred``)."""

    client_id: str
    client_secret: str
    refresh_token: str | None


def find_marketplace(settings: AmazonSettings) -> Marketplace:
    """The configured marketplace (short code or SP-API id)."""
    try:
        return marketplace(settings.marketplace)
    except KeyError:
        raise ConfigError(f"[amazon] marketplace: unknown {settings.marketplace!r}") from None


def api_endpoint(settings: AmazonSettings, market: Marketplace) -> str:
    """The SP-API base URL: the configured one (the emulator), else the marketplace region's."""
    return (settings.endpoint or REGION_ENDPOINTS[market.region]).rstrip("/")


def token_endpoint(lwa_endpoint: str | None) -> TokenEndpoint:
    """The token URL under ``lwa_endpoint`` (None: Amazon's own)."""
    parts = urlsplit(lwa_endpoint or LWA_DEFAULT)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"[amazon] lwa_endpoint: not an http(s) URL: {lwa_endpoint!r}")
    path = parts.path.rstrip("/") + "/auth/o2/token"
    return TokenEndpoint(f"{parts.scheme}://", parts.netloc, path)


def token_cache_key(host: str, cred: LibraryCredentials, token_flavor: str) -> str:
    """The access-token cache key: LWA host, client id, client secret and refresh token."""
    # The library's cache is global and keyed by the refresh token only: a wrong
    # client secret would be served the token cached for the right one.
    raw = "\n".join([host, cred.client_id, cred.client_secret, cred.refresh_token or ""])
    return "stockguard_" + hashlib.sha256((raw + token_flavor).encode()).hexdigest()


def library_credentials(secrets: Secrets) -> dict[str, str]:
    """The LWA credentials as the library's ``credentials=``; ConfigError naming any absent."""
    values = (secrets.lwa_client_id, secrets.lwa_client_secret, secrets.refresh_token)
    names = secrets.credential_env or translate.CREDENTIAL_ENV
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        raise translate.missing_credentials(missing, names)
    return {
        "lwa_app_id": values[0],
        "lwa_client_secret": values[1],
        "refresh_token": values[2],
    }


def seller_id(settings: AmazonSettings) -> str:
    """The seller's Merchant Token, needed by Listings Items and feeds."""
    if not settings.seller_id:
        raise ConfigError("[amazon] seller_id is not set (your Merchant Token)")
    return settings.seller_id
