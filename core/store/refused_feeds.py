"""The newest refused feed file per supplier, kept so that it can be accepted later.

When the drift guard refuses a feed, ``SqlFeedStore.record_import`` keeps its bytes here
(zlib-compressed, one row per supplier: a newer refusal replaces the older file, an applied
import discards it, since accepting an older file would undo a newer one). A file over
``MAX_KEPT_BYTES`` is not kept: it is accepted from the command line (`feeds import FILE
--accept-drift`). Accepting *claims* the row in the transaction that applies the feed, so two
accepts racing cannot both import it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select

from stockguard.core.store.feed_tables import feed_imports, refused_feed_files

MAX_KEPT_BYTES = 50 * 1024 * 1024  # a feed larger than this is not kept (the CLI accepts it)


class AlreadyAccepted(Exception):
    """The kept file was claimed (accepted) by another import in the meantime."""


@dataclass(frozen=True)
class KeptFeed:
    """A refused feed file the store holds: what it was and when it was refused."""

    supplier: str
    import_id: int
    name: str
    sha256: str
    size: int
    refused_at: datetime


def keep_refused(
    conn: Connection,
    import_id: int,
    supplier: str,
    name: str,
    sha256: str,
    data: bytes,
    refused_at: datetime,
) -> bool:
    """Keep ``data`` as ``supplier``'s refused file (replacing an older one); False (and
    nothing kept, the older file dropped too) when it is over ``MAX_KEPT_BYTES``."""
    discard(conn, supplier)
    if len(data) > MAX_KEPT_BYTES:
        return False
    row = {
        "supplier": supplier,
        "import_id": import_id,
        "name": name,
        "sha256": sha256,
        "size": len(data),
        "content": zlib.compress(data, 6),
        "refused_at": refused_at,
    }
    conn.execute(insert(refused_feed_files).values(**row))
    return True


def discard(conn: Connection, supplier: str) -> None:
    """Forget ``supplier``'s kept file (an applied import supersedes it)."""
    conn.execute(delete(refused_feed_files).where(refused_feed_files.c.supplier == supplier))


def claim(conn: Connection, import_id: int) -> None:
    """Take the kept file of refused import ``import_id`` for applying it: AlreadyAccepted
    when it is gone (another accept applied it, or a newer import replaced it)."""
    done = conn.execute(
        delete(refused_feed_files).where(refused_feed_files.c.import_id == import_id)
    )
    if done.rowcount != 1:
        raise AlreadyAccepted(f"refused import #{import_id} is no longer waiting")


_FIELDS = (
    refused_feed_files.c.supplier,
    refused_feed_files.c.import_id,
    refused_feed_files.c.name,
    refused_feed_files.c.sha256,
    refused_feed_files.c.size,
    refused_feed_files.c.refused_at,
)


def kept_feeds(db: Engine) -> dict[str, KeptFeed]:
    """Every supplier's kept file (without its bytes)."""
    with db.connect() as conn:
        return {row.supplier: KeptFeed(*row) for row in conn.execute(select(*_FIELDS))}


def kept_feed(db: Engine, supplier: str) -> tuple[KeptFeed, bytes] | None:
    """``supplier``'s kept file and its bytes, if one is kept."""
    query = select(*_FIELDS, refused_feed_files.c.content).where(
        refused_feed_files.c.supplier == supplier
    )
    with db.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return KeptFeed(*row[:6]), zlib.decompress(row.content)


def applied_since(db: Engine, supplier: str, after_id: int, sha256: str) -> int | None:
    """The id of an import applied after ``after_id`` from the file with this hash, if any:
    the refused file was already accepted (by `feeds accept` or `--accept-drift`)."""
    c = feed_imports.c
    query = (
        select(c.id)
        .where(
            c.supplier == supplier, c.id > after_id, c.status == "applied", c.file_sha256 == sha256
        )
        .order_by(c.id)
        .limit(1)
    )
    with db.connect() as conn:
        found = conn.execute(query).scalar()
    return int(found) if found is not None else None


def latest_refused(db: Engine, supplier: str) -> tuple[int, str, str] | None:
    """(id, file name, sha256) of ``supplier``'s latest refused import, if any."""
    c = feed_imports.c
    query = (
        select(c.id, c.file_name, c.file_sha256)
        .where(c.supplier == supplier, c.status == "refused")
        .order_by(c.id.desc())
        .limit(1)
    )
    with db.connect() as conn:
        row = conn.execute(query).first()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None
