"""Signed attestation of a run: writing, verifying, every tampering, the CLI."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from conformance import attestation, envelopes, offline
from conformance.cli import main
from conformance.errors import (
    AttestationDigestMismatchError,
    AttestationError,
    AttestationMalformedError,
    AttestationSignatureError,
    AttestationSignerUntrustedError,
    AttestationSubjectMissingError,
    ConformanceError,
)
from conformance.pki import Credential, SuitePki, generate_pki

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime.now(dt.UTC)
REPORT_FILES = ("report.json", "report.html", "junit.xml", "node.log")
PREDICATE: dict[str, Any] = {
    "suite_version": "0.1.0",
    "spec_version": "1.0.0",
    "mode": "embedded",
    "target": "127.0.0.1:40001",
    "node": {
        "country": "XB",
        "tls_certificate_sha256": "ab" * 32,
        "node_info": {
            "implementation_name": "eco-reference-node",
            "implementation_version": "0.1.0",
            "conformance_profiles": ["core", "lifecycle"],
        },
    },
    "profiles": {"core": "PASS", "lifecycle": "FAIL"},
    "verdict": "FAIL",
    "counts": {"passed": 41, "failed": 1, "skipped": 2},
    "seed": 1234,
    "examples": 25,
    "started": "2026-03-01T12:00:00+00:00",
    "finished": "2026-03-01T12:00:31+00:00",
    "expected_failures": None,
    "command": "eco-conformance run --seed 1234 --examples 25",
}


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


@pytest.fixture(params=["ecdsa", "ed25519"])
def signer(request: pytest.FixtureRequest, pki: SuitePki) -> Credential:
    if request.param == "ecdsa":
        return pki.country("XB").authority
    return pki.negative_signers["ed25519-signer"]


def _anchors(pki: SuitePki, signer: Credential) -> bytes:
    return pki.country(offline.signer_identity(signer.certificate).country).anchors_pem()


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in REPORT_FILES:
        (folder / name).write_text(f"{name} of the run\n", encoding="utf-8")
    return folder


def _write(reports: Path, signer: Credential) -> Path:
    return attestation.write_attestation(
        report_dir=reports,
        subjects=[reports / name for name in REPORT_FILES],
        predicate=PREDICATE,
        key_pem=signer.key_pem(),
        chain_pem=signer.chain_pem(),
    )


def _envelope(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _statement(path: Path) -> dict[str, Any]:
    statement: dict[str, Any] = json.loads(base64.b64decode(_envelope(path)["payload"]))
    return statement


def _resign(path: Path, statement: dict[str, Any], signer: Credential) -> None:
    """Replace the attestation by a correctly signed one holding ``statement``."""
    signed = envelopes.sign_envelope(
        attestation.PAYLOAD_TYPE, attestation.canonical_json(statement), [signer]
    )
    document = _envelope(path)
    document["payload"] = base64.b64encode(signed.payload).decode()
    document["signatures"][0]["sig"] = base64.b64encode(signed.signatures[0].signature).decode()
    path.write_text(json.dumps(document), encoding="utf-8")


def test_round_trip(reports: Path, pki: SuitePki, signer: Credential) -> None:
    path = _write(reports, signer)
    assert path == reports / "attestation.json"
    verified = attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))
    assert verified.signer_uri == offline.signer_identity(signer.certificate).uri
    assert verified.signer_subject == signer.certificate.subject.rfc4514_string()
    assert verified.key_id == offline.key_id(signer.certificate)
    assert verified.predicate == PREDICATE
    assert [s.name for s in verified.subjects] == sorted(REPORT_FILES)
    for subject in verified.subjects:
        digest = hashlib.sha256((reports / subject.name).read_bytes()).hexdigest()
        assert subject.sha256 == digest


def test_statement_is_in_toto_v1(reports: Path, signer: Credential) -> None:
    statement = _statement(_write(reports, signer))
    assert set(statement) == {"_type", "subject", "predicateType", "predicate"}
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "urn:wco:eco:conformance:run:v1"
    assert statement["predicate"] == PREDICATE
    assert statement["subject"][0] == {
        "name": "junit.xml",
        "digest": {"sha256": hashlib.sha256(b"junit.xml of the run\n").hexdigest()},
    }


def test_envelope_is_dsse_over_the_spec_pae(reports: Path, signer: Credential) -> None:
    document = _envelope(_write(reports, signer))
    assert document["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(document["payload"])
    statement = json.loads(payload)
    assert payload == json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    assert payload.startswith(b'{"_type":"https://in-toto.io/Statement/v1","predicate":{')
    [signature] = document["signatures"]
    assert signature["keyid"] == signer.key_id
    chain = [
        x509.load_pem_x509_certificate(pem.encode()) for pem in signature[attestation.CHAIN_FIELD]
    ]
    assert chain == list(signer.chain)
    message = envelopes.pae("application/vnd.in-toto+json", payload)
    sig = base64.b64decode(signature["sig"])
    public = chain[0].public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        assert len(sig) == 64
        public.verify(sig, message)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(sig, message, ec.ECDSA(hashes.SHA256()))


def test_anchor_in_the_chain_is_dropped(reports: Path, pki: SuitePki) -> None:
    xb = pki.country("XB")
    path = attestation.write_attestation(
        report_dir=reports,
        subjects=[reports / "report.json"],
        predicate={},
        key_pem=xb.node_signer.key_pem(),
        chain_pem=xb.node_signer.chain_pem() + xb.anchors_pem(),
    )
    assert len(_envelope(path)["signatures"][0][attestation.CHAIN_FIELD]) == 2
    verified = attestation.verify_attestation(path, anchors_pem=xb.anchors_pem())
    assert verified.signer_uri == "urn:wco:eco:node:XB"


def test_changed_report_file_names_the_file(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    (reports / "report.html").write_text("report.html of another run\n", encoding="utf-8")
    with pytest.raises(AttestationDigestMismatchError, match=r"report file report\.html differs"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_removed_report_file(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    (reports / "node.log").unlink()
    with pytest.raises(AttestationSubjectMissingError, match=r"report file node\.log is missing"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_changed_statement_breaks_the_signature(
    reports: Path, pki: SuitePki, signer: Credential
) -> None:
    path = _write(reports, signer)
    document = _envelope(path)
    statement = _statement(path)
    statement["predicate"]["verdict"] = "PASS"
    document["payload"] = base64.b64encode(attestation.canonical_json(statement)).decode()
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AttestationSignatureError, match="signature invalid"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_changed_signature(reports: Path, pki: SuitePki, signer: Credential) -> None:
    path = _write(reports, signer)
    document = _envelope(path)
    sig = bytearray(base64.b64decode(document["signatures"][0]["sig"]))
    sig[-1] ^= 0x01
    document["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AttestationSignatureError, match="signature invalid"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_changed_keyid_breaks_the_signature(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    document = _envelope(path)
    document["signatures"][0]["keyid"] = "00" * 32
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AttestationSignatureError, match="key_id"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_chain_under_another_root(reports: Path, pki: SuitePki) -> None:
    path = _write(reports, pki.country("XB").authority)
    with pytest.raises(AttestationSignerUntrustedError, match="SIGNER_UNTRUSTED"):
        attestation.verify_attestation(path, anchors_pem=pki.country("XC").anchors_pem())


def test_signer_under_an_untrusted_root(reports: Path, pki: SuitePki) -> None:
    path = _write(reports, pki.negative_signers["untrusted-root-signer"])
    with pytest.raises(AttestationSignerUntrustedError, match="path validation failed"):
        attestation.verify_attestation(path, anchors_pem=pki.country("XA").anchors_pem())


def test_expired_signer(reports: Path, pki: SuitePki) -> None:
    path = _write(reports, pki.negative_signers["expired-signer"])
    with pytest.raises(AttestationSignerUntrustedError, match="SIGNER_EXPIRED"):
        attestation.verify_attestation(path, anchors_pem=pki.country("XA").anchors_pem())


def test_verification_time_is_a_parameter(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    later = signer.certificate.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(AttestationSignerUntrustedError, match="SIGNER_EXPIRED"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer), at=later)


def test_changed_payload_type(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    document = _envelope(path)
    document["payloadType"] = "application/json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AttestationMalformedError, match="payloadType"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(predicateType="https://slsa.dev/provenance/v1"), "predicateType"),
        (lambda s: s.update(_type="https://in-toto.io/Statement/v0.1"), "statement"),
        (lambda s: s["subject"][0].update(name="../outside.txt"), "leaves the report folder"),
        (lambda s: s["subject"][0].update(name="/etc/passwd"), "leaves the report folder"),
        (lambda s: s["subject"][0].update(digest={"sha512": "00"}), "sha256"),
        (lambda s: s["subject"].append(s["subject"][0]), "twice"),
        (lambda s: s.update(subject=[]), "no subject"),
        (lambda s: s.update(predicate=[1]), "predicate"),
    ],
    ids=[
        "predicate-type",
        "statement-type",
        "dot-dot",
        "absolute",
        "no-sha256",
        "duplicate",
        "no-subject",
        "predicate-list",
    ],
)
def test_signed_but_malformed_statement(
    reports: Path, pki: SuitePki, change: Any, message: str
) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    statement = _statement(path)
    change(statement)
    _resign(path, statement, signer)
    with pytest.raises(AttestationMalformedError, match=message):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not a DSSE envelope"),
        ('{"payloadType": "application/vnd.in-toto+json", "payload": "%%%"}', "base64"),
        (
            '{"payloadType": "application/vnd.in-toto+json", "payload": "", "signatures": []}',
            "no signatures",
        ),
    ],
    ids=["not-json", "not-object", "bad-base64", "no-signature"],
)
def test_malformed_envelope(tmp_path: Path, pki: SuitePki, text: str, message: str) -> None:
    path = tmp_path / "attestation.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AttestationMalformedError, match=message):
        attestation.verify_attestation(path, anchors_pem=pki.country("XB").anchors_pem())


def test_garbled_chain_in_the_envelope(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    document = _envelope(path)
    document["signatures"][0][attestation.CHAIN_FIELD][0] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AttestationMalformedError, match="not a PEM certificate"):
        attestation.verify_attestation(path, anchors_pem=_anchors(pki, signer))


def test_reports_moved_elsewhere(reports: Path, tmp_path: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    received = tmp_path / "received"
    shutil.copytree(reports, received)
    moved = shutil.move(str(path), str(tmp_path / "evidence.json"))
    verified = attestation.verify_attestation(
        Path(moved), anchors_pem=_anchors(pki, signer), report_dir=received
    )
    assert len(verified.subjects) == len(REPORT_FILES)
    with pytest.raises(AttestationSubjectMissingError):
        attestation.verify_attestation(Path(moved), anchors_pem=_anchors(pki, signer))


def test_key_not_matching_the_chain(reports: Path, pki: SuitePki) -> None:
    xb = pki.country("XB")
    with pytest.raises(AttestationError, match="does not match the chain's leaf") as caught:
        attestation.write_attestation(
            report_dir=reports,
            subjects=[reports / "report.json"],
            predicate=PREDICATE,
            key_pem=xb.node_signer.key_pem(),
            chain_pem=xb.authority.chain_pem(),
        )
    assert isinstance(caught.value, ConformanceError)
    assert not (reports / "attestation.json").exists()


@pytest.mark.parametrize(
    ("key", "chain", "message"),
    [
        (b"garbage", None, "not a readable PEM private key"),
        (None, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "chain"),
        (None, b"", "chain"),
        (ec.generate_private_key(ec.SECP384R1()), None, "secp384r1"),
        ("no-signing-usage", None, "not an e-CO signer"),
    ],
    ids=["garbled-key", "garbled-chain", "empty-chain", "p384-key", "no-signing-usage"],
)
def test_unusable_signing_material(
    reports: Path, pki: SuitePki, key: Any, chain: bytes | None, message: str
) -> None:
    authority = pki.country("XB").authority
    key_pem, chain_pem = authority.key_pem(), authority.chain_pem()
    if isinstance(key, bytes):
        key_pem = key
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        key_pem = Credential(certificate=authority.certificate, key=key, chain=()).key_pem()
    elif key == "no-signing-usage":
        wrong = pki.negative_signers["wrong-key-usage-signer"]
        key_pem, chain_pem = wrong.key_pem(), wrong.chain_pem()
    if chain is not None:
        chain_pem = chain
    with pytest.raises(AttestationError, match=message):
        attestation.write_attestation(
            report_dir=reports,
            subjects=[reports / "report.json"],
            predicate=PREDICATE,
            key_pem=key_pem,
            chain_pem=chain_pem,
        )


def test_subject_outside_the_report_folder(reports: Path, tmp_path: Path, pki: SuitePki) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x", encoding="utf-8")
    with pytest.raises(AttestationError, match="not inside the report folder"):
        attestation.build_statement(subjects=[outside], predicate={}, report_dir=reports)


def test_predicate_must_be_json(reports: Path) -> None:
    with pytest.raises(AttestationError, match="JSON-serialisable"):
        attestation.build_statement(
            subjects=[reports / "report.json"], predicate={"when": NOW}, report_dir=reports
        )


def test_attestation_cannot_vouch_for_itself(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    (reports / "attestation.json").write_text("{}", encoding="utf-8")
    with pytest.raises(AttestationError, match="cannot vouch for itself"):
        attestation.write_attestation(
            report_dir=reports,
            subjects=[reports / "attestation.json"],
            predicate={},
            key_pem=signer.key_pem(),
            chain_pem=signer.chain_pem(),
        )


def test_naive_verification_time_is_refused(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    with pytest.raises(ValueError, match="timezone-aware"):
        attestation.verify_attestation(
            path, anchors_pem=_anchors(pki, signer), at=dt.datetime(2026, 3, 1)
        )


def test_summary_names_what_it_vouches_for(reports: Path, pki: SuitePki) -> None:
    signer = pki.country("XB").authority
    verified = attestation.verify_attestation(
        _write(reports, signer), anchors_pem=_anchors(pki, signer)
    )
    text = "\n".join(attestation.summary_lines(verified))
    for expected in (
        "urn:wco:eco:authority:XB:xb-customs",
        "suite 0.1.0, spec 1.0.0",
        "node XB: eco-reference-node 0.1.0",
        "seed 1234",
        "started 2026-03-01T12:00:00+00:00, finished 2026-03-01T12:00:31+00:00",
        "profile core: PASS",
        "profile lifecycle: FAIL",
        "run verdict: FAIL (1 failed, 41 passed, 2 skipped)",
        "expected failures: none",
        "4 report files verified",
    ):
        assert expected in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "verify-attestation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_verifies_and_refuses_a_changed_file(
    reports: Path, tmp_path: Path, pki: SuitePki
) -> None:
    signer = pki.country("XB").authority
    path = _write(reports, signer)
    anchors = tmp_path / "xb-anchors.pem"
    anchors.write_bytes(pki.country("XB").anchors_pem())
    done = _cli(str(path), "--anchors", str(anchors))
    assert done.returncode == 0, done.stderr
    assert "signed by urn:wco:eco:authority:XB:xb-customs" in done.stdout
    assert "run verdict: FAIL" in done.stdout
    assert "4 report files verified" in done.stdout
    (reports / "report.json").write_text('{"verdict": "PASS"}', encoding="utf-8")
    done = _cli(str(path), "--anchors", str(anchors))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: report file report.json differs")


def test_cli_unreadable_anchors_exit_1(
    reports: Path, tmp_path: Path, pki: SuitePki, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(reports, pki.country("XB").authority)
    code = main(["verify-attestation", str(path), "--anchors", str(tmp_path / "missing.pem")])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: cannot read trust anchors")


def test_cli_without_anchors_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-attestation", "attestation.json"]) == 2
    assert "--anchors" in capsys.readouterr().err
