"""Seller accounts: one store can serve several (an agency, or one seller's NA, EU and FE
accounts), each with its own credentials, marketplaces and Amazon limits.

``[[amazon.accounts]]`` in the config file::

    [[amazon.accounts]]
    name = "export-na"          # the account in the store, the catalogue and the CLI
    seller_id = "A1EXAMPLE"     # its Merchant Token
    marketplaces = ["US", "CA"] # where it sells: one region (NA, EU or FE) per account
    credentials = "EXPORT_NA"   # STOCKGUARD_EXPORT_NA_LWA_CLIENT_ID, _LWA_CLIENT_SECRET,
                                # _REFRESH_TOKEN (default: from the name)

The rest of ``[amazon]`` (retries, timeouts, the patch burst) is shared by all accounts.
Without ``[[amazon.accounts]]``, ``[amazon] seller_id`` and ``marketplace`` are the one account
``default``, its credentials in the usual variables (LWA_APP_ID...). Pure: settings in,
accounts out; every problem is one ConfigError naming the account and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from stockguard.core.config import AccountSettings, AmazonSettings, Secrets, Settings
from stockguard.core.domain import DEFAULT_ACCOUNT, Marketplace, marketplace
from stockguard.core.errors import ConfigError

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class Account:
    """One seller account, resolved: the gateway's settings and secrets, its marketplaces."""

    name: str
    amazon: AmazonSettings  # this account's seller id, first marketplace and endpoints
    marketplaces: tuple[Marketplace, ...]
    secrets: Secrets

    @property
    def region(self) -> str:
        """NA, EU or FE: every marketplace of an account is in one region."""
        return self.marketplaces[0].region

    def __repr__(self) -> str:
        codes = ",".join(m.code for m in self.marketplaces)
        return f"Account({self.name!r}, region={self.region}, marketplaces={codes})"


def accounts(settings: Settings) -> tuple[Account, ...]:
    """The configured accounts, in the file's order (the one ``default`` without a list)."""
    listed = settings.amazon.accounts
    if not listed:
        return (_default(settings),)
    for index, account in enumerate(listed, start=1):
        _check_name(account, index, [a.name for a in listed[: index - 1]])
    return tuple(_resolve(settings, account) for account in listed)


def find_account(settings: Settings, name: str | None) -> Account:
    """The account called ``name`` (None: the only one); ConfigError naming the known ones."""
    found = accounts(settings)
    if name is None and len(found) == 1:
        return found[0]
    known = ", ".join(a.name for a in found)
    if name is None:
        raise ConfigError(f"several seller accounts are configured ({known}): name one")
    for account in found:
        if account.name == name:
            return account
    raise ConfigError(f"unknown seller account {name!r} (known: {known})")


def _default(settings: Settings) -> Account:
    market = _market(settings.amazon.marketplace, "[amazon] marketplace")
    return Account(DEFAULT_ACCOUNT, settings.amazon, (market,), settings.secrets)


def _check_name(account: AccountSettings, index: int, earlier: list[str]) -> None:
    where = f"[[amazon.accounts]] #{index}"
    if not _NAME.fullmatch(account.name):
        raise ConfigError(
            f"{where}: name {account.name!r} must be 1-40 lowercase letters, digits or '-'"
        )
    if account.name in earlier:
        raise ConfigError(f"{where}: the name {account.name!r} is used by two accounts")


def _resolve(settings: Settings, account: AccountSettings) -> Account:
    where = f"[[amazon.accounts]] {account.name!r}"
    if not account.marketplaces:
        raise ConfigError(f'{where}: marketplaces is empty (e.g. ["US", "CA"])')
    markets = tuple(_market(code, f"{where} marketplaces") for code in account.marketplaces)
    regions = sorted({m.region for m in markets})
    if len(regions) > 1:
        raise ConfigError(
            f"{where}: marketplaces {', '.join(m.code for m in markets)} span regions "
            f"{', '.join(regions)}: an account sells in one region; make one account per region"
        )
    amazon = replace(
        settings.amazon,
        seller_id=account.seller_id,
        marketplace=markets[0].code,
        endpoint=account.endpoint or settings.amazon.endpoint,
        lwa_endpoint=account.lwa_endpoint or settings.amazon.lwa_endpoint,
        accounts=(),
    )
    secrets = settings.account_secrets.get(account.name, Secrets())
    return Account(account.name, amazon, markets, secrets)


def _market(code: str, where: str) -> Marketplace:
    try:
        return marketplace(code)
    except KeyError:
        raise ConfigError(f"{where}: unknown marketplace {code!r}") from None
