"""Tests of the spec artefacts: protos, buf, generated files, docs."""
