"""What every handler receives: the state, the clock, the faults and the emulator's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from stockguard.core.clock import Clock
from stockguard.doubles.emulator.faults import Faults
from stockguard.doubles.emulator.ratelimit import RateLimiter
from stockguard.doubles.emulator.state import EmulatorState

URL_SECONDS = 300  # presigned URLs "expire after 5 minutes"


@dataclass
class EmulatorContext:
    """Shared by the HTTP handlers, the buyer simulation and the inspection API."""

    state: EmulatorState
    clock: Clock
    faults: Faults
    feed_processing_seconds: float = 2.0
    gzip_documents: bool = False  # serve result/report documents GZIP-compressed
    base_url: str = ""
    limiter: RateLimiter | None = None  # for limits beyond one per operation (feed types)

    def doc_url(self, doc_id: str) -> str:
        """The presigned-like URL of a document: it points back here and expires in 5 min."""
        expires = int((self.clock.now() + timedelta(seconds=URL_SECONDS)).timestamp())
        return f"{self.base_url}/_docs/{doc_id}?X-Amz-Expires={URL_SECONDS}&expires={expires}"
