"""Signer verification (REQ-SIG-005, REQ-PKI-001..005) and directories (REQ-DIR-002/003)."""

from __future__ import annotations

import datetime as dt

import pytest
from core_testlib import NOW, VALID_FROM, VALID_TO, World, identity
from cryptography.hazmat.primitives import serialization

from reference_node.core import payload_types
from reference_node.core.directory import (
    AgreementGrant,
    RevokedKey,
    authority_entry,
    build_directory,
    sign_directory,
)
from reference_node.core.errors import (
    PayloadMalformed,
    PayloadTypeUnsupported,
    SignatureInvalid,
    SignerExpired,
    SignerNotAuthorised,
    SignerNotYetValid,
    SignerRevoked,
    SignerUntrusted,
)
from reference_node.core.identity import SignerIdentity, parse_signer_uri
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.core.trust import TrustStore
from reference_node.pki import make_ca, make_country_pki, make_signer
from wco.eco.v1 import envelope_pb2

XA_AUTH = "urn:wco:eco:authority:XA:xa-customs"


def _env(signer: SigningIdentity, payload: bytes = b"doc") -> envelope_pb2.Envelope:
    return sign_envelope(payload_type=payload_types.CERTIFICATE, payload=payload, signers=[signer])


def _leaf_identity(world: World, **kwargs: object) -> SigningIdentity:
    kwargs.setdefault("uris", [XA_AUTH])
    kwargs.setdefault("not_before", VALID_FROM)
    kwargs.setdefault("not_after", VALID_TO)
    leaf = make_signer(issuer=world.xa.intermediate, **kwargs)  # type: ignore[arg-type]
    return identity(leaf, world.xa)


def test_valid_envelope_yields_the_signer(world: World) -> None:
    signer = world.trust.verify_envelope(_env(world.xa_authority), at=NOW)
    assert signer.identity == SignerIdentity("XA", "xa-customs")
    assert signer.key_id == world.xa_authority.key_id
    assert signer.certificate == world.xa.authority.certificate


def test_ed25519_signer_verifies(world: World) -> None:
    signer = world.trust.verify_envelope(_env(identity(world.xa_ed.authority, world.xa_ed)), at=NOW)
    assert signer.identity.country == "XC"


def test_naive_time_is_a_programming_error(world: World) -> None:
    with pytest.raises(ValueError, match="timezone"):
        world.trust.verify_envelope(_env(world.xa_authority), at=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("count", [0, 5])
def test_signature_count_outside_one_to_four(world: World, count: int) -> None:
    envelope = _env(world.xa_authority)
    sig = envelope.signatures[0]
    del envelope.signatures[:]
    for _ in range(count):
        envelope.signatures.add().CopyFrom(sig)
    with pytest.raises(SignatureInvalid):
        world.trust.verify_envelope(envelope, at=NOW)


def test_no_valid_signature(world: World) -> None:
    envelope = _env(world.xa_authority)
    envelope.payload = b"other"
    with pytest.raises(SignatureInvalid):
        world.trust.verify_envelope(envelope, at=NOW)


def test_first_valid_signature_counts_when_others_are_broken(world: World) -> None:
    good = _env(world.xa_authority)
    broken = envelope_pb2.Signature()
    broken.CopyFrom(good.signatures[0])
    broken.signature = b"\x00" * 10
    envelope = envelope_pb2.Envelope(
        payload_type=good.payload_type,
        payload=good.payload,
        signatures=[broken, good.signatures[0]],
    )
    assert world.trust.verify_envelope(envelope, at=NOW).identity.authority_id == "xa-customs"


def test_error_of_first_valid_signer_when_no_signer_passes(world: World) -> None:
    expired = _leaf_identity(world, not_before=VALID_FROM, not_after=NOW - dt.timedelta(days=1))
    untrusted_pki = make_country_pki("XA", not_before=VALID_FROM, not_after=VALID_TO)
    untrusted = identity(untrusted_pki.authority, untrusted_pki)
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=b"d", signers=[expired, untrusted]
    )
    with pytest.raises(SignerExpired):
        world.trust.verify_envelope(envelope, at=NOW)


