"""Batching, the host and rate watches, and the [notify] settings (URLs from the environment)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from stockguard.core.clock import ManualClock
from stockguard.core.config import load_settings
from stockguard.core.domain import Availability, Observation, UnknownReason
from stockguard.core.errors import ConfigError
from stockguard.sync.notify.digest import Digest
from stockguard.sync.notify.events import Event, Topic
from stockguard.sync.notify.sender import AppriseSender
from stockguard.sync.notify.watch import HostWatch, RateWatch

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def unknown(ref: str, reason: UnknownReason = UnknownReason.BLOCKED) -> Observation:
    return Observation(ref, Availability.UNKNOWN, NOW, "captcha", reason=reason)


def test_a_host_failing_for_5000_listings_is_one_line_naming_it_and_the_count() -> None:
    watch = HostWatch(unknown_share=0.5, min_checks=5)
    for n in range(5000):
        watch.observe(unknown(f"https://item.rakuten.co.jp/shop/{n}"))
    watch.observe(Observation("https://other.example/1", Availability.IN_STOCK, NOW, "在庫あり"))

    [event] = watch.events()
    assert event.topic is Topic.HOST
    assert event.text == (
        "host item.rakuten.co.jp blocked: 5000 sources at 0 (5000 of 5000 checks blocked)"
    )
    for n in range(10):  # still failing next time: no new line
        watch.observe(unknown(f"https://item.rakuten.co.jp/shop/{n}"))
    assert watch.events() == []
    for n in range(10):
        watch.observe(
            Observation(f"https://item.rakuten.co.jp/shop/{n}", Availability.IN_STOCK, NOW, "○")
        )
    assert [e.text for e in watch.events()] == ["host item.rakuten.co.jp readable again"]


def test_a_digest_of_5000_zeroings_is_one_message_with_the_count() -> None:
    sent: list[tuple[str, str]] = []
    clock = ManualClock()
    digest = Digest(lambda t, b: sent.append((t, b)) is None, clock, 900, lines_per_topic=3)
    digest.add(Event(Topic.ZEROED, f"zeroed SKU-{n} (US)") for n in range(5000))

    assert digest.tick()
    digest.add([Event(Topic.ZEROED, "zeroed SKU-X (US)")])
    assert not digest.tick()  # within the interval
    clock.advance(899)
    assert not digest.tick()
    clock.advance(1)
    assert digest.tick()

    title, body = sent[0]
    assert title == "stockguard: listings zeroed 5000"
    assert body.splitlines() == [
        "listings zeroed (5000)",
        "- zeroed SKU-0 (US)",
        "- zeroed SKU-1 (US)",
        "- zeroed SKU-2 (US)",
        "… and 4,997 more",
    ]
    assert len(sent) == 2


def test_the_rate_alerts_on_entering_the_margin_going_over_and_coming_back() -> None:
    watch = RateWatch(Fraction(5, 1000))
    target = Fraction(25, 1000)
    assert watch.update("US", Fraction(1, 100), target) == []
    [near] = watch.update("US", Fraction(21, 1000), target)
    assert near.text == "US: 7-day cancellation rate 2.10%, close to the 2.50% target"
    assert watch.update("US", Fraction(22, 1000), target) == []  # still near: no repeat
    [over] = watch.update("US", Fraction(25, 1000), target)
    assert "at or over the 2.50% target" in over.text
    [back] = watch.update("US", Fraction(1, 100), target)
    assert "back under" in back.text


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stockguard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_notify_urls_take_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        tmp_path,
        '[notify]\nurls = ["slack://${SLACK_TOKEN}/#stock"]\nurls_env = "MORE_URLS"\n',
    )
    monkeypatch.setenv("SLACK_TOKEN", "T1/B2/secret3")
    monkeypatch.setenv("MORE_URLS", "ntfy://ntfy.example/alerts, json://127.0.0.1:9/")
    settings = load_settings(config)

    assert settings.notify.urls == ["slack://${SLACK_TOKEN}/#stock"]  # the file's text
    assert settings.secrets.notify_urls == (
        "slack://T1/B2/secret3/#stock",
        "ntfy://ntfy.example/alerts",
        "json://127.0.0.1:9/",
    )
    assert "secret3" not in repr(settings)


def test_a_missing_variable_names_the_variable_never_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_TOKEN", raising=False)
    config = write(tmp_path, '[notify]\nurls = ["json://a/", "slack://${SLACK_TOKEN}/x"]\n')
    with pytest.raises(ConfigError, match=r"urls #2: environment variable SLACK_TOKEN is not set"):
        load_settings(config)


def test_a_url_apprise_cannot_use_is_refused_by_position() -> None:
    with pytest.raises(ConfigError) as refused:
        AppriseSender(["json://127.0.0.1:9/", "nosuchscheme://token-123@x"])
    assert str(refused.value.message) == "[notify] urls #2: not a URL Apprise can send to"
