"""Reading sources through official item APIs: batches under each API's quota, then verdicts
turned into Observations, a second read or the page confirming suspect negatives, and a page
audit of a small share.

``ApiChecker.route`` says which sources an API reads: every ``api:NAME:CODE`` source, and a
page whose URL is an API item (an Amazon ``/dp/ASIN``, a Yahoo! Shopping item page, a Rakuten
item page whose code was resolved at import: ``page_codes``) when that API is configured with
``read_pages``. ``check`` groups them per API in the order given (the planner's: riskiest
first), cuts batches of ``batch_size`` codes, and paces each call with the API's
``QuotaPacer`` on the injected clock. A refusal (429) backs the API off and leaves the batch
UNKNOWN (blocked), read again next round; a failed call is UNKNOWN with its message.

A verdict an API marks UNCONFIRMED (Amazon's false zero offers) is OUT_OF_STOCK only when the
source's previous stored observation, at least ``confirm_after_minutes`` older, was negative
too, or its page says out of stock now; else it stays UNKNOWN. The audit reads
``audit_share`` of API-read sources by page too: a disagreement is logged, marked in the
evidence ("audit disagreement") and the worse reading holds, never IN_STOCK.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from stockguard.cli.apis import ApiReader
from stockguard.core.clock import Clock
from stockguard.core.domain import Availability, Observation, Source, SourceKind, UnknownReason
from stockguard.core.errors import ApiCallFailed, ApiQuotaRefused
from stockguard.suppliers.apis import page_items
from stockguard.suppliers.base import Reading, unknown
from stockguard.sync import api_refs
from stockguard.sync.lanes import default_lane
from stockguard.sync.planner import QuotaLane

log = logging.getLogger("stockguard.apis")
DISAGREEMENT = "audit disagreement"
CONFIRM_WITHIN = timedelta(hours=24)  # an older negative confirms nothing
PageReader = Callable[[Sequence[Source]], Iterator[Observation]]
Previous = Callable[[Sequence[str]], Mapping[str, Observation]]
_Item = tuple[Source, str]  # a source and its code at the API


class ApiChecker:
    """The item-API half of the composition root's checker."""

    def __init__(
        self,
        readers: Mapping[str, ApiReader],
        clock: Clock,
        *,
        horizon_seconds: float = 60.0,
        pages: PageReader | None = None,
        previous: Previous | None = None,
        rng: random.Random | None = None,
        page_codes: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """``pages``: reads page sources (audit and confirmation); ``previous``: the latest
        stored observation per source ref (for confirmation by a second read);
        ``page_codes``: the Rakuten codes resolved for page URLs (URL -> itemCode), loaded
        now and again at each ``check``, so codes an import stores are used from the next pass."""
        self.readers = dict(readers)
        self.clock = clock
        self.horizon = horizon_seconds
        self.pages = pages
        self.previous = previous
        self.rng = rng or random.Random()
        self._day_reported: dict[str, str] = {}
        self._load_codes = page_codes
        self._page_codes: Mapping[str, str] = page_codes() if page_codes else {}

    def route(self, source: Source) -> tuple[str, str] | None:
        """(API name, code) when an API reads this source, else None (a page or a feed)."""
        found = api_refs.item(source)
        if found is not None:
            return found
        if not self.readers or source.kind is not SourceKind.PAGE:
            return None  # no API configured (no URL to parse), or a feed
        if source.variant or source.supplier:
            return None  # a variant or a pinned adapter is the page's business
        found = page_items.page_item(source.ref, self._page_codes)
        if found is None or found[0] not in self.readers:
            return None
        return found if self.readers[found[0]].settings.read_pages else None

    def lane(self, source: Source) -> str:
        """The planner budget the source spends: its API's quota, else its host's."""
        found = self.route(source)
        return api_refs.lane(found[0]) if found else default_lane(source)

    def quotas(self) -> dict[str, QuotaLane]:
        """Each configured API as a planner lane."""
        return {
            api_refs.lane(name): QuotaLane(reader.pacer, reader.api.batch_size)
            for name, reader in self.readers.items()
        }

    def close(self) -> None:
        """Close every API client."""
        for reader in self.readers.values():
            reader.close()

    def check(self, sources: Sequence[Source]) -> Iterator[Observation]:
        """Observations for the sources an API reads (``route``), API by API, in order."""
        if self._load_codes is not None:
            self._page_codes = self._load_codes()
        groups: dict[str, list[_Item]] = {}
        for source in sources:
            found = self.route(source)
            if found is not None:
                groups.setdefault(found[0], []).append((source, found[1]))
        for name, items in groups.items():
            reader = self.readers.get(name)
            if reader is None:
                evidence = f"api:{name} is not configured ([apis.{name}] and its credentials)"
                seen = self._observe(name, items, {}, unknown(UnknownReason.ERROR, evidence))
            else:
                seen = self._read(name, reader, items)
            yield from self._confirm_and_audit(name, items, seen)

    def _read(self, name: str, reader: ApiReader, items: list[_Item]) -> list[Observation]:
        seen: list[Observation] = []
        size = max(1, reader.api.batch_size)
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            verdicts, fallback = self._call(name, reader, list(dict.fromkeys(c for _, c in batch)))
            seen += self._observe(name, batch, verdicts, fallback)
        return seen

    def _call(
        self, name: str, reader: ApiReader, codes: list[str]
    ) -> tuple[Mapping[str, Reading], Reading]:
        """One paced call: its verdicts, and the verdict for codes it did not answer."""
        missing = unknown(UnknownReason.ERROR, f"api:{name}: the answer did not cover this item")
        paused = reader.pacer.use().paused_for
        if paused > self.horizon:
            note = f"api:{name}: not read, paused {paused:.0f} s after a refusal (next round)"
            return {}, unknown(UnknownReason.BLOCKED, note)
        if not reader.pacer.acquire():
            self._report_day_spent(name)
            return {}, unknown(UnknownReason.BLOCKED, f"api:{name}: today's quota is spent")
        try:
            verdicts = reader.api.read(codes)
        except ApiQuotaRefused as exc:
            reader.pacer.day_spent() if exc.day_spent else reader.pacer.refused(exc.retry_after)
            if exc.day_spent:
                self._report_day_spent(name)
            return {}, unknown(UnknownReason.BLOCKED, f"{exc} (read again next round)")
        except ApiCallFailed as exc:
            reason = UnknownReason.BLOCKED if exc.blocked else UnknownReason.ERROR
            return {}, unknown(reason, str(exc))
        except Exception as exc:  # a client bug must not stop the pass: UNKNOWN, fail safe
            log.error("api:%s: read failed: %s", name, type(exc).__name__)
            return {}, unknown(UnknownReason.ERROR, f"api:{name}: {type(exc).__name__}")
        if verdicts and all(v.reason is UnknownReason.BLOCKED for v in verdicts.values()):
            reader.pacer.refused()  # a client that answers a refusal as verdicts
        else:
            reader.pacer.answered()
        return verdicts, missing

    def _report_day_spent(self, name: str) -> None:
        today = self.clock.now().date().isoformat()
        if self._day_reported.get(name) != today:
            self._day_reported[name] = today
            log.warning("api:%s: today's quota is spent; UNKNOWN until tomorrow", name)

    def _observe(
        self, name: str, items: list[_Item], verdicts: Mapping[str, Reading], fallback: Reading
    ) -> list[Observation]:
        now = self.clock.now()
        return [
            _observation(source, verdicts.get(code, fallback), now, name) for source, code in items
        ]

    def _confirm_and_audit(
        self, name: str, items: list[_Item], seen: list[Observation]
    ) -> list[Observation]:
        suspects = [o for o in seen if o.reason is UnknownReason.UNCONFIRMED]
        if suspects and self.previous is not None:
            before = self.previous([o.source_ref for o in suspects])
            confirm = timedelta(minutes=self._setting(name, "confirm_after_minutes", 5.0))
            seen = [_confirmed(o, before.get(o.source_ref), confirm) for o in seen]
        share = self._setting(name, "audit_share", 0.0)
        pages: dict[str, str] = {}  # source ref -> page URL to read
        for (source, code), observation in zip(items, seen, strict=True):
            url = self._page_of(name, source, code)
            suspect = observation.reason is UnknownReason.UNCONFIRMED
            decisive = observation.availability is not Availability.UNKNOWN
            if url and (suspect or (decisive and self.rng.random() < share)):
                pages[source.ref] = url
        if not pages or self.pages is None:
            return seen
        wanted = [Source(SourceKind.PAGE, url) for url in dict.fromkeys(pages.values())]
        by_url = {o.source_ref: o for o in self.pages(wanted)}
        return [
            combine(o, by_url[pages[o.source_ref]]) if pages.get(o.source_ref) in by_url else o
            for o in seen
        ]

    def _page_of(self, name: str, source: Source, code: str) -> str | None:
        if source.kind is SourceKind.PAGE:
            return source.ref
        reader = self.readers.get(name)
        if reader is None or reader.settings.endpoint:  # an emulated API has no public page
            return None
        return page_items.page_url(name, code)

    def _setting(self, name: str, key: str, default: float) -> float:
        reader = self.readers.get(name)
        return float(getattr(reader.settings, key)) if reader else default


def _observation(source: Source, verdict: Reading, now: datetime, name: str) -> Observation:
    return Observation(
        source_ref=source.ref,
        availability=verdict.availability,
        checked_at=now,
        evidence=verdict.evidence,
        reason=verdict.reason,
        quantity=verdict.quantity,
        price=verdict.price,
        ships_within_days=verdict.ships_within_days,
        adapter=api_refs.lane(name),
        url=source.ref if source.kind is SourceKind.PAGE else None,
    )


def _confirmed(
    observation: Observation, before: Observation | None, confirm_after: timedelta
) -> Observation:
    """A suspect negative made OUT_OF_STOCK by an earlier negative read of the same source."""
    if observation.reason is not UnknownReason.UNCONFIRMED or before is None:
        return observation
    age = observation.checked_at - before.checked_at
    negative = before.availability is Availability.OUT_OF_STOCK or (
        before.reason is UnknownReason.UNCONFIRMED
    )
    if not negative or not confirm_after <= age <= CONFIRM_WITHIN:
        return observation
    return replace(
        observation,
        availability=Availability.OUT_OF_STOCK,
        reason=None,
        evidence=f"{observation.evidence}; confirmed by the read at "
        f"{before.checked_at:%Y-%m-%d %H:%M}Z ({before.adapter}: {before.evidence[:120]})",
    )


def combine(api: Observation, page: Observation) -> Observation:
    """An API reading checked against its page: agreement noted, a suspect negative confirmed,
    a disagreement resolved to the worse reading (never toward IN_STOCK)."""
    said = f"{page.availability.value}: {page.evidence[:160]}"
    if page.availability is Availability.UNKNOWN:
        unread = f"page unreadable ({page.reason}: {page.evidence[:80]})"
        return replace(api, evidence=f"{api.evidence}; {unread}")
    if api.reason is UnknownReason.UNCONFIRMED:
        if page.availability is Availability.OUT_OF_STOCK:
            return replace(
                api,
                availability=Availability.OUT_OF_STOCK,
                reason=None,
                evidence=f"{api.evidence}; confirmed by the page ({said})",
            )
        log.warning("%s: %s: API unconfirmed negative, page %s", DISAGREEMENT, api.source_ref, said)
        return replace(api, evidence=f"{DISAGREEMENT}: API {api.evidence} | page {said}")
    if api.availability is Availability.UNKNOWN:
        return replace(api, evidence=f"{api.evidence}; page {said}")
    if api.availability is page.availability:
        return replace(api, evidence=f"{api.evidence}; page agrees ({said})")
    worse = page if page.availability is Availability.OUT_OF_STOCK else api
    log.warning("%s: %s: API %s, page %s", DISAGREEMENT, api.source_ref, api.availability, said)
    return replace(
        api,
        availability=worse.availability,
        reason=worse.reason,
        price=worse.price,
        quantity=worse.quantity,
        ships_within_days=worse.ships_within_days,
        evidence=f"{DISAGREEMENT}: API {api.availability.value}: {api.evidence[:160]} | page "
        f"{said}; the worse holds",
    )
