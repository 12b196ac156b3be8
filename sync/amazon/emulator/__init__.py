"""A local Selling Partner API server for the demo and the tests (127.0.0.1, ephemeral port)."""
