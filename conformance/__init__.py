"""Conformance suite for WCO e-CO exchange nodes (guide: docs/conformance.md)."""
