"""The composition root: settings in, a ready SyncEngine (store, gateway, checker) out.

The only place where the supplier package meets the engine: the engine gets a checker
callable built here from the fetcher and the page adapters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from sqlalchemy import Engine

from suppliers.base import ParseOptions
from suppliers.check import check_fetched
from suppliers.fetch import Fetcher
from suppliers.seller_phrases import for_url, validate
from sync.amazon.gateway import AmazonGateway
from sync.clock import Clock
from sync.config import SellerPhraseSettings, Settings
from sync.domain import Observation, Source, SourceKind
from sync.engine import SourceChecker, SyncEngine
from sync.store import open_store


def page_checker(
    fetcher: Fetcher, seller_phrases: Mapping[str, SellerPhraseSettings] | None = None
) -> SourceChecker:
    """A checker that fetches page sources concurrently and parses each with its adapter
    (and the seller's own phrases for its host or URL, ``[suppliers.phrases]``)."""
    table = seller_phrases or {}
    validate(table)

    def check(sources: Sequence[Source]) -> Iterator[Observation]:
        by_url = {s.ref: s for s in sources if s.kind is SourceKind.PAGE}
        for result in fetcher.fetch_many(list(by_url)):
            source = by_url[result.url]
            options = ParseOptions.for_source(source, seller_phrases=for_url(source.ref, table))
            yield check_fetched(result, options=options, adapter=source.supplier or None)

    return check


@dataclass
class Wired:
    """Everything a command needs, closed together."""

    db: Engine
    gateway: AmazonGateway
    engine: SyncEngine
    stack: ExitStack

    def close(self) -> None:
        self.stack.close()


def wire(settings: Settings, clock: Clock) -> Wired:
    """Open the store, the gateway and the fetcher, and build the engine on them."""
    stack = ExitStack()
    db = open_store(settings.store.url)
    stack.callback(db.dispose)
    gateway = stack.enter_context(AmazonGateway(settings.amazon, settings.secrets, clock))
    fetcher = stack.enter_context(Fetcher(settings.suppliers, clock))
    checker = page_checker(fetcher, settings.suppliers.phrases)
    engine = SyncEngine(db, gateway, checker, settings, clock)
    return Wired(db, gateway, engine, stack)
