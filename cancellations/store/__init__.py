"""The cancellations' own tables and queries: the mail ledger and the cancellation plan.

They sit on the store's one ``metadata`` (core/store) beside the tables they join (orders);
the migrations that create them are the store's (core/store/migrations.py).
"""
