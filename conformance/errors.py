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
    "PreflightError",
    "ReportDirError",
    "TargetLostError",
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


class ReportDirError(UsageError):
    """``--report-dir`` names a file or a folder that cannot be created or written."""


class PreflightError(ConformanceError):
    """The node under test or its adapter is not reachable as configured (exit code 4).

    The message names the cause and the file or flag to fix
    (docs/conformance.md "Preflight").
    """


class TargetLostError(BaseException):
    """The node under test stopped answering in the middle of the run.

    Derived from :class:`BaseException` on purpose: Hypothesis treats an ``Exception``
    raised by a property as a failing example and would spend the shrinking budget
    replaying it against a dead node; this one goes straight through to the plugin,
    which records the case as an error and ends the run as ERROR.
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
