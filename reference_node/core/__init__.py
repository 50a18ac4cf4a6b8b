"""Pure protocol core of the reference node (docs/spec.md; ADR 0001).

No gRPC, no SQL and no clock live here: every function takes the time it
needs as a parameter, and every verifier raises an
:class:`~reference_node.core.errors.EcoError` subclass instead of returning
a bool.
"""
