"""Signed attestation of a conformance run (docs/conformance.md, "Signed attestation").

A run can vouch for its reports with ``attestation.json`` in the report folder: an in-toto
Statement v1 whose subjects are the report files (name relative to the report folder, SHA-256)
and whose predicate (type :data:`PREDICATE_TYPE`) says what was run and with which verdicts,
wrapped in a DSSE JSON envelope. The envelope is signed exactly as docs/spec.md section 5.5
signs an e-CO envelope: the signature is over ``PAE(payloadType, payload)`` (REQ-SIG-003),
ECDSA P-256/SHA-256 DER or Ed25519 (REQ-SIG-006), the key id is the SHA-256 of the leaf's
SubjectPublicKeyInfo (REQ-SIG-004), and the signer is an e-CO document signer (section 5.2)
whose chain travels with the signature. The signing and verifying code is the suite's own
(:func:`conformance.envelopes.sign_envelope`, :func:`conformance.offline.verify_signatures`);
this module only maps the JSON envelope to and from it.

A partner checks the file without rerunning anything with :func:`verify_attestation`
(``eco-conformance verify-attestation FILE --anchors PEM``): signer chain to the given anchors
(section 5.6 step 6), signature, payload type, statement layout, then every report file's
SHA-256. Every failure raises an :class:`~conformance.errors.AttestationError` subclass.

Nothing here uses pytest or gRPC.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from conformance import offline
from conformance.envelopes import sign_envelope
from conformance.errors import (
    AttestationDigestMismatchError,
    AttestationError,
    AttestationMalformedError,
    AttestationSignatureError,
    AttestationSignerUntrustedError,
    AttestationSubjectMissingError,
)
from conformance.pki import Credential, PrivateKey
from wco.eco.v1 import envelope_pb2

__all__ = [
    "ATTESTATION_FILE",
    "CHAIN_FIELD",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "AttestedFile",
    "VerifiedAttestation",
    "build_statement",
    "canonical_json",
    "load_signer",
    "summary_lines",
    "verify_attestation",
    "write_attestation",
]

#: ``_type`` of an in-toto Statement v1.
STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
#: ``predicateType`` of a conformance run attestation.
PREDICATE_TYPE: Final = "urn:wco:eco:conformance:run:v1"
#: DSSE ``payloadType`` of an in-toto statement.
PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"
#: File name of the attestation in the report folder.
ATTESTATION_FILE: Final = "attestation.json"
#: Key of a DSSE signature that carries the signer's chain, PEM strings, leaf first.
CHAIN_FIELD: Final = "certificate_chain_pem"

_MAX_CHAIN: Final = 4
_SHA256_HEX: Final = re.compile(r"^[0-9a-f]{64}$")
_URLSAFE_TO_STANDARD: Final = str.maketrans("-_", "+/")


@dataclass(frozen=True)
class AttestedFile:
    """One report file the attestation vouches for.

    Attributes:
        name: Its path relative to the report folder, ``/``-separated.
        sha256: Its lowercase hex SHA-256.
    """

    name: str
    sha256: str


@dataclass(frozen=True)
class VerifiedAttestation:
    """An attestation that passed :func:`verify_attestation`.

    Attributes:
        signer_uri: The signer's URI subject alternative name (REQ-PKI-002).
        signer_subject: The signer certificate's subject, RFC 4514.
        key_id: The signature's key id (REQ-SIG-004).
        statement: The in-toto statement as signed.
        predicate: Its predicate (what the run was and its verdicts).
        subjects: The report files whose SHA-256 was recomputed and matched.
    """

    signer_uri: str
    signer_subject: str
    key_id: str
    statement: Mapping[str, Any]
    predicate: Mapping[str, Any]
    subjects: tuple[AttestedFile, ...]


def canonical_json(value: Any) -> bytes:
    """Return the canonical JSON bytes that are signed: sorted keys, no spaces, UTF-8.

    Raises:
        AttestationError: The value is not JSON-serialisable (or holds NaN/Infinity).
    """
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise AttestationError(f"attestation statement is not JSON-serialisable: {exc}") from None
    return text.encode("utf-8")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _subject_name(path: Path, report_dir: Path | None) -> str:
    if report_dir is None:
        return path.name
    try:
        return path.resolve().relative_to(report_dir.resolve()).as_posix()
    except ValueError:
        raise AttestationError(
            f"report file {path} is not inside the report folder {report_dir}"
        ) from None


def build_statement(
    *,
    subjects: Sequence[Path],
    predicate: Mapping[str, Any],
    report_dir: Path | None = None,
) -> dict[str, Any]:
    """Build the in-toto Statement v1 of a run (one subject per report file).

    Args:
        subjects: The report files (paths as usual, relative to the working directory
            when relative).
        predicate: What the run was and its verdicts (docs/conformance.md lists the fields);
            any JSON-serialisable mapping.
        report_dir: The report folder subject names are relative to; without it a subject's
            name is its file name.

    Returns:
        ``{"_type", "subject": [{"name", "digest": {"sha256"}}], "predicateType",
        "predicate"}``, subjects sorted by name.

    Raises:
        AttestationError: A subject is unreadable, outside the report folder, named twice
            or the predicate is not JSON-serialisable.
    """
    entries: dict[str, str] = {}
    for subject in subjects:
        name = _subject_name(subject, report_dir)
        if name in entries:
            raise AttestationError(f"report file {name} is listed twice")
        try:
            entries[name] = _sha256_file(subject)
        except OSError as exc:
            raise AttestationError(f"cannot read report file {subject}: {exc.strerror}") from None
    if not entries:
        raise AttestationError("an attestation needs at least one report file")
    statement: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": name, "digest": {"sha256": entries[name]}} for name in sorted(entries)
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }
    canonical_json(statement)
    return statement


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signer(key_pem: bytes, chain_pem: bytes) -> Credential:
    """Load the signing key and its chain and check they belong together.

    A trailing self-issued certificate (the trust anchor) is dropped from the chain, as the
    envelope never carries the anchor (docs/spec.md section 5.5 step 5).

    Args:
        key_pem: The private key, unencrypted PEM (PKCS#8 or SEC1), P-256 or Ed25519.
        chain_pem: The signer certificate then its intermediates, PEM.

    Returns:
        The credential to sign with.

    Raises:
        AttestationError: The key or chain is unreadable, of an unsupported type, does not
            match, or the leaf is not an e-CO signer (REQ-PKI-002).
    """
    try:
        loaded = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise AttestationError("signing key is encrypted; give an unencrypted PEM key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise AttestationError("signing key is not a readable PEM private key") from None
    key: PrivateKey
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        key = loaded
    elif isinstance(loaded, ec.EllipticCurvePrivateKey):
        if not isinstance(loaded.curve, ec.SECP256R1):
            raise AttestationError(
                f"signing key is on curve {loaded.curve.name}; only P-256 and Ed25519 sign"
            )
        key = loaded
    else:
        raise AttestationError(
            f"signing key is a {type(loaded).__name__}; only P-256 and Ed25519 sign"
        )
    try:
        certificates = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise AttestationError("signer chain is not a readable PEM certificate bundle") from None
    if len(certificates) > 1 and certificates[-1].subject == certificates[-1].issuer:
        certificates = certificates[:-1]
    if len(certificates) > _MAX_CHAIN:
        raise AttestationError(f"signer chain holds more than {_MAX_CHAIN} certificates")
    leaf = certificates[0]
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        subject = leaf.subject.rfc4514_string()
        raise AttestationError(f"signing key does not match the chain's leaf certificate {subject}")
    try:
        offline.signer_identity(leaf)
    except offline.SignerUntrustedError as exc:
        raise AttestationError(f"the chain's leaf is not an e-CO signer: {exc}") from None
    return Credential(certificate=leaf, key=key, chain=tuple(certificates))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _envelope_json(envelope: envelope_pb2.Envelope) -> dict[str, Any]:
    signatures = []
    for signature in envelope.signatures:
        chain = [
            x509.load_der_x509_certificate(der)
            .public_bytes(serialization.Encoding.PEM)
            .decode("ascii")
            for der in signature.certificate_chain
        ]
        signatures.append(
            {"keyid": signature.key_id, "sig": _b64(signature.signature), CHAIN_FIELD: chain}
        )
    return {
        "payloadType": envelope.payload_type,
        "payload": _b64(envelope.payload),
        "signatures": signatures,
    }


def write_attestation(
    *,
    report_dir: Path,
    subjects: Sequence[Path],
    predicate: Mapping[str, Any],
    key_pem: bytes,
    chain_pem: bytes,
) -> Path:
    """Sign the run's statement and write ``attestation.json`` in the report folder.

    The statement's canonical JSON (:func:`canonical_json`) is the DSSE payload; the
    signature is over its PAE (REQ-SIG-003) with the key's algorithm (REQ-SIG-006).

    Args:
        report_dir: The report folder; subject names are relative to it.
        subjects: The report files to vouch for, inside ``report_dir``.
        predicate: What the run was and its verdicts (JSON-serialisable).
        key_pem: The signer's private key, PEM.
        chain_pem: The signer's certificate and intermediates, PEM.

    Returns:
        The path of the written file.

    Raises:
        AttestationError: Unusable key or chain, unreadable subject, or a subject that is
            the attestation itself.
    """
    signer = load_signer(key_pem, chain_pem)
    statement = build_statement(subjects=subjects, predicate=predicate, report_dir=report_dir)
    if any(entry["name"] == ATTESTATION_FILE for entry in statement["subject"]):
        raise AttestationError(f"{ATTESTATION_FILE} cannot vouch for itself")
    envelope = sign_envelope(PAYLOAD_TYPE, canonical_json(statement), [signer])
    path = report_dir / ATTESTATION_FILE
    partial = report_dir / (ATTESTATION_FILE + ".partial")
    text = json.dumps(_envelope_json(envelope), indent=2, sort_keys=True) + "\n"
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise AttestationError(f"cannot write {path}: {exc.strerror}") from None
    return path


def _b64decode(value: object, what: str) -> bytes:
    """Decode standard or URL-safe base64, as DSSE allows either."""
    if not isinstance(value, str):
        raise AttestationMalformedError(f"attestation {what} is not a base64 string")
    try:
        return base64.b64decode(value.translate(_URLSAFE_TO_STANDARD), validate=True)
    except (binascii.Error, ValueError):
        raise AttestationMalformedError(f"attestation {what} is not valid base64") from None


def _algorithm_of(leaf: x509.Certificate) -> envelope_pb2.SignatureAlgorithm:
    key = leaf.public_key()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return envelope_pb2.SIGNATURE_ALGORITHM_ED25519
    if isinstance(key, ec.EllipticCurvePublicKey):
        return envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256
    return envelope_pb2.SIGNATURE_ALGORITHM_UNSPECIFIED


def _parse_signature(index: int, raw: object) -> tuple[envelope_pb2.Signature, x509.Certificate]:
    if not isinstance(raw, dict):
        raise AttestationMalformedError(f"attestation signature {index} is not an object")
    key_id = raw.get("keyid", "")
    chain = raw.get(CHAIN_FIELD)
    if not isinstance(key_id, str):
        raise AttestationMalformedError(f"attestation signature {index} keyid is not a string")
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise AttestationMalformedError(
            f"attestation signature {index} has no {CHAIN_FIELD} list of PEM strings"
        )
    certificates = []
    for position, pem in enumerate(chain):
        try:
            certificates.append(x509.load_pem_x509_certificate(pem.encode("utf-8")))
        except ValueError:
            raise AttestationMalformedError(
                f"attestation signature {index} {CHAIN_FIELD}[{position}] is not a PEM certificate"
            ) from None
    signature = envelope_pb2.Signature(
        algorithm=_algorithm_of(certificates[0]),
        key_id=key_id,
        signature=_b64decode(raw.get("sig"), f"signature {index} sig"),
        certificate_chain=[c.public_bytes(serialization.Encoding.DER) for c in certificates],
    )
    return signature, certificates[0]


def _parse_envelope(document: object) -> tuple[envelope_pb2.Envelope, list[x509.Certificate]]:
    if not isinstance(document, dict):
        raise AttestationMalformedError("attestation is not a DSSE envelope (a JSON object)")
    payload_type = document.get("payloadType")
    if not isinstance(payload_type, str):
        raise AttestationMalformedError("attestation payloadType is missing")
    payload = _b64decode(document.get("payload"), "payload")
    raw_signatures = document.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise AttestationMalformedError("attestation carries no signatures")
    envelope = envelope_pb2.Envelope(payload_type=payload_type, payload=payload)
    leaves = []
    for index, raw in enumerate(raw_signatures):
        signature, leaf = _parse_signature(index, raw)
        envelope.signatures.append(signature)
        leaves.append(leaf)
    return envelope, leaves


def _verify_signer(
    envelope: envelope_pb2.Envelope,
    leaves: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
) -> offline.VerifiedSigner:
    # The anchors given are trusted for the country each leaf's URI names; a leaf that breaks
    # the signer profile gets no anchor and is refused by verify_signatures in its own order.
    trust: dict[str, Sequence[x509.Certificate]] = {}
    for leaf in leaves:
        try:
            trust[offline.signer_identity(leaf).country] = anchors
        except offline.SignerUntrustedError:
            continue
    try:
        return offline.verify_signatures(
            envelope, trust_anchors=trust, at=at, accepted_types=frozenset({PAYLOAD_TYPE})
        )
    except offline.PayloadTypeUnsupportedError:
        raise AttestationMalformedError(
            f"attestation payloadType is {envelope.payload_type!r}, not {PAYLOAD_TYPE!r}"
        ) from None
    except offline.SignatureInvalidError as exc:
        raise AttestationSignatureError(f"attestation signature invalid: {exc}") from None
    except offline.EnvelopeRejectedError as exc:
        raise AttestationSignerUntrustedError(
            f"attestation signer untrusted ({exc.reason}): {exc}"
        ) from None


def _subject_entry(index: int, raw: object) -> AttestedFile:
    if not isinstance(raw, dict):
        raise AttestationMalformedError(f"statement subject {index} is not an object")
    name = raw.get("name")
    digest = raw.get("digest")
    if not isinstance(name, str) or not name:
        raise AttestationMalformedError(f"statement subject {index} has no name")
    parts = PurePosixPath(name).parts
    if (
        PurePosixPath(name).is_absolute()
        or "\\" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise AttestationMalformedError(f"statement subject name {name!r} leaves the report folder")
    sha256 = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(sha256, str) or not _SHA256_HEX.match(sha256):
        raise AttestationMalformedError(f"statement subject {name} has no hex sha256 digest")
    return AttestedFile(name=name, sha256=sha256)


def _parse_statement(payload: bytes) -> tuple[dict[str, Any], tuple[AttestedFile, ...]]:
    try:
        statement = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AttestationMalformedError("attestation payload is not a JSON statement") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise AttestationMalformedError(f"attestation payload is not an {STATEMENT_TYPE} statement")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise AttestationMalformedError(
            f"statement predicateType is {statement.get('predicateType')!r}, not {PREDICATE_TYPE!r}"
        )
    if not isinstance(statement.get("predicate"), dict):
        raise AttestationMalformedError("statement predicate is not an object")
    raw_subjects = statement.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise AttestationMalformedError("statement names no subject")
    subjects = tuple(_subject_entry(i, raw) for i, raw in enumerate(raw_subjects))
    names = [s.name for s in subjects]
    if len(set(names)) != len(names):
        raise AttestationMalformedError("statement names a report file twice")
    return statement, subjects


def _check_subjects(subjects: Sequence[AttestedFile], report_dir: Path) -> None:
    for subject in subjects:
        path = report_dir / subject.name
        try:
            actual = _sha256_file(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise AttestationSubjectMissingError(
                f"report file {subject.name} is missing from {report_dir}"
            ) from None
        except OSError as exc:
            raise AttestationSubjectMissingError(
                f"cannot read report file {subject.name} in {report_dir}: {exc.strerror}"
            ) from None
        if actual != subject.sha256:
            raise AttestationDigestMismatchError(
                f"report file {subject.name} differs from the attested one "
                f"(SHA-256 {actual}, attested {subject.sha256})"
            )


def _load_anchors(anchors_pem: bytes) -> list[x509.Certificate]:
    try:
        anchors = x509.load_pem_x509_certificates(anchors_pem)
    except ValueError:
        raise AttestationError("trust anchors are not a readable PEM certificate bundle") from None
    return anchors


def verify_attestation(
    path: Path,
    *,
    anchors_pem: bytes,
    report_dir: Path | None = None,
    at: dt.datetime | None = None,
) -> VerifiedAttestation:
    """Verify an attestation and the report files it names.

    In order: the file is a DSSE JSON envelope; the signatures and signer pass docs/spec.md
    section 5.6 steps 1 to 6 (payload type ``application/vnd.in-toto+json``, PAE signature,
    key id, signer profile, validity at ``at``, path validation to ``anchors_pem``, which are
    trusted for the country the signer's URI names); the payload is this suite's in-toto
    statement; every subject file's SHA-256 equals the attested one.

    Args:
        path: The ``attestation.json`` file.
        anchors_pem: PEM trust anchors of the administration expected to have signed.
        report_dir: Where the report files are (default: the attestation's folder).
        at: Verification time, timezone-aware (default: now).

    Returns:
        What the attestation vouches for.

    Raises:
        AttestationMalformedError: Not an envelope, wrong payload type, bad statement.
        AttestationSignatureError: No signature verifies.
        AttestationSignerUntrustedError: The signer does not pass section 5.2.
        AttestationSubjectMissingError: A report file is missing.
        AttestationDigestMismatchError: A report file was changed (the error names it).
        AttestationError: The attestation or the anchors cannot be read.
        ValueError: ``at`` is naive.
    """
    when = at if at is not None else dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise ValueError("verify_attestation needs a timezone-aware 'at'")
    anchors = _load_anchors(anchors_pem)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AttestationError(f"cannot read attestation {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AttestationMalformedError(f"attestation {path} is not UTF-8 JSON") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise AttestationMalformedError(f"attestation {path} is not JSON") from None
    envelope, leaves = _parse_envelope(document)
    signer = _verify_signer(envelope, leaves, anchors, when)
    statement, subjects = _parse_statement(envelope.payload)
    _check_subjects(subjects, report_dir if report_dir is not None else path.parent)
    return VerifiedAttestation(
        signer_uri=signer.identity.uri,
        signer_subject=signer.certificate.subject.rfc4514_string(),
        key_id=signer.key_id,
        statement=statement,
        predicate=statement["predicate"],
        subjects=subjects,
    )


def _field(mapping: object, key: str) -> str:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def summary_lines(verified: VerifiedAttestation) -> list[str]:
    """Return the lines ``eco-conformance verify-attestation`` prints for a valid attestation.

    Predicate fields the runner did not fill are shown as ``-``.
    """
    p = dict(verified.predicate)
    node = p.get("node")
    info = node.get("node_info") if isinstance(node, dict) else None
    implementation = " ".join(
        part
        for part in (_field(info, "implementation_name"), _field(info, "implementation_version"))
        if part != "-"
    )
    lines = [
        f"signed by {verified.signer_uri} ({verified.signer_subject})",
        f"key id {verified.key_id}",
        f"suite {_field(p, 'suite_version')}, spec {_field(p, 'spec_version')}, "
        f"{_field(p, 'mode')} mode, target {_field(p, 'target')}",
        f"node {_field(node, 'country')}: {implementation or '-'}, "
        f"TLS certificate SHA-256 {_field(node, 'tls_certificate_sha256')}",
        f"seed {_field(p, 'seed')}, {_field(p, 'examples')} examples",
        f"started {_field(p, 'started')}, finished {_field(p, 'finished')}",
    ]
    profiles = p.get("profiles")
    if isinstance(profiles, dict):
        lines += [f"profile {name}: {_field(profiles, name)}" for name in profiles]
    counts = p.get("counts")
    detail = (
        " (" + ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) + ")"
        if isinstance(counts, dict) and counts
        else ""
    )
    lines.append(f"run verdict: {_field(p, 'verdict')}{detail}")
    expected = p.get("expected_failures")
    if isinstance(expected, dict):
        lines.append(
            f"expected failures: {_field(expected, 'file')} (SHA-256 {_field(expected, 'sha256')})"
        )
    else:
        lines.append("expected failures: none")
    lines.append(f"replay: {_field(p, 'command')}")
    names = ", ".join(s.name for s in verified.subjects)
    lines.append(f"{len(verified.subjects)} report files verified: {names}")
    return lines
