"""stockguard core: domain, store, policy, Amazon gateway, engine and CLI."""
