"""IMAP intake: IMAPS by default (``imaplib.IMAP4_SSL`` with certificate checks), resumable.

Each run logs in, EXAMINEs the folder (read-only: the seller's mail stays unread), asks for
the UIDs above the stored mark and fetches them one by one with ``BODY.PEEK[]``. Each email
and the new mark commit together (``MailIntake.take``), so a dropped connection loses
nothing: the reader reconnects after a backoff on the injected clock and resumes after the
last applied UID; the Message-ID ledger makes a re-read harmless. A new UIDVALIDITY restarts
the folder from UID 1 (again harmless). Login refused or a missing folder is a ConfigError;
``max_attempts`` drops in a row without progress end the run with a transient error.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from dataclasses import dataclass, field

from sqlalchemy import Engine

from stockguard.cancellations.intake import MailIntake, RawMail
from stockguard.cancellations.store.mail import ImapMark, load_mark, save_mark
from stockguard.core.clock import Clock
from stockguard.core.config import MailSettings, Secrets
from stockguard.core.errors import ConfigError, StockguardError

_DROPPED = (imaplib.IMAP4.abort, OSError, EOFError)


@dataclass(frozen=True)
class ImapConfig:
    """Where to read mail; the password comes from the environment (Secrets)."""

    host: str
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    port: int = 993
    tls: bool = True  # False only for a local test server or a local bridge
    timeout: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0

    @classmethod
    def from_settings(cls, mail: MailSettings, secrets: Secrets, *, tls: bool = True) -> ImapConfig:
        """From ``[mail]`` and STOCKGUARD_IMAP_PASSWORD; a missing piece is a ConfigError."""
        if not mail.imap_host or not mail.imap_user:
            raise ConfigError("[mail] imap_host and imap_user must be set to read IMAP")
        if not secrets.imap_password:
            raise ConfigError("STOCKGUARD_IMAP_PASSWORD is not set in the environment")
        return cls(
            host=mail.imap_host,
            user=mail.imap_user,
            password=secrets.imap_password,
            folder=mail.imap_folder,
            port=mail.imap_port,
            tls=tls,
        )

    @property
    def mailbox(self) -> str:
        """The key of this mailbox's resume mark."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


class ImapReader:
    """Reads one mailbox into a MailIntake, reconnecting after dropped connections."""

    def __init__(self, config: ImapConfig, intake: MailIntake, db: Engine, clock: Clock):
        self.config = config
        self.intake = intake
        self.db = db
        self.clock = clock
        self.fetched = 0
        self.reconnects = 0

    def run(self) -> int:
        """Read every new email; the number fetched (re-fetches after a drop included)."""
        failures = 0
        while True:
            before = self.fetched
            try:
                self._session()
                return self.fetched
            except _DROPPED as exc:
                failures = 0 if self.fetched > before else failures + 1
                if failures >= self.config.max_attempts:
                    raise StockguardError(
                        f"IMAP {self.config.host}: connection lost {failures} times in a row "
                        f"({exc.__class__.__name__}); {self.fetched} emails read, the next run "
                        "resumes after the last one applied",
                        transient=True,
                    ) from None
                self.reconnects += 1
                self.clock.sleep(self.config.backoff_seconds * 2 ** min(failures, 5))

    def _connect(self) -> imaplib.IMAP4:
        cfg = self.config
        if cfg.tls:
            context = ssl.create_default_context()
            return imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=context, timeout=cfg.timeout)
        return imaplib.IMAP4(cfg.host, cfg.port, timeout=cfg.timeout)

    def _session(self) -> None:
        conn = self._connect()
        logged_out = False
        try:
            self._login_and_select(conn)
            uidvalidity = self._uidvalidity(conn)
            mark = load_mark(self.db, self.config.mailbox)
            last = mark.last_uid if mark and mark.uidvalidity == uidvalidity else 0
            for uid in self._new_uids(conn, last):
                raw = self._fetch(conn, uid)
                mark = ImapMark(self.config.mailbox, uidvalidity, uid)
                if raw is None:  # expunged meanwhile: nothing to read, move on
                    save_mark(self.db, mark, self.clock.now())
                    continue
                self.fetched += 1
                self.intake.take(RawMail(f"imap://{self.config.mailbox};UID={uid}", raw), mark)
            conn.logout()  # closes the socket when it succeeds
            logged_out = True
        finally:
            if not logged_out:
                _close(conn)

    def _login_and_select(self, conn: imaplib.IMAP4) -> None:
        cfg = self.config
        try:
            conn.login(cfg.user, cfg.password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:
            raise ConfigError(f"IMAP {cfg.host}: login refused for {cfg.user}") from None
        typ, _ = conn.select(_quote(cfg.folder), readonly=True)
        if typ != "OK":
            raise ConfigError(f"IMAP {cfg.host}: cannot open folder {cfg.folder!r}")

    def _uidvalidity(self, conn: imaplib.IMAP4) -> int:
        _, values = conn.response("UIDVALIDITY")
        try:
            return int(values[0]) if values and values[0] is not None else 0
        except (TypeError, ValueError):
            return 0

    def _new_uids(self, conn: imaplib.IMAP4, last: int) -> list[int]:
        typ, data = conn.uid("SEARCH", f"UID {last + 1}:*")
        if typ != "OK":
            raise imaplib.IMAP4.abort(f"UID SEARCH answered {typ}")
        words = b" ".join(d for d in data if isinstance(d, bytes)).split()
        # "n:*" always includes the highest UID, even below n (RFC 3501): filter.
        return sorted(uid for uid in (int(w) for w in words if w.isdigit()) if uid > last)

    def _fetch(self, conn: imaplib.IMAP4, uid: int) -> bytes | None:
        typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            raise imaplib.IMAP4.abort(f"UID FETCH {uid} answered {typ}")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
                return part[1]
        return None


def _close(conn: imaplib.IMAP4) -> None:
    """Close the socket of a session that did not log out."""
    with contextlib.suppress(OSError):  # the peer is gone already; the socket closes anyway
        conn.shutdown()


def _quote(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
