"""Integration tests of the reference node's adapters (store, server, sender, CLI)."""
