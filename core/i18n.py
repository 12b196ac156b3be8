"""The seller's language and time zone for everything stockguard prints.

Messages are looked up in a TOML catalogue (``core/locales/<locale>.toml``: the English text
as key, the translation as value, ``{name}`` placeholders as in ``str.format``). TOML rather
than gettext: it is read by the standard library (tomllib), needs no compile step and no
committed binary .mo, and a translator edits it as plain text; tests/test_i18n.py checks
that every message the code asks for is in the catalogue. A message missing from a
catalogue prints in English, never as an error.

``configure`` is called once per command from the settings (``[display] locale``,
``timezone``); ``when`` prints a time in the seller's zone with the zone's name.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stockguard.core.errors import ConfigError

LOCALES = ("en", "ja")


@dataclass
class _Display:
    locale: str = "en"
    zone: tzinfo = UTC


_current = _Display()


def configure(locale: str, timezone: str) -> None:
    """Use this locale (``en``/``ja``; ``ja_JP.UTF-8`` is ``ja``) and IANA time zone."""
    code = (locale or "en").split("_")[0].split(".")[0].lower()
    if code not in LOCALES:
        raise ConfigError(f"[display] locale: {locale!r} is not one of {', '.join(LOCALES)}")
    try:
        zone: tzinfo = UTC if timezone in ("", "UTC") else ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[display] timezone: unknown time zone {timezone!r}") from None
    _current.locale, _current.zone = code, zone


def locale() -> str:
    """The locale in use (``en`` or ``ja``)."""
    return _current.locale


def zone() -> tzinfo:
    """The seller's time zone."""
    return _current.zone


@functools.cache
def catalogue(code: str) -> dict[str, str]:
    """The translations of one locale (English has none: its keys are the messages)."""
    if code == "en":
        return {}
    catalogue = resources.files("stockguard.core.locales").joinpath(f"{code}.toml")
    text = catalogue.read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text).items()}


def tr(text: str, /, **values: Any) -> str:
    """``text`` in the seller's language, with ``values`` filled in."""
    template = catalogue(_current.locale).get(text, text)
    return template.format(**values) if values else template


def when(moment: datetime | None, *, seconds: bool = False, missing: str = "-") -> str:
    """A time in the seller's zone, labelled: ``2026-12-07 11:00 JST``. Naive means UTC."""
    if moment is None:
        return missing
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(_current.zone)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
