"""Rakuten item codes for the catalogue's Rakuten page URLs, resolved once at `listings import`.

Rakuten's ``itemCode`` is not the slug of the item's URL, so it cannot be derived: when
``[apis.rakuten]`` is configured with its credentials, each Rakuten item page of the imported
file that has no stored code yet costs one search (``RakutenItemApi.resolve_item_code``),
paced by the API's quota (1 call/s) on the clock, and the answer is stored in ``api_codes``.
The checker then reads that page through the API. A URL the API cannot resolve stays a page
source (never guessed) and is reported as a warning naming the line and URL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from stockguard.cli.apis import ApiReader, build_readers
from stockguard.core.clock import Clock
from stockguard.core.config import Settings
from stockguard.core.domain import Listing, SourceKind
from stockguard.core.errors import SupplierBlocked, SupplierError
from stockguard.core.store.api_codes import save_code, stored_codes
from stockguard.suppliers.apis.rakuten import RakutenItemApi, item_url_parts

API = "rakuten"


@dataclass(frozen=True)
class PageLine:
    """A Rakuten item page source and the catalogue line it is on."""

    location: str  # FILE:LINE
    url: str


def rakuten_pages(location: str, listing: Listing) -> list[PageLine]:
    """The listing's page sources that are Rakuten item pages an API could read (no variant
    and no pinned adapter: those stay pages, as ``ApiChecker.route`` decides)."""
    found = []
    for source in listing.sources:
        if source.kind is not SourceKind.PAGE or source.variant or source.supplier:
            continue
        try:
            item_url_parts(source.ref)
        except ValueError:
            continue
        found.append(PageLine(location, source.ref))
    return found


@dataclass(frozen=True)
class Resolution:
    """What resolving did: codes stored, URLs already known, and a warning per failure."""

    resolved: int
    known: int
    warnings: list[str]


def resolve_rakuten_codes(
    settings: Settings,
    db: Engine,
    pages: Sequence[PageLine],
    clock: Clock,
    on_url: Callable[[], None] = lambda: None,
) -> Resolution | None:
    """Resolve and store the code of every page without one; None when ``[apis.rakuten]`` is
    not configured with its credentials (nothing is asked)."""
    readers = build_readers(settings, clock, only={API})
    reader = readers.get(API)
    if reader is None or not reader.settings.read_pages:
        for other in readers.values():
            other.close()
        return None
    try:
        return _resolve(reader, db, pages, clock, on_url)
    finally:
        reader.close()


def unresolved(db: Engine, pages: Sequence[PageLine]) -> list[PageLine]:
    """The pages whose URL has no stored code, each URL once."""
    known = stored_codes(db, API)
    todo: dict[str, PageLine] = {}
    for page in pages:
        if page.url not in known:
            todo.setdefault(page.url, page)
    return list(todo.values())


def _resolve(
    reader: ApiReader,
    db: Engine,
    pages: Sequence[PageLine],
    clock: Clock,
    on_url: Callable[[], None],
) -> Resolution:
    api = reader.api
    assert isinstance(api, RakutenItemApi)
    todo = unresolved(db, pages)
    warnings, resolved = [], 0
    for page in todo:
        if not reader.pacer.acquire():
            warnings.append(f"{page.location}: warning: {page.url}: today's Rakuten quota is spent")
            on_url()
            continue
        try:
            code = api.resolve_item_code(page.url)
        except (SupplierError, ValueError) as exc:
            reader.pacer.refused() if isinstance(exc, SupplierBlocked) else reader.pacer.answered()
            warnings.append(
                f"{page.location}: warning: {page.url}: Rakuten item code not resolved, "
                f"read as a page ({_first_line(exc)})"
            )
        else:
            reader.pacer.answered()
            save_code(db, API, page.url, code, clock.now())
            resolved += 1
        on_url()
    return Resolution(resolved, len({p.url for p in pages}) - len(todo), warnings)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
