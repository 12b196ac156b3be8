"""stockguard: one import root for its three packages.

The folders stay where they are in the repository (sync/, suppliers/, cancellations/);
``stockguard/sync`` and the others are links to them, so the distribution, the import
root, the entry point and the loggers all say ``stockguard``.
"""