def test_a_passing_second_signer_is_accepted(world: World) -> None:
    untrusted_pki = make_country_pki("XA", not_before=VALID_FROM, not_after=VALID_TO)
    untrusted = identity(untrusted_pki.authority, untrusted_pki)
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE,
        payload=b"d",
        signers=[untrusted, world.xa_authority],
    )
    signer = world.trust.verify_envelope(envelope, at=NOW)
    assert signer.key_id == world.xa_authority.key_id


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"include_key_usage": False}, SignerUntrusted, id="no-key-usage"),
        pytest.param({"key_usage_critical": False}, SignerUntrusted, id="key-usage-not-critical"),
        pytest.param({"digital_signature": False}, SignerUntrusted, id="no-digital-signature"),
        pytest.param({"key_cert_sign": True}, SignerUntrusted, id="key-cert-sign"),
        pytest.param({"ca": True}, SignerUntrusted, id="ca-leaf"),
        pytest.param({"ca": None}, None, id="no-basic-constraints-is-fine"),
        pytest.param({"uris": []}, SignerUntrusted, id="no-san"),
        pytest.param({"uris": [XA_AUTH, "urn:wco:eco:node:XA"]}, SignerUntrusted, id="two-uris"),
        pytest.param({"uris": ["https://example.org/"]}, SignerUntrusted, id="foreign-uri"),
        pytest.param(
            {"uris": ["urn:wco:eco:authority:xa:xa-customs"]}, SignerUntrusted, id="lowercase-cc"
        ),
        pytest.param(
            {"uris": ["urn:wco:eco:authority:XB:xb-customs"]}, SignerUntrusted, id="other-country"
        ),
        pytest.param(
            {"not_before": VALID_FROM, "not_after": NOW - dt.timedelta(seconds=1)},
            SignerExpired,
            id="expired",
        ),
        pytest.param(
            {"not_before": NOW + dt.timedelta(seconds=1), "not_after": VALID_TO},
            SignerNotYetValid,
            id="not-yet-valid",
        ),
    ],
)
def test_signer_profile_and_validity(
    world: World, kwargs: dict[str, object], error: type[Exception] | None
) -> None:
    envelope = _env(_leaf_identity(world, **kwargs))
    if error is None:
        assert world.trust.verify_envelope(envelope, at=NOW).identity.country == "XA"
    else:
        with pytest.raises(error):
            world.trust.verify_envelope(envelope, at=NOW)


def test_validity_boundaries_are_inclusive(world: World) -> None:
    end = NOW.replace(microsecond=0)
    signer = _leaf_identity(world, not_before=VALID_FROM, not_after=end)
    envelope = _env(signer)
    world.trust.verify_envelope(envelope, at=end)
    with pytest.raises(SignerExpired):
        world.trust.verify_envelope(envelope, at=end + dt.timedelta(seconds=1))


def test_expired_intermediate_is_reported(world: World) -> None:
    root = world.xa.root
    inter = make_ca(
        common_name="old",
        country="XA",
        issuer=root,
        path_length=0,
        not_before=VALID_FROM,
        not_after=NOW - dt.timedelta(days=1),
    )
    leaf = make_signer(uris=[XA_AUTH], issuer=inter, not_before=VALID_FROM, not_after=VALID_TO)
    signer = SigningIdentity.from_key(
        private_key=leaf.private_key, chain=[leaf.certificate, inter.certificate]
    )
    with pytest.raises(SignerExpired):
        world.trust.verify_envelope(_env(signer), at=NOW)


def test_untrusted_root_and_missing_intermediate(world: World) -> None:
    other = make_country_pki("XA", not_before=VALID_FROM, not_after=VALID_TO)
    with pytest.raises(SignerUntrusted):
        world.trust.verify_envelope(_env(identity(other.authority, other)), at=NOW)
    leaf_only = SigningIdentity.from_key(
        private_key=world.xa.authority.private_key, chain=[world.xa.authority.certificate]
    )
    with pytest.raises(SignerUntrusted):
        world.trust.verify_envelope(_env(leaf_only), at=NOW)


