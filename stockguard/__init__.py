"""stockguard: one import root for its packages.

The folders stay where they are in the repository (core/, sync/, suppliers/,
cancellations/, doubles/, cli/); ``stockguard/sync`` and the others are links to them, so
the distribution, the import root, the entry point and the loggers all say ``stockguard``.
"""
