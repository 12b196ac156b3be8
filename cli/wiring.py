"""The composition root: settings in, a ready SyncEngine (store, gateways, checker) out.

One AmazonGateway per configured seller account (``core.accounts``), each with its own
credentials and rate limiter: Amazon's limits are per seller account.

The only place where the supplier package meets the engine: the engine gets a checker
callable built here from the fetcher, the page adapters and the configured item APIs
(``cli.apis`` registry, ``cli.api_checker``), and the planner gets each API's quota
as a budget lane of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from sqlalchemy import Engine

from stockguard.cli.api_checker import ApiChecker
from stockguard.cli.apis import build_readers
from stockguard.core.accounts import Account, accounts
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import Clock
from stockguard.core.config import SellerPhraseSettings, Settings
from stockguard.core.domain import DEFAULT_ACCOUNT, Observation, Source, SourceKind
from stockguard.core.store import open_store
from stockguard.core.store.api_codes import stored_codes
from stockguard.core.store.observations import latest_observations
from stockguard.suppliers.base import ParseOptions
from stockguard.suppliers.check import check_fetched
from stockguard.suppliers.fetch import Fetcher
from stockguard.suppliers.seller_phrases import for_url, validate
from stockguard.sync.engine import SourceChecker, SyncEngine


def page_checker(
    fetcher: Fetcher,
    apis: ApiChecker | None = None,
    seller_phrases: Mapping[str, SellerPhraseSettings] | None = None,
) -> SourceChecker:
    """A checker that reads the sources an item API answers through it (``apis``), and
    fetches the other page sources concurrently, parsing each with its adapter (and the
    seller's own phrases for its host or URL, ``[suppliers.phrases]``)."""
    table = seller_phrases or {}
    validate(table)

    def pages(sources: Sequence[Source]) -> Iterator[Observation]:
        by_url = {s.ref: s for s in sources if s.kind is SourceKind.PAGE}
        for result in fetcher.fetch_many(list(by_url)):
            source = by_url[result.url]
            options = ParseOptions.for_source(source, seller_phrases=for_url(source.ref, table))
            yield check_fetched(result, options=options, adapter=source.supplier or None)

    if apis is None:
        return pages
    api_checker = apis
    if api_checker.pages is None:
        api_checker.pages = pages

    def check(sources: Sequence[Source]) -> Iterator[Observation]:
        yield from api_checker.check(sources)
        yield from pages([s for s in sources if api_checker.route(s) is None])

    return check


def api_checker(settings: Settings, clock: Clock, db: Engine | None = None) -> ApiChecker:
    """The configured item APIs (none: an empty checker); ``db`` gives the confirmation of a
    suspect negative its earlier reading, and the Rakuten codes resolved for page URLs."""
    readers = build_readers(settings, clock)

    def previous(refs: Sequence[str]) -> dict[str, Observation]:
        assert db is not None
        return latest_observations(db, list(refs))

    def codes() -> dict[str, str]:
        assert db is not None
        return stored_codes(db, "rakuten")

    return ApiChecker(
        readers,
        clock,
        horizon_seconds=settings.planner.api_horizon_seconds,
        previous=previous if db is not None else None,
        page_codes=codes if db is not None and "rakuten" in readers else None,
    )


@dataclass
class Wired:
    """Everything a command needs, closed together."""

    db: Engine
    gateway: AmazonGateway  # the first account's (the only one, without [[amazon.accounts]])
    engine: SyncEngine
    stack: ExitStack
    gateways: dict[str, AmazonGateway] = field(default_factory=dict)  # per account, by name

    def __post_init__(self) -> None:
        if not self.gateways:
            self.gateways = {DEFAULT_ACCOUNT: self.gateway}

    def close(self) -> None:
        self.stack.close()


def account_gateways(
    settings: Settings, clock: Clock, stack: ExitStack
) -> dict[str, AmazonGateway]:
    """A gateway per configured account, closed with ``stack``."""
    return {a.name: _gateway(a, clock, stack) for a in accounts(settings)}


def _gateway(account: Account, clock: Clock, stack: ExitStack) -> AmazonGateway:
    return stack.enter_context(AmazonGateway(account.amazon, account.secrets, clock))


def wire(settings: Settings, clock: Clock, *, amazon_clock: Clock | None = None) -> Wired:
    """Open the store, the gateway and the fetcher, and build the engine on them.
    ``amazon_clock``: the gateways' own (`run`'s: its waits end when the service stops)."""
    stack = ExitStack()
    db = open_store(settings.store.url)
    stack.callback(db.dispose)
    gateways = account_gateways(settings, amazon_clock or clock, stack)
    fetcher = stack.enter_context(Fetcher(settings.suppliers, clock))
    apis = api_checker(settings, clock, db)
    stack.callback(apis.close)
    engine = SyncEngine(
        db,
        gateways,
        page_checker(fetcher, apis, settings.suppliers.phrases),
        settings,
        clock,
        lane=apis.lane,
        quotas=apis.quotas(),
    )
    return Wired(db, next(iter(gateways.values())), engine, stack, gateways)
