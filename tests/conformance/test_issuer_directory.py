"""XA's signed issuer directory: content, signature, and what the node is told to load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509

from conformance import envelopes
from conformance.embedded import write_node_config
from conformance.errors import PkiError
from conformance.issuer_directory import (
    AUTHORISED_FROM,
    BROKEN_GRANT_END,
    CHAMBER_AFTER_BROKEN,
    CHAMBER_ENDED,
    CHAMBER_OPEN,
    DIRECTORY_VERSION,
    build_directory,
    directory_path,
    directory_plan,
    write_directory,
)
from conformance.pki import SuitePki, generate_pki, load_pki, node_uri, spki_key_id
from conformance.strategies import AGREEMENT_FORMS
from wco.eco.v1 import directory_pb2, envelope_pb2

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


def _date(value: object) -> dt.date:
    return dt.date(value.year, value.month, value.day)  # type: ignore[attr-defined]


def test_plan_derives_from_generation_time(pki: SuitePki) -> None:
    plan = directory_plan(pki)
    assert plan.revoked_at < NOW < plan.revoked_later_at
    assert plan.chamber_ended_on == dt.date(2026, 1, 30)
    assert plan.revoked_key_id == pki.negative_signers["revoked-signer"].key_id
    assert plan.revoked_later_key_id == pki.negative_signers["revoked-later-signer"].key_id
    assert plan.unlisted_authority_id == "xa-unlisted"


def test_directory_grants_and_revocations(pki: SuitePki) -> None:
    directory = build_directory(pki)
    assert (directory.country, directory.version) == ("XA", DIRECTORY_VERSION)
    entries = {e.authority.id: e for e in directory.authorities}
    assert set(entries) == {"xa-customs", "xa-chamber"}
    main = entries["xa-customs"]
    assert {g.agreement_id for g in main.authorisations} == set(AGREEMENT_FORMS)
    assert all(_date(g.effective_from) == AUTHORISED_FROM for g in main.authorisations)
    assert not any(g.HasField("effective_to") for g in main.authorisations)
    grants = list(entries["xa-chamber"].authorisations)
    chamber = {g.agreement_id: g for g in grants if g.agreement_id != CHAMBER_AFTER_BROKEN}
    assert set(chamber) == {CHAMBER_OPEN, CHAMBER_ENDED}
    broken, valid = (g for g in grants if g.agreement_id == CHAMBER_AFTER_BROKEN)
    assert broken.effective_to == BROKEN_GRANT_END
    assert _date(valid.effective_from) == AUTHORISED_FROM
    assert not valid.HasField("effective_to")
    assert not chamber[CHAMBER_OPEN].HasField("effective_to")
    assert _date(chamber[CHAMBER_ENDED].effective_to) == directory_plan(pki).chamber_ended_on
    revoked = {r.key_id: r.revocation_time.ToDatetime(dt.UTC) for r in directory.revocations}
    plan = directory_plan(pki)
    assert revoked[plan.revoked_key_id] <= NOW < revoked[plan.revoked_later_key_id]
    listed = {spki_key_id(x509.load_der_x509_certificate(d)) for d in main.signer_certificates}
    assert listed == {
        pki.country("XA").authority.key_id,
        *(
            pki.negative_signers[n].key_id
            for n in ("ed25519-signer", "revoked-signer", "revoked-later-signer")
        ),
    }


def test_written_directory_verifies_under_xa_anchors(pki: SuitePki, tmp_path: Path) -> None:
    written = pki.write(tmp_path / "pki")
    path = write_directory(written)
    assert path == tmp_path / "pki" / "XA" / "directory.pb"
    envelope = envelope_pb2.Envelope.FromString(path.read_bytes())
    envelopes.verify_envelope(
        envelope,
        anchors=[pki.country("XA").root.certificate],
        expected_uri=node_uri("XA"),
        now=NOW,
        expected_payload_type=envelopes.PAYLOAD_TYPE_DIRECTORY,
    )
    assert directory_pb2.IssuerDirectory.FromString(envelope.payload) == build_directory(pki)
    # a PKI loaded back from disk yields the same plan
    assert directory_plan(load_pki(tmp_path / "pki")) == directory_plan(pki)
    config = write_node_config(
        pki=written,
        directory=tmp_path / "node",
        port_file=tmp_path / "node" / "port",
        data_dir=tmp_path / "node" / "data",
        directories={"XA": path},
    ).read_text()
    assert f'directory = "{path.resolve()}"' in config


def test_directory_path_needs_a_written_pki(pki: SuitePki) -> None:
    with pytest.raises(PkiError, match="written"):
        directory_path(pki)
