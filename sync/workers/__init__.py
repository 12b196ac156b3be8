"""The distributed runner: one dispatcher, any number of worker processes, on procrastinate.

With the store on PostgreSQL, `stockguard run --workers` is the dispatcher and
`stockguard worker` the workers (any number, on any machine sharing the database):

* the dispatcher's engine (``dispatch.DispatchingEngine``) asks the planner for the due page
  sources, riskiest first, groups them by supplier host and defers one ``HostBatch`` job per
  host (``lock`` and ``queueing_lock`` on the host: one batch checked and one waiting per host,
  cluster-wide), priority from the batch's risk;
* a worker (``batch.BatchRunner``) checks a batch at the host's politeness limit and records
  the observations; the dispatcher's next pass decides the listings they touched (the decision
  queue sees observations stored by other processes) and pushes through the outbox, holding
  the seller account's lock (``locks.AccountLock``), so decisions and pushes stay exactly-once;
* a killed worker's batch stays ``doing`` until the dispatcher's stalled-job sweep (worker
  heartbeats) retries it.

The job tables are procrastinate's own (``procrastinate_*``), created in the store's schema
on first use (``jobs_app.ensure_schema``). Nothing here imports the supplier package: the
worker gets its checker from the CLI, like the engine.
"""
