"""What the gateway returns: Amazon's answers, reduced to what stockguard acts on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListingIssue:
    """One issue Amazon reported for a listing submission or a feed message."""

    message: str
    severity: str = "ERROR"  # ERROR | WARNING | INFO
    code: str = ""
    sku: str | None = None


@dataclass(frozen=True)
class SubmissionResult:
    """patchListingsItem's answer. ACCEPTED means queued, not applied (read it back)."""

    sku: str
    status: str  # ACCEPTED | INVALID | VALID
    submission_id: str | None = None
    issues: tuple[ListingIssue, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status == "ACCEPTED"


@dataclass(frozen=True)
class FeedResult:
    """A finished feed: its status and the per-SKU (or per-order) errors of its report."""

    feed_id: str
    status: str  # DONE | FATAL | CANCELLED
    errors_by_key: dict[str, tuple[ListingIssue, ...]] = field(default_factory=dict)
    messages_processed: int = 0
    messages_accepted: int = 0
    report: Any = None  # the parsed processing report (JSON dict, or XML text)

    def failed(self, key: str) -> bool:
        """True when the report names ``key`` (a SKU or an AmazonOrderID) with an ERROR."""
        return any(i.severity == "ERROR" for i in self.errors_by_key.get(key, ()))
