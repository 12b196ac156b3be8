"""The page-adapter contract: a pure ``parse(html, url) -> Observation``.

An adapter knows one shop (or one shop platform). ``parse`` never fetches, never reads the
clock and never raises on a bad page: whatever it cannot read becomes UNKNOWN with a reason.
The shared steps live in ``ShopAdapter.parse``: decode, hash, block detection
(``suppliers.block``), then the shop's own ``read`` of its buy box, then the Observation.

``ParseOptions`` carries what the source says about itself: the variant to read, which kinds
of Amazon offer count as in stock for this seller (default: a new offer in the buy box only),
the currency a bare ``$`` or ``¥`` means, and the seller's own phrases for its shop
(``suppliers.seller_phrases``), active while the adapter reads and named in the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from stockguard.core.domain import Availability, Money, Observation, Source, UnknownReason
from stockguard.suppliers import block, phrases
from stockguard.suppliers.page import Page
from stockguard.suppliers.seller_phrases import NO_SELLER_PHRASES, SellerPhrases, annotate


class OfferKind(StrEnum):
    """What kind of offer made an item buyable; options say which count as in stock."""

    NEW = "new"  # a new offer in the item's own buy box
    USED = "used"  # only a used offer in the buy box
    OTHER_SELLERS = "other-sellers"  # no featured offer: "See All Buying Choices" only
    CANNOT_SHIP = "cannot-ship"  # "cannot be shipped to your selected delivery location"


NEW_ONLY = frozenset({OfferKind.NEW})


@dataclass(frozen=True)
class ParseOptions:
    """How one source is read: its variant, accepted offer kinds, its currency."""

    variant: str | None = None
    accept: frozenset[OfferKind] = field(default=NEW_ONLY)
    currency: str | None = None
    seller_phrases: SellerPhrases = NO_SELLER_PHRASES

    @classmethod
    def for_source(
        cls,
        source: Source,
        *,
        accept: frozenset[OfferKind] = NEW_ONLY,
        seller_phrases: SellerPhrases = NO_SELLER_PHRASES,
    ) -> ParseOptions:
        """Options for a listing's page source (its variant, its seller phrases)."""
        return cls(variant=source.variant, accept=accept, seller_phrases=seller_phrases)


DEFAULT_OPTIONS = ParseOptions()


@dataclass(frozen=True)
class Reading:
    """What an adapter read from the buy box, before it becomes an Observation."""

    availability: Availability
    evidence: str
    reason: UnknownReason | None = None
    quantity: int | None = None
    price: Money | None = None
    ships_within_days: int | None = None


def in_stock(evidence: str, **extra: object) -> Reading:
    """An IN_STOCK verdict (extra: quantity, price, ships_within_days)."""
    return Reading(Availability.IN_STOCK, evidence, **extra)  # type: ignore[arg-type]


def out_of_stock(evidence: str, **extra: object) -> Reading:
    """An OUT_OF_STOCK verdict (extra: quantity, price, ships_within_days)."""
    return Reading(Availability.OUT_OF_STOCK, evidence, **extra)  # type: ignore[arg-type]


def unknown(reason: UnknownReason, evidence: str, **extra: object) -> Reading:
    """An UNKNOWN verdict; always with the reason and what was (not) seen."""
    return Reading(Availability.UNKNOWN, evidence, reason, **extra)  # type: ignore[arg-type]


def variant_mix(states: Sequence[tuple[str, bool]], yes: str, no: str) -> str | None:
    """The first ten variants as "label: yes|no" when some can be bought and some not (with no
    variant named the product is then UNKNOWN, never in or out); None when they agree."""
    buyable = [ok for _, ok in states]
    if not any(buyable) or all(buyable):
        return None
    return ", ".join(f"{label}: {yes if ok else no}" for label, ok in states[:10])


def by_offer_kind(
    kind: OfferKind, evidence: str, options: ParseOptions, **extra: object
) -> Reading:
    """IN_STOCK when this seller accepts this kind of offer, else OUT_OF_STOCK, saying why."""
    if kind in options.accept:
        return in_stock(f"{kind.value}: {evidence}", **extra)
    return out_of_stock(f"{kind.value} (not accepted for this source): {evidence}", **extra)


@runtime_checkable
class PageAdapter(Protocol):
    """A shop's page reader. ``parse`` is pure: same input, same Observation."""

    name: str
    hosts: tuple[str, ...]

    def recognises(self, page: Page) -> bool:
        """Whether the page itself shows it was built on this adapter's platform."""
        ...

    def parse(
        self,
        html: str | bytes,
        url: str,
        *,
        status: int = 200,
        fetched_at: datetime,
        options: ParseOptions = DEFAULT_OPTIONS,
        final_url: str | None = None,
    ) -> Observation:
        """Read one page into an Observation with its evidence."""
        ...


class ShopAdapter:
    """Shared parse steps; a shop module subclasses it and implements ``read``."""

    name = "base"
    hosts: tuple[str, ...] = ()
    currency: str | None = None  # what a bare "$" / "¥" means at this shop

    def recognises(self, page: Page) -> bool:
        """Platform adapters override this; host-based shops need not."""
        return False

    def parse(
        self,
        html: str | bytes,
        url: str,
        *,
        status: int = 200,
        fetched_at: datetime,
        options: ParseOptions = DEFAULT_OPTIONS,
        final_url: str | None = None,
    ) -> Observation:
        """Decode, detect blocks, read the buy box, and build the Observation."""
        page = Page(html, url, status=status, final_url=final_url)
        return self.observe(page, fetched_at=fetched_at, options=options)

    def observe(
        self, page: Page, *, fetched_at: datetime, options: ParseOptions = DEFAULT_OPTIONS
    ) -> Observation:
        """The Observation for an already decoded page."""
        refused = block.detect(page)
        if refused is not None:
            verdict = unknown(refused[0], refused[1])
        else:
            with phrases.seller_phrases(options.seller_phrases) as decisive:
                verdict = self.read(page, options)
            if decisive:
                verdict = replace(verdict, evidence=annotate(verdict.evidence, decisive))
        return Observation(
            source_ref=page.url,
            availability=verdict.availability,
            checked_at=fetched_at,
            evidence=verdict.evidence,
            reason=verdict.reason,
            quantity=verdict.quantity,
            price=verdict.price,
            ships_within_days=verdict.ships_within_days,
            http_status=page.status,
            content_hash=page.content_hash,
            adapter=self.name,
            url=page.final_url,
        )

    def read(self, page: Page, options: ParseOptions) -> Reading:
        """The shop's own reading of its buy box (pages that got past block detection)."""
        raise NotImplementedError

    def currency_for(self, page: Page, options: ParseOptions) -> str | None:
        """The currency a bare symbol means: the source's, else the shop's."""
        return options.currency or self.currency