def test_anchor_of_another_country_does_not_help(world: World) -> None:
    # An XA-named signer chained to XB's root is untrusted: anchors are per country.
    leaf = make_signer(
        uris=[XA_AUTH], issuer=world.xb.intermediate, not_before=VALID_FROM, not_after=VALID_TO
    )
    with pytest.raises(SignerUntrusted):
        world.trust.verify_envelope(_env(identity(leaf, world.xb)), at=NOW)


def test_country_without_anchors(world: World) -> None:
    trust = TrustStore(anchors={"XB": [world.xb.root.certificate]})
    with pytest.raises(SignerUntrusted, match="no trust anchors"):
        trust.verify_envelope(_env(world.xa_authority), at=NOW)
    assert trust.countries == frozenset({"XB"})


def test_intermediate_without_ca_rights_is_untrusted(world: World) -> None:
    window = {"not_before": VALID_FROM, "not_after": VALID_TO}
    fake_inter = make_signer(uris=["urn:wco:eco:node:XA"], issuer=world.xa.root, ca=False, **window)
    leaf = make_signer(uris=[XA_AUTH], issuer=fake_inter, **window)
    signer = SigningIdentity.from_key(
        private_key=leaf.private_key, chain=[leaf.certificate, fake_inter.certificate]
    )
    with pytest.raises(SignerUntrusted):
        world.trust.verify_envelope(_env(signer), at=NOW)


def test_chain_longer_than_four_is_untrusted(world: World) -> None:
    inter = world.xa.intermediate
    chain = [world.xa.authority.certificate] + [inter.certificate] * 4
    signer = SigningIdentity.__new__(SigningIdentity)
    object.__setattr__(signer, "private_key", world.xa.authority.private_key)
    object.__setattr__(signer, "chain", tuple(chain))
    object.__setattr__(
        signer, "chain_der", tuple(c.public_bytes(serialization.Encoding.DER) for c in chain)
    )
    with pytest.raises(SignerUntrusted, match="longer"):
        world.trust.verify_envelope(_env(signer), at=NOW)


def test_unparsable_intermediate_is_untrusted(world: World) -> None:
    envelope = _env(world.xa_authority)
    envelope.signatures[0].certificate_chain[1] = b"junk"
    with pytest.raises(SignerUntrusted):
        world.trust.verify_envelope(envelope, at=NOW)


def test_cached_path_respects_anchor_expiry() -> None:
    start = NOW - dt.timedelta(days=10)
    root = make_ca(
        common_name="r", country="XA", not_before=start, not_after=NOW + dt.timedelta(days=1)
    )
    inter = make_ca(
        common_name="i",
        country="XA",
        issuer=root,
        path_length=0,
        not_before=start,
        not_after=VALID_TO,
    )
    leaf = make_signer(uris=[XA_AUTH], issuer=inter, not_before=start, not_after=VALID_TO)
    signer = SigningIdentity.from_key(
        private_key=leaf.private_key, chain=[leaf.certificate, inter.certificate]
    )
    trust = TrustStore(anchors={"XA": [root.certificate]})
    envelope = _env(signer)
    trust.verify_envelope(envelope, at=NOW)
    trust.verify_envelope(envelope, at=NOW)  # cached
    with pytest.raises(SignerUntrusted):
        trust.verify_envelope(envelope, at=NOW + dt.timedelta(days=2))


# -- directories -----------------------------------------------------------------------


def _directory(world: World, version: int, **kwargs: object) -> envelope_pb2.Envelope:
    directory = build_directory(
        country="XA",
        version=version,
        issue_time=NOW - dt.timedelta(hours=1),
        authorities=[
            authority_entry(
                authority_id="xa-customs",
                name="XA Customs",
                grants=[AgreementGrant(agreement_id="AKFTA", effective_from=VALID_FROM.date())],
                signer_certificates=[world.xa.authority.certificate],
            )
        ],
        **kwargs,  # type: ignore[arg-type]
    )
    return sign_directory(directory, signer=world.xa_node)


