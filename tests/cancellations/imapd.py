"""A small real IMAP4rev1 server on 127.0.0.1 for the intake tests (plain TCP, one folder).

It speaks just enough of RFC 3501 for ``imaplib``: CAPABILITY, LOGIN, SELECT/EXAMINE,
UID SEARCH (``UID n:*`` / ``ALL``), UID FETCH (``BODY.PEEK[]``/``RFC822``), NOOP, LOGOUT.
Faults: ``drop_once`` / ``drop_always`` name UIDs whose FETCH answer is cut off in the middle
of the message literal and the connection closed, as a dropped link would.
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    """The server's state, shared with the test (guarded by ``lock``)."""

    user: str = "seller@example.jp"
    password: str = 'p@ss "word"'
    folder: str = "INBOX"
    uidvalidity: int = 7
    messages: dict[int, bytes] = field(default_factory=dict)
    drop_once: set[int] = field(default_factory=set)
    drop_always: set[int] = field(default_factory=set)
    fetched: list[int] = field(default_factory=list)
    logins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, data: bytes) -> int:
        with self.lock:
            uid = max(self.messages, default=0) + 1
            self.messages[uid] = data
            return uid


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, text: str) -> None:
        self.wfile.write(text.encode("utf-8") + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] stockguard test IMAP server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode("utf-8").rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            if not self.dispatch(tag, command.upper(), args):
                return

    def dispatch(self, tag: str, command: str, args: str) -> bool:
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
        elif command == "LOGIN":
            return self.login(tag, args)
        elif command in ("SELECT", "EXAMINE"):
            return self.select(tag, command, args)
        elif command == "UID":
            return self.uid(tag, args)
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command != "NOOP":
            self.send(f"{tag} BAD unknown command")
            return True
        self.send(f"{tag} OK {command} completed")
        return True

    def login(self, tag: str, args: str) -> bool:
        user, password = _words(args)
        with self.box.lock:
            self.box.logins += 1
            ok = (user, password) == (self.box.user, self.box.password)
        self.send(f"{tag} OK LOGIN completed" if ok else f"{tag} NO [AUTHENTICATIONFAILED] no")
        return True

    def select(self, tag: str, command: str, args: str) -> bool:
        (folder,) = _words(args)
        if folder != self.box.folder:
            self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
            return True
        with self.box.lock:
            count, validity = len(self.box.messages), self.box.uidvalidity
        self.send(f"* {count} EXISTS")
        self.send(f"* OK [UIDVALIDITY {validity}] UIDs valid")
        self.send(f"{tag} OK [READ-ONLY] {command} completed")
        return True

    def uid(self, tag: str, args: str) -> bool:
        verb, _, rest = args.partition(" ")
        with self.box.lock:
            uids = sorted(self.box.messages)
        if verb.upper() == "SEARCH":
            found = _search(uids, rest)
            self.send("* SEARCH" + "".join(f" {u}" for u in found))
            self.send(f"{tag} OK SEARCH completed")
            return True
        uid = int(rest.split()[0])
        return self.fetch(tag, uid, uids)

    def fetch(self, tag: str, uid: int, uids: list[int]) -> bool:
        with self.box.lock:
            data = self.box.messages.get(uid)
            self.box.fetched.append(uid)
            drop = uid in self.box.drop_always or uid in self.box.drop_once
            self.box.drop_once.discard(uid)
        if data is not None:
            head = f"* {uids.index(uid) + 1} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n"
            if drop:  # cut the literal in half and hang up
                self.wfile.write(head.encode() + data[: len(data) // 2])
                self.request.shutdown(socket.SHUT_RDWR)
                return False
            self.wfile.write(head.encode() + data + b")\r\n")
        self.send(f"{tag} OK FETCH completed")
        return True


def _words(args: str) -> list[str]:
    """IMAP atoms and quoted strings (with \\" and \\\\ escapes)."""
    found = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args)
    return [re.sub(r"\\(.)", r"\1", quoted) if quoted else atom for quoted, atom in found]


def _search(uids: list[int], criteria: str) -> list[int]:
    match = re.fullmatch(r"UID (\d+):\*", criteria.strip(), re.I)
    if match is None:
        return uids
    low = int(match.group(1))
    # RFC 3501: "n:*" always contains the highest UID, even when it is below n.
    return [u for u in uids if u >= low] or uids[-1:]


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True


@contextmanager
def imap_server(box: Mailbox) -> Iterator[tuple[str, int]]:
    """Serve ``box`` on 127.0.0.1 (ephemeral port) while the block runs."""
    handler = type("BoundHandler", (_Handler,), {"box": box})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
