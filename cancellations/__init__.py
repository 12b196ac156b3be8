"""Orders that hit a stock-out: reason routing, planned idempotent cancellations, the rate."""
