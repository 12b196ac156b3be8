"""stockguard.cancellations.store."""
