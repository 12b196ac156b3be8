"""One-off supplier checks for people: fetch (or load) a page, parse it, show the evidence.

The library side of ``stockguard check``: ``check_fetched`` turns a ``FetchResult`` into an
Observation (a fetch that failed before any usable answer is UNKNOWN error, with the error
as evidence), ``observation_dict`` / ``observation_lines`` render it for ``--json`` and for
people.
"""

from __future__ import annotations

from typing import Any, Protocol

from stockguard.core.domain import Availability, Observation, UnknownReason
from stockguard.core.i18n import tr
from stockguard.core.storable import observation as storable_observation
from stockguard.suppliers.base import DEFAULT_OPTIONS, ParseOptions
from stockguard.suppliers.registry import by_host, parse_page


class FetchedPage(Protocol):
    """What ``check_fetched`` needs of ``suppliers.fetch.FetchResult``."""

    @property
    def url(self) -> str: ...
    @property
    def final_url(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def body(self) -> bytes: ...
    @property
    def error(self) -> str | None: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def fetched_at(self) -> Any: ...


def check_fetched(
    result: FetchedPage, *, options: ParseOptions = DEFAULT_OPTIONS, adapter: str | None = None
) -> Observation:
    """The Observation for one fetch: parsed when an answer came back, else UNKNOWN error;
    UNKNOWN error too when the page states a value neither store holds (``core.storable``)."""
    return storable_observation(_observe(result, options, adapter))


def _observe(result: FetchedPage, options: ParseOptions, adapter: str | None) -> Observation:
    status = result.status
    if status is None or (result.error and 200 <= status < 400):
        return Observation(
            source_ref=result.url,
            availability=Availability.UNKNOWN,
            checked_at=result.fetched_at,
            evidence=f"fetch failed: {result.error or 'no answer'}",
            reason=UnknownReason.ERROR,
            http_status=status,
            adapter=adapter or by_host(result.url) or "",
            url=result.final_url,
        )
    return parse_page(
        result.body,
        result.url,
        fetched_at=result.fetched_at,
        status=status,
        final_url=result.final_url,
        options=options,
        adapter=adapter,
        encoding=result.encoding,
    )


def observation_dict(observation: Observation) -> dict[str, Any]:
    """The Observation as JSON-ready values (Decimal prices as strings)."""
    price = observation.price
    return {
        "availability": observation.availability.value,
        "quantity": observation.quantity,
        "price": str(price.amount) if price else None,
        "currency": price.currency if price else None,
        "ships_within_days": observation.ships_within_days,
        "evidence": observation.evidence,
        "reason": observation.reason.value if observation.reason else None,
        "adapter": observation.adapter,
        "http_status": observation.http_status,
        "content_hash": observation.content_hash,
        "url": observation.url,
        "source": observation.source_ref,
        "checked_at": observation.checked_at.isoformat(),
    }


def observation_lines(observation: Observation) -> list[str]:
    """The Observation for people: verdict first, then the evidence and the details.

    The verdict and its reason code stay as they are (IN_STOCK, blocked…): they are the
    words the docs, logs and the CSVs use; the labels around them are the seller's language.
    """
    head = observation.availability.value
    if observation.reason is not None:
        head += f" ({observation.reason.value})"
    lines = [f"{head}  [{observation.adapter}]  {observation.source_ref}"]
    lines.append(f"  {tr('evidence')}: {observation.evidence}")
    details = [
        ("price", str(observation.price) if observation.price else None),
        ("quantity", observation.quantity),
        ("ships within days", observation.ships_within_days),
        ("http status", observation.http_status),
        ("final url", observation.url if observation.url != observation.source_ref else None),
        ("content sha256", observation.content_hash),
    ]
    lines.extend(f"  {tr(label)}: {value}" for label, value in details if value is not None)
    return lines
