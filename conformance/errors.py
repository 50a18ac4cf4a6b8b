"""Errors of the conformance suite.

The command line catches only :class:`ConformanceError` and prints its
:meth:`~ConformanceError.diagnostics` as one clear line (docs/conformance.md).
"""

from __future__ import annotations

__all__ = [
    "ConformanceError",
    "EmbeddedNodeError",
    "EnvelopeVerificationError",
    "ExpectedFailuresError",
    "PkiError",
    "UsageError",
]


class ConformanceError(Exception):
    """Base class of every error the suite reports to its operator."""

    def diagnostics(self) -> str:
        """Return a one-line explanation for the operator.

        Returns:
            The message, without a traceback.
        """
        return str(self) or self.__class__.__name__


class UsageError(ConformanceError):
    """The command line was used wrongly."""


class PkiError(ConformanceError):
    """The suite PKI directory is missing, incomplete or unreadable."""


class EmbeddedNodeError(ConformanceError):
    """The embedded reference node could not be started or stopped."""


class ExpectedFailuresError(ConformanceError):
    """An expected-failures file is malformed."""


class EnvelopeVerificationError(ConformanceError):
    """An envelope received from the node under test does not verify.

    Raised by :func:`conformance.envelopes.verify_envelope` (spec section 5);
    a verifier never returns a bool.
    """
