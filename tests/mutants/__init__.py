"""Deliberately faulty variants of the reference node (docs/conformance.md).

Each variant is one named change to the reference node's behaviour, applied
at process start by :mod:`tests.mutants.launch` before the node's own command
line runs. The conformance suite must fail against every one of them.
"""
