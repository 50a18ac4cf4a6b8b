"""The static test vectors: they regenerate identically and the offline verifier agrees.

docs/conformance.md "Test vectors"; the vectors cover docs/spec.md section 5.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conformance import offline, vectors_gen
from wco.eco.v1 import envelope_pb2

VECTORS = vectors_gen.DEFAULT_OUT


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_committed_vectors_regenerate_identically(tmp_path: Path) -> None:
    vectors_gen.main(["--out", str(tmp_path)])
    committed = _tree(VECTORS)
    regenerated = _tree(tmp_path)
    assert sorted(committed) == sorted(regenerated)
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert changed == []


def test_index_lists_every_vector_directory() -> None:
    index = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))
    listed = {entry["name"] for entry in index["vectors"]}
    directories = {path.name for path in VECTORS.iterdir() if path.is_dir()}
    assert listed == directories
    reasons = {entry["reason"] for entry in index["vectors"]}
    assert {
        "",
        "SIGNATURE_INVALID",
        "SIGNER_EXPIRED",
        "SIGNER_NOT_YET_VALID",
        "SIGNER_UNTRUSTED",
        "SIGNER_NOT_AUTHORISED",
        "PAYLOAD_TYPE_UNSUPPORTED",
        "PAYLOAD_MALFORMED",
    } <= reasons


@pytest.mark.parametrize(
    "name",
    [entry["name"] for entry in json.loads((VECTORS / "index.json").read_text())["vectors"]],
)
def test_vector_expected_outcome(name: str) -> None:
    outcome = offline.run_vector(VECTORS / name)
    assert outcome.actual_reason == outcome.expected_reason, outcome.detail


def test_negative_vectors_are_marked_in_readme() -> None:
    for directory in sorted(p for p in VECTORS.iterdir() if p.is_dir()):
        metadata = json.loads((directory / "vector.json").read_text(encoding="utf-8"))
        readme = (directory / "README.md").read_text(encoding="utf-8")
        if metadata["negative"]:
            assert "NEGATIVE" in readme
            assert metadata["expected"]["reason"] in readme
        else:
            assert "POSITIVE" in readme


def test_valid_vector_fails_after_a_verification_time_shift(tmp_path: Path) -> None:
    """The verification time stated in a vector matters: ten years later it is expired."""
    envelope = envelope_pb2.Envelope()
    envelope.ParseFromString((VECTORS / "valid-ecdsa-certificate" / "envelope.binpb").read_bytes())
    anchors = offline.load_anchors(
        (VECTORS / "valid-ecdsa-certificate" / "trust-anchors" / "XA.pem").read_bytes()
    )
    later = vectors_gen.VERIFICATION_TIME + dt.timedelta(days=3650)
    with pytest.raises(offline.SignerExpiredError):
        offline.verify_envelope(envelope, trust_anchors={"XA": anchors}, at=later)
    verified = offline.verify_envelope(
        envelope, trust_anchors={"XA": anchors}, at=vectors_gen.VERIFICATION_TIME
    )
    assert verified.signer.authority_id == "xa-customs"
    assert verified.sending_country == "XA"


def test_flipping_any_payload_byte_breaks_the_valid_vector() -> None:
    envelope = envelope_pb2.Envelope()
    envelope.ParseFromString((VECTORS / "valid-ecdsa-certificate" / "envelope.binpb").read_bytes())
    anchors = offline.load_anchors(
        (VECTORS / "valid-ecdsa-certificate" / "trust-anchors" / "XA.pem").read_bytes()
    )
    for index in range(0, len(envelope.payload), 17):
        tampered = envelope_pb2.Envelope()
        tampered.CopyFrom(envelope)
        raw = bytearray(tampered.payload)
        raw[index] ^= 0x40
        tampered.payload = bytes(raw)
        with pytest.raises(offline.SignatureInvalidError):
            offline.verify_envelope(
                tampered, trust_anchors={"XA": anchors}, at=vectors_gen.VERIFICATION_TIME
            )


def test_pae_matches_the_spec_example() -> None:
    assert offline.pae("t", b"ab") == b"DSSEv1 1 t 2 ab"
    assert offline.pae("é", b"") == b"DSSEv1 2 \xc3\xa9 0 "


def test_vectors_command_reports_a_broken_vector(tmp_path: Path) -> None:
    """``python -m conformance.offline DIR`` fails when a vector no longer holds."""
    import io
    import shutil

    shutil.copytree(VECTORS, tmp_path / "vectors")
    broken = tmp_path / "vectors" / "valid-ecdsa-certificate" / "envelope.binpb"
    envelope = envelope_pb2.Envelope()
    envelope.ParseFromString(broken.read_bytes())
    envelope.payload = envelope.payload + b"\x00"
    broken.write_bytes(envelope.SerializeToString())
    out = io.StringIO()
    assert offline.print_vector_results(tmp_path / "vectors", out) == 1
    assert "FAIL valid-ecdsa-certificate" in out.getvalue()
    assert (
        out.getvalue().splitlines()[-1]
        == f"{len(offline.run_vectors(VECTORS)) - 1} passed, 1 failed"
    )
    clean = io.StringIO()
    assert offline.print_vector_results(VECTORS, clean) == 0
