"""The seller's catalogue CSV, read and checked at the edge (`listings import`, the demo).

It joins the supplier side (feed code rules, the adapter registry, the address policy) to the
store, so it lives with the composition root: importer.py streams the file, columns.py reads
the header (English or Japanese names), rows.py each row, sources.py each source cell.
"""