def test_directory_loads_and_revokes(world: World) -> None:
    revoke_at = NOW - dt.timedelta(minutes=5)
    envelope = _directory(
        world,
        1,
        revocations=[
            RevokedKey.of_certificate(world.xa.authority.certificate, revocation_time=revoke_at)
        ],
    )
    trust = world.trust.with_directory(envelope, at=NOW)
    directory = trust.directory("XA")
    assert directory is not None
    assert directory.version == 1
    assert world.trust.directory("XA") is None  # immutable
    doc = _env(world.xa_authority)
    with pytest.raises(SignerRevoked):
        trust.verify_envelope(doc, at=NOW)
    # Before the revocation time the key is still good.
    trust.verify_envelope(doc, at=revoke_at - dt.timedelta(seconds=1))
    # At exactly the revocation time it is revoked.
    with pytest.raises(SignerRevoked):
        trust.verify_envelope(doc, at=revoke_at)


def test_older_or_equal_directory_version_is_ignored(world: World) -> None:
    trust = world.trust.with_directory(_directory(world, 5), at=NOW)
    same = trust.with_directory(
        _directory(
            world,
            5,
            revocations=[RevokedKey(key_id=world.xa_authority.key_id, revocation_time=VALID_FROM)],
        ),
        at=NOW,
    )
    assert same is trust
    same.verify_envelope(_env(world.xa_authority), at=NOW)
    newer = trust.with_directory(_directory(world, 6), at=NOW)
    assert newer.directory("XA").version == 6  # type: ignore[union-attr]


def test_directory_signed_by_an_authority_is_refused(world: World) -> None:
    envelope = _directory(world, 1)
    resigned = sign_envelope(
        payload_type=envelope.payload_type, payload=envelope.payload, signers=[world.xa_authority]
    )
    with pytest.raises(SignerNotAuthorised):
        world.trust.with_directory(resigned, at=NOW)


def test_directory_of_another_country_is_refused(world: World) -> None:
    envelope = _directory(world, 1)
    resigned = sign_envelope(
        payload_type=envelope.payload_type, payload=envelope.payload, signers=[world.xb_node]
    )
    with pytest.raises(SignerNotAuthorised):
        world.trust.with_directory(resigned, at=NOW)


def test_directory_payload_checks(world: World) -> None:
    envelope = _directory(world, 1)
    with pytest.raises(PayloadTypeUnsupported):
        world.trust.with_directory(
            sign_envelope(
                payload_type=payload_types.RECEIPT,
                payload=envelope.payload,
                signers=[world.xa_node],
            ),
            at=NOW,
        )
    junk = sign_envelope(
        payload_type=payload_types.ISSUER_DIRECTORY,
        payload=envelope.payload + b"\xf8\x0f\x01",
        signers=[world.xa_node],
    )
    with pytest.raises(PayloadMalformed):
        world.trust.with_directory(junk, at=NOW)
    tampered = envelope_pb2.Envelope()
    tampered.CopyFrom(envelope)
    tampered.payload += b"\x10\x07"
    with pytest.raises(SignatureInvalid):
        world.trust.with_directory(tampered, at=NOW)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("urn:wco:eco:node:XA", SignerIdentity("XA")),
        ("urn:wco:eco:authority:KR:kcs-seoul-1", SignerIdentity("KR", "kcs-seoul-1")),
    ],
)
def test_parse_signer_uri(uri: str, expected: SignerIdentity) -> None:
    parsed = parse_signer_uri(uri)
    assert parsed == expected
    assert parsed.uri == uri
    assert parsed.is_node == (expected.authority_id is None)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "urn:wco:eco:node:X",
        "urn:wco:eco:node:XAA",
        "urn:wco:eco:authority:XA:",
        "urn:wco:eco:authority:XA:Upper",
        "urn:wco:eco:authority:XA:-lead",
        "urn:wco:eco:authority:XA:a:b",
        "urn:wco:eco:node:XA ",
        "URN:WCO:ECO:NODE:XA",
    ],
)
def test_parse_signer_uri_refuses(uri: str) -> None:
    with pytest.raises(SignerUntrusted):
        parse_signer_uri(uri)
