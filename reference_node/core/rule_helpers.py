"""Formats, limits and warnings shared by the field rules and their fast path.

Both :mod:`reference_node.core.validation` (the rules one by one, naming the
violations) and :mod:`reference_node.core.fast_rules` (every rule at once,
answering only "no rule is broken") check against these, so they live here
and neither of those modules imports the other's internals:

* the certificate number and authority id formats (docs/spec.md section 4,
  REQ-CO-004, REQ-CO-014);
* the string rules of REQ-CO-011 (length and control characters);
* the one-day tolerance of the date rules (REQ-CO-006);
* the shape of a business-rule warning (REQ-CO-015).
"""

from __future__ import annotations

import datetime as dt
import re

from wco.eco.v1 import envelope_pb2

__all__ = [
    "AUTHORITY_ID_RE",
    "CERTIFICATE_NUMBER_RE",
    "CONTROL_RE",
    "MAX_STRING",
    "ONE_DAY",
    "warning_finding",
]

CERTIFICATE_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/.\-]{0,34}")
AUTHORITY_ID_RE = re.compile(r"[a-z0-9][a-z0-9\-]{0,63}")
# REQ-CO-011: characters no string may contain, and the longest string allowed.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_STRING = 4096
# REQ-CO-006: dates may be up to one day later than the reference date.
ONE_DAY = dt.timedelta(days=1)


def warning_finding(field: str, code: str, message: str) -> envelope_pb2.Finding:
    """A business-rule warning that does not prevent acceptance (REQ-CO-015)."""
    return envelope_pb2.Finding(
        severity=envelope_pb2.FINDING_SEVERITY_WARNING,
        area=envelope_pb2.FINDING_AREA_BUSINESS_RULE,
        field=field,
        code=code,
        message=message,
    )
