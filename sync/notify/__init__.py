"""What stockguard tells the seller: one line per action, and alerts batched into digests.

``events`` turns the reports the engine, the pusher and the cancellations already return
into ``Event`` lines; ``watch`` turns running tallies (supplier hosts, the cancellation
rate) into events only when something changes; ``digest`` batches events into at most one
message per interval; ``sender`` delivers a message through Apprise.
"""
