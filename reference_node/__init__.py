"""Reference node of the WCO e-CO exchange protocol (spec: docs/spec.md)."""
