"""Supplier stock: page adapters, fetching and CSV feeds, each answered as an Observation."""
