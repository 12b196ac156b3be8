"""Frozen dataclasses built from SQLAlchemy result rows.

The store's row types mostly mirror their table: a field per column, of the same name. ``from_row``
copies those, so a reader spells out only what differs (a renamed column, an enum conversion).
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def from_row(cls: type[T], row: Row[Any], **values: Any) -> T:
    """A ``cls`` from a result row: each field from the same-named column, bar those in ``values``.

    ``values`` gives renamed columns and conversions. Nothing falls back to a field's default: a
    name in ``values`` that is no field raises TypeError (from ``cls``), and a field with neither a
    value nor a column of its name raises KeyError, so a misspelling fails loudly.
    """
    columns = row._mapping  # public API; the underscore only keeps it clear of column names
    copied = {name: columns[name] for name in _field_names(cls) if name not in values}
    return cls(**copied, **values)


@cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    # Loading the planner's schedule builds one row object per source (150,000 and more).
    return tuple(f.name for f in fields(cls))
