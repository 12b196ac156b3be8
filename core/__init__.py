"""The shared core: the vocabulary every package speaks (domain, errors, clock, config,
i18n), the store (tables and queries) and the Amazon client (the SP-API gateway).

It imports no other stockguard package: the engine (sync), the suppliers, the cancellations,
the test doubles and the CLI all build on it.
"""
