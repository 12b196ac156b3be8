"""IMAP intake against a real IMAP server on 127.0.0.1 that drops the connection mid-fetch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cancellations.imap import ImapConfig, ImapReader
from stockguard.cancellations.intake import MailIntake
from stockguard.cancellations.store.mail import list_cancel_requests, list_returns, load_mark
from stockguard.core.clock import ManualClock
from stockguard.core.config import MailSettings, Secrets
from stockguard.core.errors import ConfigError, StockguardError
from tests.cancellations.imapd import Mailbox, imap_server

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
FILES = (
    "cancel_request_us.eml",  # UID 1
    "cancel_request_jp.eml",  # UID 2
    "return_request_uk.eml",  # UID 3
    "ignored_newsletter.eml",  # UID 4
    "malformed_cancel_bad_order_id.eml",  # UID 5
)


@pytest.fixture
def box() -> Mailbox:
    mailbox = Mailbox()
    for name in FILES:
        mailbox.add((MAIL / name).read_bytes())
    return mailbox


@pytest.fixture
def server(box: Mailbox) -> Iterator[tuple[str, int]]:
    with imap_server(box) as address:
        yield address


def config(box: Mailbox, address: tuple[str, int], **changes: object) -> ImapConfig:
    values: dict[str, object] = {
        "host": address[0],
        "port": address[1],
        "user": box.user,
        "password": box.password,
        "tls": False,
        "max_attempts": 3,
    }
    values.update(changes)
    return ImapConfig(**values)  # type: ignore[arg-type]


def run(db: Engine, cfg: ImapConfig, clock: ManualClock) -> tuple[MailIntake, ImapReader]:
    intake = MailIntake(db, lambda _order_id: None, clock)
    reader = ImapReader(cfg, intake, db, clock)
    reader.run()
    return intake, reader


def test_dropped_connection_is_resumed_by_uid_nothing_lost_nothing_twice(
    db: Engine, box: Mailbox, server: tuple[str, int], clock: ManualClock
) -> None:
    box.drop_once = {2}
    intake, reader = run(db, config(box, server), clock)
    assert box.fetched == [1, 2, 2, 3, 4, 5]  # UID 1 is not fetched again after the drop
    assert (reader.reconnects, box.logins, clock.slept) == (1, 2, [2.0])
    summary = intake.summary
    assert sorted(e.order_id or "" for e, _ in summary.applied) == [
        "112-4471029-5530641",
        "204-7781234-1029384",
        "503-2210987-6654321",
    ]
    assert (summary.ignored, len(summary.malformed), summary.duplicates) == (1, 1, [])
    assert "UID=5: ignored, looks like an Amazon email but bad order id" in summary.warnings[0]
    mark = load_mark(db, config(box, server).mailbox)
    assert mark is not None
    assert (mark.uidvalidity, mark.last_uid) == (7, 5)
    assert len(list_cancel_requests(db)) == 2
    assert [r.comment for r in list_returns(db)] == [
        "The print is smudged on one corner and the hem is coming apart."
    ]


def test_next_run_reads_only_new_mail(
    db: Engine, box: Mailbox, server: tuple[str, int], clock: ManualClock
) -> None:
    run(db, config(box, server), clock)
    box.fetched.clear()
    intake, _ = run(db, config(box, server), clock)
    # "UID 6:*" answers the highest UID (5) as RFC 3501 says: it must not be read again
    assert (box.fetched, intake.summary.applied) == ([], [])
    box.add((MAIL / "return_request_jp.eml").read_bytes())
    intake, _ = run(db, config(box, server), clock)
    assert box.fetched == [6]
    assert [e.order_id for e, _ in intake.summary.applied] == ["503-8812345-1200456"]


def test_new_uidvalidity_rereads_the_folder_without_applying_twice(
    db: Engine, box: Mailbox, server: tuple[str, int], clock: ManualClock
) -> None:
    run(db, config(box, server), clock)
    box.uidvalidity = 8
    box.fetched.clear()
    intake, _ = run(db, config(box, server), clock)
    assert box.fetched == [1, 2, 3, 4, 5]
    assert (len(intake.summary.applied), len(intake.summary.duplicates)) == (0, 3)
    assert len(list_cancel_requests(db)) == 2


def test_a_connection_that_keeps_dropping_ends_with_a_transient_error(
    db: Engine, box: Mailbox, server: tuple[str, int], clock: ManualClock
) -> None:
    box.drop_always = {2}
    with pytest.raises(StockguardError, match="connection lost 3 times in a row") as caught:
        run(db, config(box, server), clock)
    assert caught.value.transient
    assert box.fetched == [1, 2, 2, 2, 2]
    mark = load_mark(db, config(box, server).mailbox)
    assert mark is not None
    assert mark.last_uid == 1


def test_refused_login_and_missing_folder_are_config_errors_without_the_password(
    db: Engine, box: Mailbox, server: tuple[str, int], clock: ManualClock
) -> None:
    with pytest.raises(ConfigError, match=r"login refused for seller@example\.jp") as caught:
        run(db, config(box, server, password="wrong-secret"), clock)
    assert "wrong-secret" not in caught.value.message
    with pytest.raises(ConfigError, match="cannot open folder 'Amazon'"):
        run(db, config(box, server, folder="Amazon"), clock)


def test_no_server_is_retried_then_a_transient_error(db: Engine, clock: ManualClock) -> None:
    with imap_server(Mailbox()) as (host, port):
        pass  # the port is free again: nothing listens there
    cfg = ImapConfig(host=host, port=port, user="u", password="p", tls=False, max_attempts=2)
    with pytest.raises(StockguardError, match="connection lost 2 times") as caught:
        run(db, cfg, clock)
    assert caught.value.transient
    assert clock.slept == [4.0]


def test_settings_need_host_user_and_the_password_from_the_environment() -> None:
    mail = MailSettings(imap_host="imap.example.jp", imap_user="seller@example.jp")
    with pytest.raises(ConfigError, match="STOCKGUARD_IMAP_PASSWORD"):
        ImapConfig.from_settings(mail, Secrets())
    with pytest.raises(ConfigError, match="imap_host"):
        ImapConfig.from_settings(MailSettings(), Secrets(imap_password="x"))
    cfg = ImapConfig.from_settings(mail, Secrets(imap_password="s3cret"))
    assert (cfg.tls, cfg.port, cfg.folder) == (True, 993, "INBOX")  # IMAPS by default
    assert "s3cret" not in repr(cfg)
