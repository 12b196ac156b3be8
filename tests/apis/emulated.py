"""Item APIs pointed at the local SP-API emulator: settings, readers and checkers for tests
and benchmarks (bench/apis.py can run ``emulated_checker`` over N seeded ASINs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from stockguard.cli.api_checker import ApiChecker, PageReader, Previous
from stockguard.cli.apis import build_readers
from stockguard.core.clock import Clock
from stockguard.core.config import ApiSecrets, Settings, parse_settings
from stockguard.core.domain import Observation, Source
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS
from stockguard.suppliers.registry import parse_page

CREDENTIALS = {
    "lwa_app_id": EMULATOR_SECRETS.lwa_client_id,
    "lwa_client_secret": EMULATOR_SECRETS.lwa_client_secret,
    "refresh_token": EMULATOR_SECRETS.refresh_token,
}


def jp_offers(count: int, *, start: int = 0, **offer: Any) -> list[dict[str, Any]]:
    """``count`` seed entries B0JP000000… with one buyable offer each (Amazon's own)."""
    return [
        {"asin": asin(n), "offers": [{"price": 1980, "points": 20, **offer}]}
        for n in range(start, start + count)
    ]


def asin(n: int) -> str:
    return f"B0JP{n:06d}"


def emulated_settings(base_url: str, **api: Any) -> Settings:
    """Settings with ``[apis.amazon-jp]`` at the emulator and its credentials as if read
    from the environment."""
    section = {"endpoint": base_url, "lwa_endpoint": base_url, "audit_share": 0.0, **api}
    settings = parse_settings({"apis": {"amazon-jp": section}})
    return replace(settings, api_secrets={"amazon-jp": ApiSecrets(dict(CREDENTIALS))})


def emulated_checker(
    base_url: str,
    clock: Clock,
    *,
    pages: PageReader | None = None,
    previous: Previous | None = None,
    **api: Any,
) -> ApiChecker:
    """An ApiChecker reading amazon-jp through python-amazon-sp-api against the emulator."""
    settings = emulated_settings(base_url, **api)
    readers = build_readers(settings, clock)
    return ApiChecker(
        readers,
        clock,
        horizon_seconds=settings.planner.api_horizon_seconds,
        pages=pages,
        previous=previous,
    )


def fixture_pages(html_by_url: Mapping[str, str], clock: Clock) -> PageReader:
    """Pages read by the real adapters from local HTML (no request leaves the machine)."""

    def read(sources: Sequence[Source]) -> Iterator[Observation]:
        for source in sources:
            yield parse_page(html_by_url[source.ref], source.ref, fetched_at=clock.now())

    return read
