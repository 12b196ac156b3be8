"""Delivery through Apprise (mail, Slack, Discord, Teams, ntfy, webhooks, …).

Each URL gets its own Apprise object, so a failure is reported by the URL's position
("target #2"), never by the URL: URLs carry tokens and passwords. Apprise's own logger is
kept quiet below ERROR for the same reason (its INFO lines name the hosts it posts to).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import apprise

from stockguard.core.errors import ConfigError

log = logging.getLogger("stockguard.notify")


class AppriseSender:
    """Sends one (title, body) message to every configured URL."""

    def __init__(self, urls: Sequence[str]) -> None:
        logging.getLogger("apprise").setLevel(logging.ERROR)
        self.targets: list[apprise.Apprise] = []
        for index, url in enumerate(urls, start=1):
            target = apprise.Apprise()
            if not target.add(url):
                raise ConfigError(f"[notify] urls #{index}: not a URL Apprise can send to")
            self.targets.append(target)

    def __call__(self, title: str, body: str) -> bool:
        """Send to every target; True when all took it."""
        delivered = True
        for index, target in enumerate(self.targets, start=1):
            if not target.notify(title=title, body=body):
                log.warning("notification to target #%d of %d failed", index, len(self.targets))
                delivered = False
        return delivered
