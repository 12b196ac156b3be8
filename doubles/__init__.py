"""The test doubles: the SP-API emulator, the demo shop and the fake Rakuten/Yahoo item APIs.

Real HTTP servers on loopback that answer like the real services do (checked against
Amazon's models and the shops' markup); the demo and the tests run against them. Nothing
in the core, the engine, the suppliers or the cancellations imports them: only the CLI's
demo and the tests do.
"""
