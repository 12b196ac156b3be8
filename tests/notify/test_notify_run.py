"""Notifications end to end: the jobs of `stockguard run` against the SP-API emulator and the
demo shop, delivered by Apprise to a loopback webhook and a local SMTP server, batched on an
injected clock; and `stockguard run` as a real process sending its last digest at stop."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from stockguard.cli.jobs import JobCounters, build_jobs
from stockguard.cli.notices import Notices
from stockguard.sync.notify.sender import AppriseSender
from stockguard.sync.runlock import RunLock
from stockguard.sync.scheduler import JobSpec
from tests.engine.conftest import HOST_B, PASS_GAP, StockguardProcess, World, build_live
from tests.notify.receivers import Mailbox, Webhook, smtp_server, webhook

DIGEST_MINUTES = 15.0


@pytest.fixture
def receivers() -> Iterator[tuple[Webhook, Mailbox]]:
    with webhook() as hook, smtp_server() as box:
        yield hook, box


def run_jobs(
    world: World, receivers: tuple[Webhook, Mailbox]
) -> tuple[dict[str, JobSpec], Notices, list[str]]:
    hook, box = receivers
    notify = dataclasses.replace(
        world.settings.notify, digest_minutes=DIGEST_MINUTES, host_min_checks=2
    )
    settings = dataclasses.replace(world.settings, notify=notify)
    lines: list[str] = []
    sender = AppriseSender([hook.url, box.url()])
    for target in sender.targets:  # Apprise waits ~5 s between two mails: digests are minutes
        for plugin in target:  # apart in real use, seconds apart here
            plugin.request_rate_per_sec = 0
    notices = Notices(settings, world.clock, lines.append, sender)
    lock = RunLock(world.db, world.clock)
    specs = build_jobs(world.wired, settings, world.clock, lock, JobCounters(), notices)
    return {s.name: s for s in specs}, notices, lines


def test_run_jobs_send_one_digest_per_interval_to_webhook_and_mail(
    world: World, receivers: tuple[Webhook, Mailbox]
) -> None:
    hook, box = receivers
    jobs, notices, lines = run_jobs(world, receivers)
    world.shop.set_stock("hashi-set", False)

    jobs["checks"].run()
    jobs["notify"].run()  # the first digest goes out at once

    assert any(line.startswith("zeroed JP-HASHI (US): 127.0.0.2") for line in lines), lines
    [first] = hook.posts
    assert "listings zeroed 1" in first["title"]
    assert "zeroed JP-HASHI (US)" in first["message"]
    [mail] = box.messages
    assert mail["Subject"] == first["title"]
    assert "zeroed JP-HASHI (US)" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # Host B starts answering with a captcha: both its listings are UNKNOWN, pass after pass.
    world.shop.set_fault(HOST_B, "captcha")
    for _ in range(3):
        world.clock.advance(PASS_GAP)
        jobs["checks"].run()
        jobs["notify"].run()
    assert len(hook.posts) == 1  # within the interval: nothing more is sent

    world.clock.advance(DIGEST_MINUTES * 60)
    jobs["notify"].run()

    assert len(hook.posts) == 2
    assert len(box.messages) == 2
    second = hook.posts[1]["message"]
    assert second.count("host 127.0.0.2 blocked") == 1, second  # once, not once per pass
    assert "zeroed JP-FUROSHIKI (US)" in second
    assert world.emulator.quantity("JP-FUROSHIKI") == 0

    notices.stopped("stopped: 4 check passes")
    assert len(hook.posts) == 3  # the stop goes out at once, interval or not
    assert "service stopped (1)" in hook.posts[2]["message"]


def test_a_delivery_that_fails_is_kept_for_the_next_digest(world: World) -> None:
    with webhook() as hook:
        dead = f"json://127.0.0.1:{hook.port}/"
    # The endpoint is gone: the digest stays pending rather than being dropped.
    settings = dataclasses.replace(world.settings)
    sent: list[str] = []
    notices = Notices(settings, world.clock, sent.append, AppriseSender([dead]))
    world.shop.set_stock("hashi-set", False)
    jobs = build_jobs(
        world.wired, settings, world.clock, RunLock(world.db, world.clock), JobCounters(), notices
    )
    next(j for j in jobs if j.name == "checks").run()
    notices.tick()
    assert notices.digest is not None
    assert next(e.text for e in notices.digest.pending).startswith("zeroed JP-HASHI")


@pytest.mark.slow
def test_stockguard_run_sends_its_last_digest_at_stop_and_never_prints_the_url(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        hook = stack.enter_context(webhook())
        live = build_live(stack, tmp_path)
        live.shop.set_stock("hashi-set", False)
        # The URL's secret part comes from the environment, as a token would.
        live.write_config(notify={"urls": ["json://127.0.0.1:${HOOK_PORT}/"]})
        env = {**live.env(), "HOOK_PORT": str(hook.port)}
        process = StockguardProcess(
            ("--config", str(live.config), "run", "--for", "4"), env, tmp_path
        )
        assert process.finish() == 0, process.text

    assert any("zeroed JP-HASHI (US)" in line for line in process.stdout), process.text
    assert 'Job "checks' not in process.text  # scheduler chatter only with --verbose
    assert str(hook.port) not in process.text
    assert "service stopped (1)" in hook.posts[-1]["message"]  # the last message: the stop
    assert sum("zeroed JP-HASHI (US)" in post["message"] for post in hook.posts) == 1
