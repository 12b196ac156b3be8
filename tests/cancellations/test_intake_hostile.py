"""One email with a value neither store holds is reported and skipped; the others are applied.

A NUL byte in a buyer's comment or a subject once stopped the whole intake on PostgreSQL (0
rows applied; over IMAP every run crashed on the same UID). Now the email is a warning naming
its origin, on SQLite exactly as on PostgreSQL, and IMAP moves past it.
"""

from __future__ import annotations

import mailbox
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cancellations.imap import ImapConfig, ImapReader
from stockguard.cancellations.intake import MailIntake
from stockguard.cancellations.mail import MailKind, parse_message
from stockguard.cancellations.store.mail import list_cancel_requests, list_returns, load_mark
from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.clock import ManualClock
from tests.cancellations.imapd import Mailbox, imap_server

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
RETURN_UK = (MAIL / "return_request_uk.eml").read_bytes()
CANCEL_US = (MAIL / "cancel_request_us.eml").read_bytes()
COMMENT = b"The print is smudged"


def return_mail(number: int, old: bytes = COMMENT, new: bytes = COMMENT) -> bytes:
    """The UK return request under its own Message-ID and order id, one text replaced."""
    data = RETURN_UK.replace(b"return-uk-0001", b"return-uk-%04d" % number)
    data = data.replace(b"204-7781234-1029384", b"204-7781234-%07d" % number)
    return data.replace(old, new)


HOSTILE = {
    "NUL in the comment": (COMMENT, b"The print\x00 is smudged", "comment"),
    "NUL in the subject": (b"Subject: Return", b"Subject: \x00Return", "subject"),
    "NUL in the SKU": (b"SKU: JP-FURO-70", b"SKU: JP-\x00FURO", "SKU"),
    "SKU longer than its column": (b"SKU: JP-FURO-70", b"SKU: " + b"S" * 201, "SKU is 201"),
    "huge quantity": (b"Quantity: 1", b"Quantity: 99999999999999999999999", "quantity of 23"),
    # Found by tests/test_importers_fuzz.py: int() refuses strings past 4,300 digits.
    "quantity past 4,300 digits": (b"Quantity: 1", b"Quantity: " + b"9" * 5000, "quantity of 5"),
}


def test_a_digit_int_cannot_read_is_no_quantity() -> None:
    # Found by tests/test_importers_fuzz.py: str.isdigit() accepted it, int() raised.
    data = return_mail(1, b"Quantity: 1", "Quantity: \U00010a40".encode())

    event = parse_message(data, "kharosthi.eml")

    assert event.kind is MailKind.RETURN_REQUEST
    assert event.quantity is None


def write_mbox(path: Path, mails: list[bytes]) -> Path:
    box = mailbox.mbox(path)
    for data in mails:
        box.add(data)
    box.flush()
    box.close()
    return path


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_email_is_reported_and_the_rest_applied(
    name: str,
    db_url: str,
    db: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new, field = HOSTILE[name]
    box = write_mbox(
        tmp_path / "amazon.mbox", [return_mail(1), return_mail(2, old, new), CANCEL_US]
    )
    argv = ["stockguard", "--db", db_url, "intake", "mail", "--mbox", str(box)]
    monkeypatch.setattr(sys, "argv", argv)

    code = run_guarded(cli)

    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"amazon.mbox#2: ignored, looks like an Amazon email but its {field}" in err
    assert "2 applied, 0 already applied, 0 ignored, 1 malformed" in out
    assert [r.order_id for r in list_returns(db)] == ["204-7781234-0000001"]
    assert len(list_cancel_requests(db)) == 1


def test_imap_moves_past_a_hostile_email(db: Engine, clock: ManualClock) -> None:
    box = Mailbox()
    for data in (return_mail(1), return_mail(2, *HOSTILE["NUL in the comment"][:2]), CANCEL_US):
        box.add(data)
    with imap_server(box) as (host, port):
        cfg = ImapConfig(host, box.user, box.password, port=port, tls=False)
        first = MailIntake(db, lambda _order_id: None, clock)
        ImapReader(cfg, first, db, clock).run()
        again = MailIntake(db, lambda _order_id: None, clock)
        ImapReader(cfg, again, db, clock).run()

    assert len(first.summary.applied) == 2
    assert "UID=2: ignored, looks like an Amazon email but its comment" in first.summary.warnings[0]
    mark = load_mark(db, cfg.mailbox)
    assert mark is not None
    assert mark.last_uid == 3
    assert box.fetched == [1, 2, 3]  # the next run does not stumble on UID 2 again
    assert again.summary.malformed == []
