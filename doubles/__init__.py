"""stockguard.doubles."""
