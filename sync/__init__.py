"""The sync engine: the planner, the policy, the pusher and the read-back, one pass at a time,
and its runners (the scheduler, the distributed workers). Built on the core only."""
