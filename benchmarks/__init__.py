"""Performance benchmarks of the reference node (issue #6; docs/performance.md).

Each module is a script run with ``python -m benchmarks.<name>`` that prints
figures and a one-line summary. Nothing here is a test: pytest only collects
``tests/`` (``testpaths`` in pyproject.toml), and no benchmark asserts a time.
"""
