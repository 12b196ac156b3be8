"""Running tallies that become events only when their state changes.

``HostWatch`` counts each supplier host's checks and UNKNOWN answers as they come in (5,000
listings behind a captcha are one line naming the host and the count, once, and one more
when it recovers). ``RateWatch`` follows each marketplace's 7-day cancellation rate against
the target: an event when it comes within the margin, goes over, or is back under.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from stockguard.core.domain import Availability, Observation, UnknownReason
from stockguard.core.i18n import tr
from stockguard.sync.notify.events import Event, Topic, host_of


@dataclass
class _HostTally:
    checks: int = 0
    unknown: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


class HostWatch:
    """Per supplier host: a failing host (mostly UNKNOWN, or blocked) and its recovery."""

    def __init__(self, unknown_share: float, min_checks: int) -> None:
        self.unknown_share = unknown_share
        self.min_checks = max(min_checks, 1)
        self.failing: set[str] = set()
        self._tallies: dict[str, _HostTally] = {}
        self._lock = threading.Lock()

    def observe(self, observation: Observation) -> None:
        """Count one check of a page source."""
        host = host_of(observation.source_ref)
        with self._lock:
            tally = self._tallies.setdefault(host, _HostTally())
            tally.checks += 1
            if observation.availability is Availability.UNKNOWN:
                tally.unknown += 1
                tally.reasons[str(observation.reason)] += 1

    def events(self) -> list[Event]:
        """Hosts whose tally is large enough to judge: those that started or stopped failing.
        A judged tally starts again from zero."""
        found = []
        with self._lock:
            for host, tally in sorted(self._tallies.items()):
                if tally.checks < self.min_checks:
                    continue
                del self._tallies[host]
                bad = tally.unknown >= self.unknown_share * tally.checks
                if bad and host not in self.failing:
                    self.failing.add(host)
                    found.append(Event(Topic.HOST, _failing_line(host, tally)))
                elif not bad and host in self.failing:
                    self.failing.discard(host)
                    found.append(Event(Topic.HOST, tr("host {host} readable again", host=host)))
        return found


def _failing_line(host: str, tally: _HostTally) -> str:
    blocked = tally.reasons[UnknownReason.BLOCKED.value]
    if blocked * 2 >= tally.unknown:
        return tr(
            "host {host} blocked: {count} sources at 0 ({unknown} of {checks} checks blocked)",
            host=host,
            count=tally.unknown,
            unknown=blocked,
            checks=tally.checks,
        )
    top = ", ".join(f"{reason} {n}" for reason, n in tally.reasons.most_common(3))
    return tr(
        "host {host} mostly unreadable: {count} sources at 0 ({unknown} of {checks} checks "
        "UNKNOWN: {reasons})",
        host=host,
        count=tally.unknown,
        unknown=tally.unknown,
        checks=tally.checks,
        reasons=top,
    )


OK, NEAR, OVER = "ok", "near", "over"


class RateWatch:
    """Per marketplace: the 7-day rate within ``margin`` of the target, or at/over it."""

    def __init__(self, margin: Fraction) -> None:
        self.margin = margin
        self.levels: dict[str, str] = {}

    def update(self, market: str, rate: Fraction | None, target: Fraction) -> list[Event]:
        """The marketplace's current rate; an event when its level changed."""
        level = OK
        if rate is not None and rate >= target:
            level = OVER
        elif rate is not None and rate >= target - self.margin:
            level = NEAR
        before = self.levels.get(market, OK)
        self.levels[market] = level
        if level == before:
            return []
        shown = _percent(rate)
        values = {"market": market, "rate": shown, "target": _percent(target)}
        if level == OVER:
            text = tr(
                "{market}: 7-day cancellation rate {rate}, at or over the {target} target", **values
            )
        elif level == NEAR:
            text = tr(
                "{market}: 7-day cancellation rate {rate}, close to the {target} target", **values
            )
        else:
            text = tr(
                "{market}: 7-day cancellation rate {rate}, back under the {target} target", **values
            )
        return [Event(Topic.RATE, text)]


def _percent(value: Fraction | None) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.2f}%"
