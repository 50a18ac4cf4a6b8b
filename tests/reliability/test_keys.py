"""Signer key lifecycle (issue 7 item 6; docs/spec.md section 6, REQ-PKI-003, REQ-PKI-005).

- Rollover: XA adds a second authority key to its issuer directory; after the
  XB node imports the new directory both keys are accepted while the old one
  is listed.
- Revocation: a directory revoking the old key (revocation time passed) makes
  its signatures SIGNER_REVOKED; a revocation in the future has no effect yet;
  re-importing an older directory version is ignored (REQ-DIR-003) and does
  not lift the revocation.
- An authority absent from a loaded directory is SIGNER_NOT_AUTHORISED
  (REQ-AUTH-003).
- A CO signed while its signer was valid but received after the signer expired
  is refused SIGNER_EXPIRED and not stored; re-signed under a current key with
  the same certificate number and a new request id it is accepted as the first
  delivery of that number (section 6).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

import grpc
import pytest

from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
)

from .conftest import Figures, NodeFactory
from .documents import CERTIFICATE, make_certificate, make_directory, sign
from .node import NodeProcess, Partner, classify, submit
from .pki import CountryPki, Credential

_DAY = dt.timedelta(days=1)


def _co_env(
    xa: CountryPki, signer: Credential, *, authority: str | None = None
) -> tuple[certificate_pb2.CertificateOfOrigin, envelope_pb2.Envelope]:
    co = make_certificate(exporter="XA", importer="XB")
    if authority is not None:
        co.issuing_authority.id = authority
    return co, sign(CERTIFICATE, co.SerializeToString(), signer)


def _accepted(node: NodeProcess, xa: CountryPki, env: envelope_pb2.Envelope) -> str:
    rid = str(uuid.uuid4())
    with node.channel(xa) as ch:
        submit(ch, rid, env)
    return rid


def _refused(
    node: NodeProcess, xa: CountryPki, env: envelope_pb2.Envelope
) -> tuple[grpc.StatusCode, str]:
    rid = str(uuid.uuid4())
    with node.channel(xa) as ch:
        with pytest.raises(grpc.RpcError) as info:
            submit(ch, rid, env)
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetDocument(exchange_service_pb2.GetDocumentRequest(request_id=rid))
        assert classify(missing.value).code == grpc.StatusCode.NOT_FOUND
    outcome = classify(info.value)
    return outcome.code, outcome.reason


def _import(
    node: NodeProcess, directory: envelope_pb2.Envelope, name: str, *, restart: bool = False
) -> None:
    """Import a signed directory with ``eco-node trust import`` (REQ-DIR-002).

    With ``restart`` the node is restarted afterwards, so the directory is
    certainly loaded when the effect to check is an absence of change.
    """
    path = node.workdir / f"{name}.bin"
    path.write_bytes(directory.SerializeToString())
    result = node.cli("trust", "import", str(path))
    assert result.returncode == 0, result.stderr
    if restart:
        node.stop()
        node.start()


def _eventually_refused(
    node: NodeProcess, xa: CountryPki, signer: Credential
) -> tuple[grpc.StatusCode, str] | None:
    """Submit COs signed by ``signer`` until one is refused; return that refusal.

    A serving node looks for imported directories every poll interval
    (``delivery.poll_interval_ms``, 200 ms by default); 25 intervals are allowed.
    """
    for _ in range(25):
        _, env = _co_env(xa, signer)
        with node.channel(xa) as ch:
            try:
                submit(ch, str(uuid.uuid4()), env)
            except grpc.RpcError as exc:
                return classify(exc).code, classify(exc).reason
        time.sleep(0.2)
    return None


def test_rollover_revocation_and_directory_versions(
    node_factory: NodeFactory, tmp_path: Path, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """Rollover, revocation and version order of the issuer directory (section 6)."""
    now = dt.datetime.now(dt.UTC)
    k1 = xa.authority
    k2 = xa.new_authority_signer()
    v1 = tmp_path / "xa-directory-v1.bin"
    v1.write_bytes(make_directory(xa, version=1, signers=[k1]).SerializeToString())
    node = node_factory(xb, partners=[Partner(pki=xa, directory=v1)])
    node.start()
    _accepted(node, xa, _co_env(xa, k1)[1])

    # Rollover: v2 lists both keys; both are accepted.
    _import(node, make_directory(xa, version=2, signers=[k1, k2]), "v2")
    _accepted(node, xa, _co_env(xa, k2)[1])
    _accepted(node, xa, _co_env(xa, k1)[1])

    # Revocation of k1 effective a minute ago (REQ-PKI-005).
    v3 = make_directory(xa, version=3, signers=[k2], revoked=[(k1, now - dt.timedelta(minutes=1))])
    _import(node, v3, "v3")
    assert _eventually_refused(node, xa, k1) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SIGNER_REVOKED",
    )
    _accepted(node, xa, _co_env(xa, k2)[1])

    # An older version is ignored (REQ-DIR-003): k1 stays revoked, also after a restart.
    node.cli("trust", "import", str(node.workdir / "v2.bin"))
    node.stop()
    node.start()
    assert _refused(node, xa, _co_env(xa, k1)[1])[1] == "SIGNER_REVOKED"

    # A revocation in the future does not take effect yet.
    v4 = make_directory(
        xa, version=4, signers=[k2], revoked=[(k1, now - dt.timedelta(minutes=1)), (k2, now + _DAY)]
    )
    _import(node, v4, "v4", restart=True)
    _accepted(node, xa, _co_env(xa, k2)[1])

    # An authority the loaded directory does not list (REQ-AUTH-003).
    chamber = xa.new_authority_signer(authority="xa-chamber")
    assert _refused(node, xa, _co_env(xa, chamber, authority="xa-chamber")[1]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SIGNER_NOT_AUTHORISED",
    )
    figures.record("keys", directory_versions_imported=4, revoked_signatures_refused=2)


def test_signer_expired_between_issue_and_receipt(
    xb_node: NodeProcess, xa: CountryPki, figures: Figures
) -> None:
    """Expired at receipt: SIGNER_EXPIRED, not stored; re-signed: first delivery (REQ-PKI-003)."""
    now = dt.datetime.now(dt.UTC)
    expired = xa.new_authority_signer(not_before=now - 10 * _DAY, not_after=now - _DAY / 24)
    co = make_certificate(exporter="XA", importer="XB", issue_date=(now - 3 * _DAY).date())
    payload = co.SerializeToString()
    old = sign(CERTIFICATE, payload, expired)
    assert _refused(xb_node, xa, old) == (grpc.StatusCode.PERMISSION_DENIED, "SIGNER_EXPIRED")
    ref = certificate_pb2.CertificateReference(
        exporting_country="XA",
        issuing_authority_id=co.issuing_authority.id,
        certificate_number=co.certificate_number,
    )
    with xb_node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        with pytest.raises(grpc.RpcError) as info:
            stub.GetCertificateStatus(
                exchange_service_pb2.GetCertificateStatusRequest(certificate=ref)
            )
        assert classify(info.value).reason == "UNKNOWN_DOCUMENT"
    # The issuer re-signs the same payload with a current key, under a new request id.
    fresh = sign(CERTIFICATE, payload, xa.authority)
    rid = _accepted(xb_node, xa, fresh)
    with xb_node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        doc = stub.GetDocument(exchange_service_pb2.GetDocumentRequest(certificate=ref)).document
    assert doc.request_id == rid
    assert doc.envelope.SerializeToString() == fresh.SerializeToString()
    figures.add("keys", "expired_signer_refused_then_resigned")


def test_directory_import_takes_effect_without_restart(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """A revocation imported with ``eco-node trust import`` applies to the running node.

    Section 6: revoking a key takes effect at its revocation time, and the
    directory exists so that partners roll keys over without downtime. A node
    that keeps accepting a revoked key until someone restarts it does not do that.
    """
    now = dt.datetime.now(dt.UTC)
    k2 = xa.new_authority_signer()
    node = node_factory(xb, partners=[Partner(pki=xa)])
    node.start()
    _accepted(node, xa, _co_env(xa, xa.authority)[1])
    path = node.workdir / "revoke.bin"
    directory = make_directory(
        xa, version=1, signers=[k2], revoked=[(xa.authority, now - dt.timedelta(minutes=1))]
    )
    path.write_bytes(directory.SerializeToString())
    result = node.cli("trust", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert _eventually_refused(node, xa, xa.authority) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SIGNER_REVOKED",
    )
    figures.add("keys", "live_revocations_applied")
