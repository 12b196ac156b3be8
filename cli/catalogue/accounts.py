"""Which seller account each catalogue row belongs to: the optional ``account`` column.

Without the column (or with an empty cell) a row is the only configured account's: the
``default`` account of a config without ``[[amazon.accounts]]``, or the one account listed.
With several accounts configured a row must name one. A name that is no configured account,
or a marketplace outside the named account's, refuses the row (naming both), never guessed:
a listing pushed through the wrong seller's credentials would change another shop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stockguard.core.accounts import accounts
from stockguard.core.config import Settings
from stockguard.core.domain import DEFAULT_ACCOUNT


class AccountError(ValueError):
    """A row's account cell names no configured account, or one that does not sell there."""


@dataclass(frozen=True)
class CatalogueAccounts:
    """Per configured account: its marketplace codes (None: any, the ``default`` account of a
    config without ``[[amazon.accounts]]``, whose catalogue may list any marketplace)."""

    markets: Mapping[str, tuple[str, ...] | None] = field(
        default_factory=lambda: {DEFAULT_ACCOUNT: None}
    )

    @classmethod
    def of(cls, settings: Settings) -> CatalogueAccounts:
        """The accounts of ``settings`` (``[[amazon.accounts]]``, else ``default``)."""
        if not settings.amazon.accounts:
            return cls()
        return cls({a.name: tuple(m.code for m in a.marketplaces) for a in accounts(settings)})

    @property
    def names(self) -> str:
        return ", ".join(self.markets)

    def account(self, cell: str, market: str) -> str:
        """The account of a row whose account cell is ``cell`` and marketplace ``market``."""
        name = cell.strip()
        if not name:
            if len(self.markets) > 1:
                raise AccountError(
                    f"no account named; several seller accounts are configured ({self.names})"
                )
            name = next(iter(self.markets))
        if name not in self.markets:
            raise AccountError(f"unknown seller account {name!r} (configured: {self.names})")
        allowed = self.markets[name]
        if allowed is not None and market and market not in allowed:
            raise AccountError(
                f"marketplace {market} is not one of account {name!r}'s marketplaces "
                f"({', '.join(allowed)})"
            )
        return name
