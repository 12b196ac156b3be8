"""The procrastinate app on the store's PostgreSQL database, and its schema applied once.

The job tables live beside the store's (the first schema of the URL's ``search_path``, else
``public``) under procrastinate's own names (``procrastinate_jobs``, ``procrastinate_workers``…).
``ensure_schema`` creates them on first use, under an advisory lock so that a dispatcher and
workers starting together apply it once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from stockguard.core.config import Settings
from stockguard.core.errors import ConfigError

TASK_NAME = "stockguard.check_host_batch"
_SCHEMA_LOCK = 0x5106_C6A8_D000_0001  # pg advisory lock key: "stockguard applies job schema"


def require_postgres(settings: Settings) -> str:
    """The store URL as a libpq conninfo; a ConfigError when the store is not PostgreSQL."""
    url = make_url(settings.store.url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"[workers] needs the store on PostgreSQL, not {url.get_backend_name()} "
            f"({url.render_as_string(hide_password=True)}); set [store] url to a "
            "postgresql+psycopg:// URL, or run without --workers"
        )
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def ensure_schema(conninfo: str) -> bool:
    """Create procrastinate's tables if absent (idempotent); True when created now."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo, autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if found is not None and found[0] is not None:
            return False
        schema = SchemaManager.get_schema()
        with conn.cursor() as cursor:
            cursor.execute(schema.encode())  # no parameters: the SQL's % signs stay as they are
        conn.commit()
        return True


def build_app(conninfo: str, task: Callable[..., Any], queue: str, pool_size: int = 4) -> Any:
    """A procrastinate App on ``conninfo`` with the host-batch task registered (``TASK_NAME``).

    Batches are never retried on failure: a failed check is an UNKNOWN observation already,
    and the planner offers the source again. Only a stalled batch (its worker died) is retried,
    by the dispatcher's sweep."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo, min_size=1, max_size=max(pool_size, 2)
    )
    app = procrastinate.App(connector=connector)
    app.task(name=TASK_NAME, queue=queue, pass_context=True)(task)
    return app
