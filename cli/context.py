"""What every command shares: lazily loaded settings, the store, and error-to-exit mapping."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from stockguard.core import i18n
from stockguard.core.config import Settings, load_settings
from stockguard.core.errors import (
    ConfigError,
    FileRefused,
    InputError,
    StockguardError,
    hide_passwords,
)

log = logging.getLogger("stockguard")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2


@dataclass
class AppContext:
    """Per-invocation state handed to commands through ``click.pass_obj``."""

    db: str | None = None
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Settings from the config file, the environment and ``--db``; loaded once."""
        if self._settings is None:
            self._settings = load_settings(self.config_path, db=self.db)
            display = self._settings.display
            i18n.configure(display.locale, display.timezone)
        return self._settings


def iso_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """A click callback: an ISO 8601 time as aware UTC (naive input is taken as UTC)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not ISO 8601 (2026-03-02T09:00:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class PasswordHidingFormatter(logging.Formatter):
    """Log lines (tracebacks included) with every URL's password shown as ``***``."""

    def format(self, record: logging.LogRecord) -> str:
        return hide_passwords(super().format(record))


def hide_passwords_in_logs() -> None:
    """Every handler of the root logger formats through ``PasswordHidingFormatter``."""
    for handler in logging.getLogger().handlers:
        pattern = handler.formatter._fmt if handler.formatter else None
        handler.setFormatter(PasswordHidingFormatter(pattern))


def run_guarded(command: click.Group) -> int:
    """Run the click group; known errors become one line on stderr and an exit code."""
    try:
        result: Any = command.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_PARTIAL
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except (ConfigError, InputError) as exc:
        click.echo(f"error: {hide_passwords(exc.message)}", err=True)
        return EXIT_USAGE if isinstance(exc, ConfigError | FileRefused) else EXIT_PARTIAL
    except StockguardError as exc:
        click.echo(f"error: {hide_passwords(exc.message)}", err=True)
        return EXIT_PARTIAL
    return result if isinstance(result, int) else EXIT_OK
