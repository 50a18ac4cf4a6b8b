"""Errors of the conformance suite.

The command line catches only :class:`ConformanceError` and prints its
:meth:`~ConformanceError.diagnostics` as one clear line (docs/conformance.md).
"""

from __future__ import annotations

__all__ = [
    "AttestationDigestMismatchError",
    "AttestationError",
    "AttestationMalformedError",
    "AttestationSignatureError",
    "AttestationSignerUntrustedError",
    "AttestationSubjectMissingError",
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


class AttestationError(ConformanceError):
    """A signed attestation of a run cannot be written or does not verify.

    Raised as such by :func:`conformance.attestation.write_attestation` for a key or chain
    that is unreadable, of an unsupported type or does not match; the verifier
    (:func:`conformance.attestation.verify_attestation`) raises the subclasses below and
    never returns a bool.
    """


class AttestationMalformedError(AttestationError):
    """The attestation file is not a DSSE envelope holding this suite's in-toto statement."""


class AttestationSignatureError(AttestationError):
    """No signature of the attestation verifies over its PAE (REQ-SIG-003..006 applied)."""


class AttestationSignerUntrustedError(AttestationError):
    """The attestation's signer does not pass section 5.2 against the given anchors."""


class AttestationSubjectMissingError(AttestationError):
    """A report file the attestation names is not in the report folder."""


class AttestationDigestMismatchError(AttestationError):
    """A report file's SHA-256 differs from the one the attestation vouches for."""
