"""The store: SQLAlchemy Core tables and queries. SQLite by default, PostgreSQL-ready.

``open_store(url)`` gives a migrated Engine. Tables are declared per area in
``*_tables.py`` modules on one shared ``metadata``; ``schema`` imports them all; queries live
in per-area modules beside them.
"""

from stockguard.core.store.db import open_store

__all__ = ["open_store"]
