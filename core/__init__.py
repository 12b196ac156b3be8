"""stockguard.core."""
