"""Supplier CSV feeds: encodings, column maps, validation and the drift guard."""
