"""Importing a supplier feed, and accepting the one the drift guard refused: one code path.

``run_feed_import`` is what `feeds import FILE [--accept-drift]` runs; ``accept_kept_feed``
(`feeds accept SUPPLIER`, the dashboard's "accept this drifted feed") feeds it the file the
store kept at the refusal (core.store.refused_feeds). Overriding the drift guard is an action:
it follows the one-writer rules of cli/writer.py. Beside `stockguard run` it is handed
over (the import only writes the store; the service reads the feed at its next check); beside
another sending command it is refused. Accepting is idempotent: a kept file whose hash an
applied import already carries is not imported again, and the import claims the kept file in
its own transaction, so two accepts at once cannot both apply it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from stockguard.cli.context import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from stockguard.core.clock import Clock
from stockguard.core.config import FeedSettings, Settings
from stockguard.core.errors import ConfigError
from stockguard.core.i18n import tr

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class FeedOutcome:
    """What an import said: lines for stdout, lines for stderr, the exit status."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    status: int = EXIT_OK


def feed_settings(settings: Settings, supplier: str) -> FeedSettings:
    """``[feeds.SUPPLIER]``, or a ConfigError naming the configured ones."""
    found = settings.feeds.get(supplier)
    if found is None:
        known = ", ".join(sorted(settings.feeds)) or "none"
        raise ConfigError(f"no [feeds.{supplier}] section in the config (configured: {known})")
    return found


def run_feed_import(
    settings: Settings,
    clock: Clock,
    supplier: str,
    name: str,
    data: bytes,
    *,
    accept_drift: bool = False,
    claim: int | None = None,
    received_at: datetime | None = None,
) -> FeedOutcome:
    """Import ``data`` (the file ``name``) for ``supplier``; with ``accept_drift`` under the
    one-writer rules (``Refused`` beside another sender). ``claim``: the kept refused import
    this applies (AlreadyAccepted answered as "already accepted")."""
    from stockguard.cli.writer import sole_writer
    from stockguard.core.store import open_store

    feed = feed_settings(settings, supplier)
    db = open_store(settings.store.url)
    try:
        if not accept_drift:
            return _import(db, feed, clock, supplier, name, data, False, claim, received_at)
        with sole_writer(db, clock, "feeds", settings, hand_over=True) as service:
            done = _import(db, feed, clock, supplier, name, data, True, claim, received_at)
        if service is not None and done.status != EXIT_USAGE:
            done.lines.append(
                tr(
                    "stockguard run (pid {pid} on {host}) is running on this database: it reads "
                    "the accepted feed at its next check",
                    pid=service.pid,
                    host=service.host,
                )
            )
        return done
    finally:
        db.dispose()


def _import(
    db: Engine,
    feed: FeedSettings,
    clock: Clock,
    supplier: str,
    name: str,
    data: bytes,
    accept_drift: bool,
    claim: int | None,
    received_at: datetime | None,
) -> FeedOutcome:
    from stockguard.core.store.feeds import SqlFeedStore
    from stockguard.core.store.refused_feeds import AlreadyAccepted
    from stockguard.suppliers.feeds import FeedRefused, import_feed_data

    store = SqlFeedStore(db, claim=claim)
    try:
        report = import_feed_data(
            data,
            name,
            supplier,
            feed,
            store,
            clock,
            accept_drift=accept_drift,
            received_at=received_at,
        )
    except FeedRefused as exc:
        return FeedOutcome([], [*map(str, exc.problems), f"error: {exc.message}"], EXIT_USAGE)
    except AlreadyAccepted:
        line = tr(
            "{supplier}: {file} was already accepted; nothing imported",
            supplier=supplier,
            file=name,
        )
        return FeedOutcome([line])
    done = FeedOutcome(errors=[str(problem) for problem in report.problems])
    if not report.applied:
        refused = tr("{file}: refused as suspicious, nothing applied:", file=name)
        done.errors.append(tr("error: {message}", message=refused))
        done.errors += [f"  - {reason}" for reason in report.drift]
        done.errors.append(tr("  (re-run with --accept-drift if the change is real)"))
        done.status = EXIT_USAGE
        return done
    drift = "; ".join(report.drift)
    note = tr(" (drift accepted: {drift})", drift=drift) if report.drift else ""
    line = tr(
        "{supplier}: applied {items} items from {file} ({out} out of stock, {missing} missing "
        "from the feed; read as {encoding}); refused {refused} rows",
        supplier=supplier,
        items=report.summary.items,
        file=name,
        out=report.summary.out_of_stock,
        missing=report.missing,
        encoding=report.encoding,
        refused=len(report.problems),
    )
    done.lines.append(line + note)
    done.status = EXIT_PARTIAL if report.problems else EXIT_OK
    return done


def accept_kept_feed(
    settings: Settings, clock: Clock, supplier: str, import_id: int | None = None
) -> FeedOutcome:
    """Apply ``supplier``'s kept refused feed, the drift guard overridden (`feeds accept`).
    ``import_id``: the refused import the seller confirmed; a newer one kept since is not
    accepted in its place."""
    from stockguard.core.store import open_store
    from stockguard.core.store.refused_feeds import applied_since, kept_feed, latest_refused

    feed_settings(settings, supplier)
    db = open_store(settings.store.url)
    try:
        kept = kept_feed(db, supplier)
        refused = latest_refused(db, supplier)
        done = applied_since(db, supplier, refused[0], refused[2]) if refused else None
    finally:
        db.dispose()
    if kept is None or (import_id is not None and kept[0].import_id != import_id):
        if refused and done is not None and import_id in (None, refused[0]):
            line = tr(
                "{supplier}: {file} was already accepted (import #{id}); nothing imported",
                supplier=supplier,
                file=refused[1],
                id=done,
            )
            return FeedOutcome([line])
        return FeedOutcome(errors=[_nothing_kept(supplier, refused, import_id)], status=EXIT_USAGE)
    info, data = kept
    return run_feed_import(
        settings,
        clock,
        supplier,
        info.name,
        data,
        accept_drift=True,
        claim=info.import_id,
        received_at=info.refused_at,
    )


def _nothing_kept(supplier: str, refused: tuple[int, str, str] | None, wanted: int | None) -> str:
    if wanted is not None:
        message = tr(
            "refused import #{id} of {supplier} is no longer waiting to be accepted",
            id=wanted,
            supplier=supplier,
        )
    elif refused is None:
        message = tr("{supplier} has no refused feed to accept", supplier=supplier)
    else:
        message = tr(
            "{supplier}: the refused feed {file} is not kept (over the size limit, or a newer "
            "import replaced it); accept it with: stockguard feeds import {supplier} FILE "
            "--accept-drift",
            supplier=supplier,
            file=refused[1],
        )
    return tr("error: {message}", message=message)
