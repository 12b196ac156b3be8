"""Email intake from .eml files and an mbox: requests, returns, cross-check, dedup, bad mail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from stockguard.cancellations.intake import MailIntake, read_eml_files, read_mbox
from stockguard.cancellations.mail import MailKind, parse_message
from stockguard.cancellations.store.mail import list_cancel_requests, list_returns
from stockguard.cancellations.store.mail_tables import mail_messages
from stockguard.cli import cli
from stockguard.core.clock import ManualClock
from stockguard.core.domain import Party
from stockguard.core.errors import InputError
from stockguard.core.store.orders import load_order, upsert_orders
from tests.cancellations.rate_orders import JP, US, order

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
EMLS = sorted(MAIL.glob("*.eml"))
MBOX = MAIL / "amazon_notifications.mbox"
NOW = datetime(2026, 3, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("malformed_cancel_no_order_id.eml", "no order id"),
        ("malformed_cancel_bad_order_id.eml", "bad order id '112-447102-5530641'"),
        ("malformed_cancel_two_order_ids.eml", "two different order ids"),
        ("malformed_return_missing_reason.eml", "without a 'Return reason' line"),
        ("malformed_cancel_not_from_amazon.eml", "not sent from an Amazon domain"),
    ],
)
def test_look_alikes_are_malformed_with_the_reason(name: str, problem: str) -> None:
    event = parse_message((MAIL / name).read_bytes(), name)
    assert event.kind is MailKind.MALFORMED
    assert event.problem is not None
    assert problem in event.problem
    assert event.order_id is None


def test_japanese_subject_and_iso_2022_jp_body() -> None:
    event = parse_message((MAIL / "cancel_request_jp.eml").read_bytes(), "jp.eml")
    assert (event.kind, event.order_id, event.marketplace_id) == (
        MailKind.CANCEL_REQUEST,
        "503-2210987-6654321",
        JP,
    )
    assert (event.reason, event.sku, event.quantity) == ("注文内容を変更したい", "JP-KYUSU-06", 1)


def test_other_mail_and_informal_buyer_messages_are_ignored() -> None:
    for name in (
        "ignored_newsletter.eml",
        "ignored_sold_ship_now.eml",
        "ignored_informal_message.eml",
    ):
        assert parse_message((MAIL / name).read_bytes(), name).kind is MailKind.IGNORED


def _stored_orders(db: Engine) -> None:
    upsert_orders(
        db,
        [
            # the API flags the US request: agree
            order("112-4471029-5530641", "2026-03-09T12:00Z", item_flag=True),
            # the JP order is stored but not flagged (yet): disagree
            order("503-2210987-6654321", "2026-03-09T23:00Z", market=JP),
            order("702-0000000-0000000", "2026-03-09T23:00Z", cancelled_by=Party.MERCHANT),
        ],
        NOW,
    )


def test_files_and_mbox_are_applied_once_with_the_api_cross_check(db: Engine) -> None:
    _stored_orders(db)
    intake = MailIntake(db, lambda order_id: load_order(db, order_id), ManualClock(NOW))
    intake.take_all(read_eml_files(EMLS))
    summary = intake.take_all(read_mbox(MBOX))
    applied = {event.order_id: (event.kind.value, check) for event, check in summary.applied}
    assert applied == {
        "112-4471029-5530641": ("cancel-request", "agree"),
        "503-2210987-6654321": ("cancel-request", "disagree"),
        "702-5566778-8899001": ("cancel-request", "not-in-store"),  # from the mbox (CA)
        "204-7781234-1029384": ("return-request", ""),
        "503-8812345-1200456": ("return-request", ""),
        "250-1234567-7654321": ("return-request", ""),
    }
    # the mbox repeats the US request (same Message-ID) and a malformed file
    assert [e.origin for e in summary.duplicates] == [f"{MBOX}#1"]
    assert (summary.ignored, len(summary.malformed)) == (4, 6)
    assert f"{MBOX}#4: ignored, looks like an Amazon email but bad order id" in summary.warnings[-1]
    with db.connect() as conn:  # nothing of the look-alikes reached the store
        assert conn.scalar(select(func.count()).select_from(mail_messages)) == 6
    checks = {r.order_id: r.api_check for r in list_cancel_requests(db)}
    assert checks["112-4471029-5530641"] == "agree"
    assert {r.marketplace_id for r in list_cancel_requests(db)} == {US, JP, "A2EUQ1WTGCTBG2"}


def test_second_run_applies_nothing(db: Engine) -> None:
    clock = ManualClock(NOW)
    MailIntake(db, lambda _: None, clock).take_all(read_eml_files(EMLS))
    again = MailIntake(db, lambda _: None, clock).take_all(read_eml_files(EMLS))
    assert (again.applied, len(again.duplicates)) == ([], 4)


def test_returns_keep_the_buyers_comment(db: Engine) -> None:
    MailIntake(db, lambda _: None, ManualClock(NOW)).take_all(read_mbox(MBOX))
    MailIntake(db, lambda _: None, ManualClock(NOW)).take_all(read_eml_files(EMLS))
    returns = list_returns(db)
    assert [(r.order_id, r.comment) for r in returns] == [
        ("204-7781234-1029384", "The print is smudged on one corner and the hem is coming apart."),
        ("503-8812345-1200456", "写真より色がかなり濃いです。未使用です。"),
        ("250-1234567-7654321", "Gift was duplicated, box unopened."),  # next line after label
    ]
    assert returns[1].quantity == 2  # full-width ２


def test_unreadable_inputs_name_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.eml: empty file"):
        list(read_eml_files([empty]))
    with pytest.raises(InputError, match=r"missing\.mbox: no such mbox file"):
        list(read_mbox(tmp_path / "missing.mbox"))


def test_commands_intake_mail_and_returns_list(db: Engine, db_url: str) -> None:
    _stored_orders(db)
    args = ["--db", db_url, "intake", "mail", "--mbox", str(MBOX)]
    for path in EMLS:
        args += ["--eml", str(path)]
    result = CliRunner().invoke(cli, args, standalone_mode=False)
    assert result.return_value == 1, result.output  # malformed look-alikes were skipped
    assert "112-4471029-5530641: buyer cancellation request (Orders API: agree)" in result.output
    assert "warning: " in result.output
    assert "malformed_cancel_not_from_amazon.eml" in result.output
    assert "6 applied, 1 already applied, 4 ignored, 6 malformed" in result.output
    listed = CliRunner().invoke(
        cli, ["--db", db_url, "returns", "list"], env={"COLUMNS": "200"}, standalone_mode=False
    )
    assert listed.return_value == 0, listed.output
    assert "Gift was duplicated, box unopened." in listed.output
    assert "204-7781234-1029384" in listed.output
    assert "UK" in listed.output
    usage = CliRunner().invoke(cli, ["--db", db_url, "intake", "mail"])
    assert usage.exit_code == 2
    assert "give --eml FILE" in usage.output
