"""The node: the pure core wired to the store, the partner clients and the clock.

:class:`Node` is what the gRPC servicers, the outbox worker, the CLI and the
conformance adapter share. It implements:

- the receiver pipeline of docs/spec.md section 5.4: request id and sizes,
  idempotency lookup, the core checks (``verify_submission``) off the event
  loop, then one store transaction that re-checks idempotency, applies the
  lifecycle rules (``plan_changes``), stores the exact envelope bytes and the
  states, signs the receipt and stores it, and commits before the receipt is
  returned (REQ-PUSH-001, REQ-IDEM-002);
- issuing of the node's own documents (certificates, status changes, import
  outcomes, verification requests and results): each is signed, checked as
  the recipient would check it, and stored together with its state change and
  its outbox entry in one transaction;
- the read side with the access rules of REQ-ACC-003 and REQ-ACC-004.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from cryptography import x509

from reference_node.config import NodeConfig, PartnerConfig
from reference_node.core import payload_types
from reference_node.core.codelists import CodeLists, default_codelists
from reference_node.core.directory import (
    AgreementGrant,
    authority_entry,
    build_directory,
    sign_directory,
)
from reference_node.core.documents import CertificateRef
from reference_node.core.errors import (
    DuplicateConflict,
    EcoError,
    FieldInvalid,
    FieldMissing,
    FieldViolation,
    NodeUnavailable,
    UnknownDocument,
)
from reference_node.core.intake import (
    VerifiedSubmission,
    check_request_id,
    check_sizes,
    payload_sha256,
    plan_changes,
    same_submission,
    verify_submission,
)
from reference_node.core.lifecycle import (
    CertificateState,
    VerificationCase,
    answer_verification,
    apply_import_outcome,
    apply_replacement,
    apply_status_change,
    mark_received,
    new_certificate_state,
    open_verification,
)
from reference_node.core.receipts import build_receipt, verify_receipt
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.core.trust import TrustStore
from reference_node.errors import ConfigError, NodeError
from reference_node.server.auth import CallerAuthenticator, load_pem_certificates
from reference_node.store.base import (
    CertificateRow,
    DocumentRecord,
    NewDocument,
    OutboxRecord,
    VerificationRow,
    WriteTransaction,
)
from reference_node.store.codec import decode_case, decode_state, encode_case, encode_state
from reference_node.store.sqlite import SqliteStore
from wco.eco.v1 import (
    certificate_pb2,
    directory_pb2,
    envelope_pb2,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = ["SPEC_VERSION", "Issued", "Node", "utc_now"]

logger = logging.getLogger(__name__)

#: Spec version implemented (REQ-NODE-001).
SPEC_VERSION = "1.0.0"
#: Implementation version reported in NodeInfo.
IMPLEMENTATION_VERSION = "0.1.0"

_UNKNOWN = "no such document"


def utc_now() -> dt.datetime:
    """The node's clock: the current time, UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Issued:
    """A document this node signed, stored and queued for a partner.

    Attributes:
        request_id: Message id used for every delivery attempt.
        recipient_country: Partner it is queued for.
        certificate: The certificate concerned.
        verification_id: Case id, for verification documents.
        envelope: The signed envelope.
        sequence: Its position in this node's feed.
    """

    request_id: str
    recipient_country: str
    certificate: CertificateRef
    verification_id: str | None
    envelope: envelope_pb2.Envelope
    sequence: int


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _certs(path: Path, what: str) -> list[x509.Certificate]:
    try:
        return load_pem_certificates(_read(path, what))
    except ValueError as exc:
        raise ConfigError(f"{what} {path} holds no PEM certificate") from exc


def _signer(chain: Path, key: Path, what: str) -> SigningIdentity:
    try:
        return SigningIdentity.from_pem(
            key_pem=_read(key, f"{what} key"), chain_pem=_read(chain, f"{what} chain")
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what} key {key} or chain {chain} is unusable: {exc}") from exc


class _TxView:
    """:class:`~reference_node.core.intake.StateView` over a write transaction."""

    def __init__(self, tx: WriteTransaction, *, node_country: str) -> None:
        self._tx = tx
        self._country = node_country
        self._rows: dict[str, CertificateRow | None] = {}

    def _certificate(self, key: str) -> CertificateRow | None:
        # One read per certificate and plan: the plan reads, the caller writes afterwards.
        if key not in self._rows:
            self._rows[key] = self._tx.certificate(key)
        return self._rows[key]

    def certificate_state(self, ref: CertificateRef) -> CertificateState | None:
        row = self._certificate(ref.key)
        return decode_state(row.state) if row is not None else None

    def certificate_request_id(self, ref: CertificateRef) -> str | None:
        row = self._certificate(ref.key)
        return row.request_id if row is not None else None

    def verification_case(self, verification_id: str) -> VerificationCase | None:
        rows = self._tx.verifications_by_id(verification_id)
        if not rows:
            return None
        own = [r for r in rows if r.requesting_country == self._country]
        return decode_case((own or list(rows))[0].state)

    def verification_id_used(self, requesting_country: str, verification_id: str) -> bool:
        return self._tx.verification(requesting_country, verification_id) is not None


def _state_row(state: CertificateState, *, request_id: str, at: dt.datetime) -> CertificateRow:
    return CertificateRow(
        key=state.ref.key,
        exporting_country=state.ref.exporting_country,
        importing_country=state.importing_country,
        request_id=request_id,
        state=encode_state(state),
        update_time=at,
    )


def _case_row(case: VerificationCase, *, at: dt.datetime) -> VerificationRow:
    return VerificationRow(
        verification_id=case.verification_id,
        requesting_country=case.requesting_country,
        certificate_key=case.certificate.key,
        exporting_country=case.certificate.exporting_country,
        state=encode_case(case),
        update_time=at,
    )


class Node:
    """One country's node (docs/spec.md; ADR 0001). Build with :meth:`open`."""

    def __init__(
        self,
        *,
        config: NodeConfig,
        store: SqliteStore,
        authority: SigningIdentity,
        node_signer: SigningIdentity,
        trust: TrustStore,
        authenticator: CallerAuthenticator,
        directory: envelope_pb2.Envelope,
        directory_version: int,
        codelists: CodeLists,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.config = config
        self.store = store
        self.authority = authority
        self.node_signer = node_signer
        self._trust = trust
        self.authenticator = authenticator
        self.directory = directory
        self.directory_version = directory_version
        self.codelists = codelists
        self.clock = clock
        self._directory_stamps: dict[str, int] = {}

    # -- construction -------------------------------------------------------------------

    @classmethod
    def open(cls, config: NodeConfig, *, clock: Callable[[], dt.datetime] = utc_now) -> Node:
        """Load keys, anchors and directories of ``config`` and open its store.

        Raises:
            ConfigError: A configured file is missing or unusable.
            NodeUnavailable: The database cannot be opened.
        """
        own = config.country
        authority = _signer(
            config.signing.authority_chain, config.signing.authority_key, "authority signer"
        )
        node_signer = _signer(
            config.signing.node_signer_chain, config.signing.node_signer_key, "node signer"
        )
        anchors: dict[str, list[x509.Certificate]] = {
            own: _certs(config.signing.trust_anchors, "trust anchors")
        }
        tls_cas: dict[str, list[x509.Certificate]] = {}
        for partner in config.partners:
            anchors[partner.country] = _certs(partner.trust_anchors, "partner trust anchors")
            tls_cas[partner.country] = _certs(partner.tls_ca, "partner TLS CA")
        trust = TrustStore(anchors=anchors)
        now = clock()
        for partner in config.partners:
            if partner.directory is not None:
                trust = cls._load_directory(trust, partner.directory, partner.country, now)
        directory, version = cls._own_directory(config, authority, node_signer, anchors[own])
        store = SqliteStore.open(config.node.database)
        node = cls(
            config=config,
            store=store,
            authority=authority,
            node_signer=node_signer,
            trust=trust,
            authenticator=CallerAuthenticator(tls_cas=tls_cas, clock=clock),
            directory=directory,
            directory_version=version,
            codelists=default_codelists(),
            clock=clock,
        )
        node.refresh_directories()
        return node

    def refresh_directories(self) -> bool:
        """Load directories imported into ``data_dir/directories`` since the last call.

        A serving node calls this periodically, so ``eco-node trust import`` takes
        effect without a restart (section 6). Versions not newer than the loaded
        one are ignored (REQ-DIR-003); an invalid file is logged and skipped.

        Returns:
            True when the trust store changed.
        """
        folder = self.config.node.data_dir / "directories"
        if not folder.is_dir():
            return False
        changed = False
        for path in sorted(folder.glob("*.pb")):
            try:
                stamp = path.stat().st_mtime_ns
            except OSError:
                continue
            if self._directory_stamps.get(path.name) == stamp:
                continue
            self._directory_stamps[path.name] = stamp
            try:
                trust = self._load_directory(self._trust, path, path.stem, self.clock())
            except ConfigError as exc:
                logger.warning("ignoring %s", exc.diagnostics())
                continue
            if trust is not self._trust:
                self._trust = trust
                changed = True
                logger.info("loaded issuer directory %s", path.name)
        return changed

    @staticmethod
    def _load_directory(
        trust: TrustStore, path: Path, country: str, now: dt.datetime
    ) -> TrustStore:
        envelope = envelope_pb2.Envelope()
        try:
            envelope.ParseFromString(_read(path, "issuer directory"))
            loaded = trust.with_directory(envelope, at=now)
        except EcoError as exc:
            raise ConfigError(f"issuer directory {path} is not valid: {exc.diagnostics()}") from exc
        except Exception as exc:
            raise ConfigError(f"issuer directory {path} is not a signed envelope") from exc
        directory = loaded.directory(country)
        if directory is None:
            raise ConfigError(f"issuer directory {path} is not the directory of {country}")
        return loaded

    @staticmethod
    def _own_directory(
        config: NodeConfig,
        authority: SigningIdentity,
        node_signer: SigningIdentity,
        anchors: Sequence[x509.Certificate],
    ) -> tuple[envelope_pb2.Envelope, int]:
        """The node's signed IssuerDirectory (REQ-DIR-001).

        The version and issue time derive from the authority certificate, so
        the directory is the same across restarts until the key changes.
        """
        leaf = authority.certificate
        issued = leaf.not_valid_before_utc
        version = max(1, int(issued.timestamp()))
        entry = authority_entry(
            authority_id=config.node.authority_id,
            name=config.node.authority_name,
            grants=[AgreementGrant(agreement_id=a) for a in sorted(default_codelists().agreements)],
            signer_certificates=[leaf],
        )
        directory = build_directory(
            country=config.country,
            version=version,
            issue_time=issued,
            authorities=[entry],
            trust_anchors=anchors,
        )
        return sign_directory(directory, signer=node_signer), version

    @property
    def country(self) -> str:
        """The node's country."""
        return self.config.country

    @property
    def trust(self) -> TrustStore:
        """The current trust store (replaced when a directory is loaded)."""
        return self._trust

    def close(self) -> None:
        """Release the store (its writer and reader threads)."""
        self.store.close()

    # -- trust --------------------------------------------------------------------------

    def import_directory(self, data: bytes) -> directory_pb2.IssuerDirectory:
        """Verify a partner's signed directory, load it and keep it for restarts.

        Raises:
            EcoError: The directory does not verify (REQ-DIR-002).
            NodeError: The bytes are not an envelope, or not a partner's directory.
        """
        envelope = envelope_pb2.Envelope()
        try:
            envelope.ParseFromString(data)
        except Exception as exc:
            raise NodeError("the file is not a serialized signed envelope") from exc
        loaded = self._trust.with_directory(envelope, at=self.clock())
        changed = [
            cc for cc in loaded.countries if loaded.directory(cc) is not self._trust.directory(cc)
        ]
        if not changed:
            raise NodeError("directory ignored: not newer than the loaded one (REQ-DIR-003)")
        country = changed[0]
        if country == self.country:
            raise NodeError("cannot import a directory of the node's own country")
        self._trust = loaded
        folder = self.config.node.data_dir / "directories"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{country}.pb.tmp"
        tmp.write_bytes(data)
        shutil.move(tmp, folder / f"{country}.pb")
        result = loaded.directory(country)
        assert result is not None
        return result

    def configure_partner(self, partner: PartnerConfig, tls_ca: Sequence[x509.Certificate]) -> None:
        """Replace the TLS CA trusted for a partner's client certificates."""
        self.authenticator.set_country_cas(partner.country, tls_ca)

    # -- receiving (section 5.4) --------------------------------------------------------

    def _idempotent(self, stored: DocumentRecord, envelope: envelope_pb2.Envelope) -> bytes:
        """REQ-IDEM-002/003 against a stored document."""
        if (
            same_submission(
                envelope.payload_type,
                payload_sha256(envelope.payload),
                stored.payload_type,
                stored.payload_sha256,
            )
            and stored.receipt is not None
        ):
            return stored.receipt
        raise DuplicateConflict("request_id already used for a different document")

    def _prepare(
        self,
        *,
        caller: str,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        request_len: int,
        now: dt.datetime,
    ) -> bytes | VerifiedSubmission:
        """Section 5.4 steps 3-8 off the event loop: idempotency lookup, then the core checks.

        Returns:
            The stored receipt of an identical earlier submission, or the
            verified submission to commit.

        Raises:
            EcoError: The refusal.
        """
        stored = self.store.document_by_request(caller, request_id)
        if stored is not None:
            return self._idempotent(stored, envelope)
        return verify_submission(
            request_id=request_id,
            envelope_bytes_len=request_len,
            envelope=envelope,
            caller_country=caller,
            node_country=self.country,
            trust=self._trust,
            codelists=self.codelists,
            limits=self.config.limits,
            now=now,
        )

    async def prepare_submission(
        self,
        *,
        caller: str,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        request_len: int,
    ) -> bytes | VerifiedSubmission:
        """Everything of :meth:`submit` before the store transaction (section 5.4 steps 1-8).

        Runs on the calling (event loop) thread: the checks are pure CPU
        work under the interpreter lock, so a hop to a worker thread would
        only add switching cost. The idempotency lookup is one indexed read.

        Returns:
            The stored receipt of an identical earlier submission
            (REQ-IDEM-002), or the verified submission to pass to
            :meth:`commit_submission`.

        Raises:
            EcoError: The refusal, in the order of section 5.4.
        """
        check_request_id(request_id)
        check_sizes(envelope_bytes_len=request_len, envelope=envelope, limits=self.config.limits)
        return self._prepare(
            caller=caller,
            request_id=request_id,
            envelope=envelope,
            request_len=request_len,
            now=self.clock(),
        )

    def commit_submission(
        self,
        *,
        caller: str,
        verified: VerifiedSubmission,
        envelope: envelope_pb2.Envelope,
        envelope_bytes: bytes,
    ) -> Awaitable[bytes]:
        """Queue the store transaction of a verified submission; await it for the receipt.

        The transaction is queued when this is called, so calls made in
        request order are applied in request order (the lifecycle rules of a
        stream see its earlier documents).
        """
        return self.store.write_async(
            lambda tx: self._commit_received(tx, verified, caller, envelope, envelope_bytes)
        )

    async def submit(
        self,
        *,
        caller: str,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        envelope_bytes: bytes,
        request_len: int,
    ) -> bytes:
        """Receive one submitted document; return the serialized receipt (REQ-PUSH-001).

        The request id, sizes, idempotency lookup and core checks run on the
        event loop (:meth:`prepare_submission`); the store transaction runs
        in the store's writer thread, and the receipt is returned once it is
        committed.

        Args:
            caller: The caller's country (REQ-ACC-001).
            request_id: The submission's request id.
            envelope: The parsed envelope.
            envelope_bytes: The envelope exactly as received (stored as is).
            request_len: Serialized size of the whole request (REQ-LIM-001).

        Raises:
            EcoError: The refusal, in the order of section 5.4.
        """
        prepared = await self.prepare_submission(
            caller=caller, request_id=request_id, envelope=envelope, request_len=request_len
        )
        if isinstance(prepared, bytes):
            return prepared
        return await self.commit_submission(
            caller=caller, verified=prepared, envelope=envelope, envelope_bytes=envelope_bytes
        )

    def _commit_received(
        self,
        tx: WriteTransaction,
        verified: VerifiedSubmission,
        caller: str,
        envelope: envelope_pb2.Envelope,
        envelope_bytes: bytes,
    ) -> bytes:
        stored = tx.document_by_request(caller, verified.request_id)
        if stored is not None:  # a concurrent duplicate committed first
            return self._idempotent(stored, envelope)
        now = self.clock()
        plan = plan_changes(
            verified, _TxView(tx, node_country=self.country), node_country=self.country, now=now
        )
        doc = verified.document
        sequence = tx.next_sequence()
        receipt = build_receipt(
            verified=verified,
            sender_country=caller,
            receiver_country=self.country,
            sequence=sequence,
            received_time=now,
            signer=self.node_signer,
        ).SerializeToString()
        stored_at = tx.insert_document(
            NewDocument(
                request_id=verified.request_id,
                sender_country=caller,
                recipient_country=self.country,
                kind=doc.kind,
                payload_type=doc.payload_type,
                payload_sha256=verified.payload_sha256,
                envelope=envelope_bytes,
                certificate_key=doc.certificate.key,
                verification_id=doc.verification_id,
                store_time=now,
                origin="received",
                receipt=receipt,
            )
        )
        if stored_at != sequence:  # pragma: no cover - the store assigns next_sequence()
            raise NodeUnavailable("document stored at an unexpected sequence")
        for state in plan.states_to_write:
            tx.put_certificate(_state_row(state, request_id=verified.request_id, at=now))
        if plan.verification_to_write is not None:
            tx.put_verification(_case_row(plan.verification_to_write, at=now))
        return receipt

    # -- reading (REQ-ACC-003, REQ-ACC-004) ---------------------------------------------

    @staticmethod
    def _visible(record: DocumentRecord, caller: str) -> bool:
        return caller in (record.sender_country, record.recipient_country)

    def get_document(
        self, *, caller: str, request_id: str | None, certificate: CertificateRef | None
    ) -> DocumentRecord:
        """A document the caller may read (REQ-GET-001, REQ-ACC-003).

        Raises:
            UnknownDocument: Missing or not visible, with one message (REQ-ACC-004).
        """
        if request_id is not None:
            for record in self.store.documents_by_request_id(request_id):
                if self._visible(record, caller):
                    return record
        elif certificate is not None:
            found = self.store.certificate_document(certificate.key)
            if found is not None and self._visible(found, caller):
                return found
        raise UnknownDocument(_UNKNOWN)

    def certificate_state(self, *, caller: str, ref: CertificateRef) -> CertificateState:
        """Status of a certificate the caller is party to (REQ-ACC-003, REQ-ACC-004).

        Raises:
            UnknownDocument: Missing or not visible.
        """
        row = self.store.certificate(ref.key)
        if row is None or caller not in (row.exporting_country, row.importing_country):
            raise UnknownDocument(_UNKNOWN)
        return decode_state(row.state)

    def verification_case(self, *, caller: str, verification_id: str) -> VerificationCase:
        """A verification case the caller is party to (REQ-VER-003, REQ-ACC-004).

        Raises:
            UnknownDocument: Missing or not visible.
        """
        for row in self.store.verifications_by_id(verification_id):
            if caller in (row.requesting_country, row.exporting_country):
                return decode_case(row.state)
        raise UnknownDocument(_UNKNOWN)

    # -- issuing (sender role) ----------------------------------------------------------

    def _sign(self, payload_type: str, message: object) -> envelope_pb2.Envelope:
        payload = message.SerializeToString(deterministic=True)  # type: ignore[attr-defined]
        return sign_envelope(payload_type=payload_type, payload=payload, signers=[self.authority])

    def _precheck(self, envelope: envelope_pb2.Envelope, recipient: str, request_id: str) -> None:
        """Check an outgoing document as its recipient will (section 5.4 steps 2-8)."""
        verify_submission(
            request_id=request_id,
            envelope_bytes_len=envelope.ByteSize() + 64,
            envelope=envelope,
            caller_country=self.country,
            node_country=recipient,
            trust=self._trust,
            codelists=self.codelists,
            limits=self.config.limits,
            now=self.clock(),
        )

    def _partner_known(self, country: str) -> None:
        if country == self.country or country not in self.authenticator.countries():
            raise UnknownDocument(f"{country} is not a configured partner")

    def _store_issued(
        self,
        *,
        envelope: envelope_pb2.Envelope,
        recipient: str,
        kind: int,
        certificate: CertificateRef,
        verification_id: str | None,
        request_id: str,
        plan: Callable[[WriteTransaction, dt.datetime], None],
    ) -> Issued:
        envelope_bytes = envelope.SerializeToString()
        digest = payload_sha256(envelope.payload)

        def write(tx: WriteTransaction) -> int:
            now = self.clock()
            plan(tx, now)
            sequence = tx.insert_document(
                NewDocument(
                    request_id=request_id,
                    sender_country=self.country,
                    recipient_country=recipient,
                    kind=kind,
                    payload_type=envelope.payload_type,
                    payload_sha256=digest,
                    envelope=envelope_bytes,
                    certificate_key=certificate.key,
                    verification_id=verification_id,
                    store_time=now,
                    origin="issued",
                )
            )
            tx.enqueue(
                request_id=request_id,
                recipient=recipient,
                envelope=envelope_bytes,
                payload_sha256=digest,
                certificate_key=certificate.key,
                verification_id=verification_id,
                now=now,
            )
            return sequence

        sequence = self.store.write(write)
        logger.info(
            "issued %s for %s as %s (%s)",
            envelope.payload_type.split(".")[3] if envelope.payload_type.count(".") > 3 else "?",
            recipient,
            request_id,
            certificate.key,
        )
        return Issued(
            request_id=request_id,
            recipient_country=recipient,
            certificate=certificate,
            verification_id=verification_id,
            envelope=envelope,
            sequence=sequence,
        )

    def issue_certificate(
        self,
        co: certificate_pb2.CertificateOfOrigin,
        *,
        replaces: CertificateRef | None = None,
    ) -> Issued:
        """Issue, sign, store and queue a CO (sender role; REQ-LC-004 for replacements).

        Empty ``exporting_country``, ``issuing_authority`` and ``issue_date`` are
        filled with the node's own; everything else is signed as given.

        Raises:
            EcoError: The CO would be refused by its recipient, its number is
                already used (DUPLICATE_CONFLICT), or the replaced CO cannot be
                replaced.
        """
        co = certificate_pb2.CertificateOfOrigin.FromString(co.SerializeToString())
        if not co.exporting_country:
            co.exporting_country = self.country
        if not co.HasField("issuing_authority"):
            co.issuing_authority.id = self.config.node.authority_id
            co.issuing_authority.name = self.config.node.authority_name
        if not co.HasField("issue_date"):
            today = self.clock().date()
            co.issue_date.year, co.issue_date.month, co.issue_date.day = (
                today.year,
                today.month,
                today.day,
            )
        if replaces is not None:
            co.replaces.CopyFrom(replaces.to_proto())
        recipient = co.importing_country
        self._partner_known(recipient)
        request_id = str(uuid.uuid4())
        envelope = self._sign(payload_types.CERTIFICATE, co)
        self._precheck(envelope, recipient, request_id)
        ref = CertificateRef.of_certificate(co)

        def plan(tx: WriteTransaction, now: dt.datetime) -> None:
            if tx.certificate(ref.key) is not None:  # REQ-IDEM-004
                raise DuplicateConflict(f"certificate {ref.key} was already issued")
            state = new_certificate_state(
                co, at=now, import_state=lifecycle_pb2.IMPORT_STATE_UNSPECIFIED
            )
            tx.put_certificate(_state_row(state, request_id=request_id, at=now))
            if state.replaces is not None:
                old_row = tx.certificate(state.replaces.key)
                if old_row is None or old_row.importing_country != recipient:
                    raise UnknownDocument("the replaced certificate is not held by this node")
                old = apply_replacement(decode_state(old_row.state), replacement=ref, at=now)
                tx.put_certificate(_state_row(old, request_id=old_row.request_id, at=now))

        return self._store_issued(
            envelope=envelope,
            recipient=recipient,
            kind=payload_types.KIND_BY_TYPE[payload_types.CERTIFICATE],
            certificate=ref,
            verification_id=None,
            request_id=request_id,
            plan=plan,
        )

    def _own_state(self, ref: CertificateRef) -> CertificateState:
        row = self.store.certificate(ref.key)
        if row is None:
            raise UnknownDocument(f"certificate {ref.key} is not held by this node")
        return decode_state(row.state)

    def change_status(self, ref: CertificateRef, *, new_state: int, reason: str) -> Issued:
        """Cancel or revoke an issued CO and queue the StatusChange (REQ-LC-002).

        Raises:
            UnknownDocument: The CO was not issued by this node.
            FieldMissing: No reason.
            IllegalTransition: The change is not allowed.
        """
        if ref.exporting_country != self.country:
            raise UnknownDocument(f"certificate {ref.key} was not issued by this node")
        if not reason:
            raise FieldMissing(
                "a status change needs a reason",
                violations=[FieldViolation("reason", "mandatory field is missing")],
            )
        current = self._own_state(ref)
        effective = self.clock()
        change = lifecycle_pb2.StatusChange(
            certificate=ref.to_proto(),
            new_state=cast("lifecycle_pb2.IssuerState", new_state),
            reason=reason,
        )
        change.effective_time.FromDatetime(effective)
        apply_status_change(current, change, at=effective)  # fail early, before signing
        return self._issue_certificate_update(
            ref=ref,
            payload_type=payload_types.STATUS_CHANGE,
            message=change,
            recipient=current.importing_country,
            apply=lambda state, at: apply_status_change(state, change, at=at),
        )

    def record_import_outcome(self, outcome: lifecycle_pb2.ImportOutcome) -> Issued:
        """Record an outcome on a received CO and queue it to the exporter (REQ-LC-010).

        Raises:
            UnknownDocument: The CO was not received by this node.
            EcoError: The outcome breaks a rule of section 7.
        """
        outcome = lifecycle_pb2.ImportOutcome.FromString(outcome.SerializeToString())
        if not outcome.importing_country:
            outcome.importing_country = self.country
        if not outcome.HasField("effective_time"):
            outcome.effective_time.FromDatetime(self.clock())
        ref = CertificateRef.from_proto(outcome.certificate)
        current = self._own_state(ref)
        if current.importing_country != self.country:
            raise UnknownDocument(f"certificate {ref.key} was not received by this node")
        apply_import_outcome(current, outcome, at=self.clock())
        return self._issue_certificate_update(
            ref=ref,
            payload_type=payload_types.IMPORT_OUTCOME,
            message=outcome,
            recipient=ref.exporting_country,
            apply=lambda state, at: apply_import_outcome(state, outcome, at=at),
        )

    def _issue_certificate_update(
        self,
        *,
        ref: CertificateRef,
        payload_type: str,
        message: object,
        recipient: str,
        apply: Callable[[CertificateState, dt.datetime], CertificateState],
    ) -> Issued:
        """Sign, store and queue a document that changes a held CO's state (section 7).

        ``apply`` is the lifecycle rule; it runs again inside the write transaction on the
        state stored there, so a concurrent change cannot be overwritten.
        """
        request_id = str(uuid.uuid4())
        envelope = self._sign(payload_type, message)
        self._precheck(envelope, recipient, request_id)

        def plan(tx: WriteTransaction, now: dt.datetime) -> None:
            row = tx.certificate(ref.key)
            if row is None:
                raise UnknownDocument(f"certificate {ref.key} is not held by this node")
            state = apply(decode_state(row.state), now)
            tx.put_certificate(_state_row(state, request_id=row.request_id, at=now))

        return self._store_issued(
            envelope=envelope,
            recipient=recipient,
            kind=payload_types.KIND_BY_TYPE[payload_type],
            certificate=ref,
            verification_id=None,
            request_id=request_id,
            plan=plan,
        )

    def request_verification(self, request: verification_pb2.VerificationRequest) -> Issued:
        """Ask the exporting country to verify a received CO (REQ-VER-001).

        Raises:
            UnknownDocument: The CO was not received by this node.
            EcoError: The request breaks a rule of section 8.
        """
        request = verification_pb2.VerificationRequest.FromString(request.SerializeToString())
        if not request.verification_id:
            request.verification_id = str(uuid.uuid4())
        if not request.requesting_country:
            request.requesting_country = self.country
        ref = CertificateRef.from_proto(request.certificate)
        current = self._own_state(ref)
        if current.importing_country != self.country or ref.exporting_country == self.country:
            raise UnknownDocument(f"certificate {ref.key} was not received by this node")
        recipient = ref.exporting_country
        request_id = str(uuid.uuid4())
        envelope = self._sign(payload_types.VERIFICATION_REQUEST, request)
        self._precheck(envelope, recipient, request_id)
        case = open_verification(request, request_document_id=request_id)

        def plan(tx: WriteTransaction, now: dt.datetime) -> None:
            if tx.verification(self.country, request.verification_id) is not None:
                raise DuplicateConflict("verification_id already used")
            tx.put_verification(_case_row(case, at=now))

        return self._store_issued(
            envelope=envelope,
            recipient=recipient,
            kind=payload_types.KIND_BY_TYPE[payload_types.VERIFICATION_REQUEST],
            certificate=ref,
            verification_id=request.verification_id,
            request_id=request_id,
            plan=plan,
        )

    def respond_verification(self, result: verification_pb2.VerificationResult) -> Issued:
        """Answer a verification request this node received (REQ-VER-002).

        ``certificate`` may be left empty: it is taken from the case.

        Raises:
            UnknownDocument: No such case was received.
            IllegalTransition: The case was already answered.
        """
        result = verification_pb2.VerificationResult.FromString(result.SerializeToString())
        rows = [
            r
            for r in self.store.verifications_by_id(result.verification_id)
            if r.exporting_country == self.country and r.requesting_country != self.country
        ]
        if not rows:
            raise UnknownDocument(f"no verification case {result.verification_id!r} received")
        row = rows[0]
        case = decode_case(row.state)
        if not result.HasField("certificate"):
            result.certificate.CopyFrom(case.certificate.to_proto())
        if CertificateRef.from_proto(result.certificate) != case.certificate:
            raise UnknownDocument("the case concerns another certificate")
        if not result.HasField("response_date"):
            today = self.clock().date()
            result.response_date.year, result.response_date.month, result.response_date.day = (
                today.year,
                today.month,
                today.day,
            )
        request_id = str(uuid.uuid4())
        answer_verification(case, result, result_document_id=request_id)
        recipient = row.requesting_country
        envelope = self._sign(payload_types.VERIFICATION_RESULT, result)
        self._precheck(envelope, recipient, request_id)

        def plan(tx: WriteTransaction, now: dt.datetime) -> None:
            current = tx.verification(recipient, result.verification_id)
            if current is None:
                raise UnknownDocument("no such verification case")
            answered = answer_verification(
                decode_case(current.state), result, result_document_id=request_id
            )
            tx.put_verification(_case_row(answered, at=now))

        return self._store_issued(
            envelope=envelope,
            recipient=recipient,
            kind=payload_types.KIND_BY_TYPE[payload_types.VERIFICATION_RESULT],
            certificate=case.certificate,
            verification_id=result.verification_id,
            request_id=request_id,
            plan=plan,
        )

    # -- delivery callbacks (REQ-PUSH-004) ----------------------------------------------

    def verify_delivery_receipt(
        self, entry: OutboxRecord, receipt: envelope_pb2.Envelope, at: dt.datetime
    ) -> int:
        """Check a partner's receipt for an outbox entry; return its delivery status.

        Raises:
            EcoError: The receipt is not acceptable (REQ-PUSH-004).
        """
        parsed = verify_receipt(
            receipt,
            trust=self._trust,
            expected_request_id=entry.request_id,
            expected_payload_sha256=entry.payload_sha256,
            receiver_country=entry.recipient,
            at=at,
        )
        if parsed.sender_country and parsed.sender_country != self.country:
            raise FieldInvalid(
                "receipt names another sender",
                violations=[
                    FieldViolation("sender_country", "is not this node", "RECEIPT_MISMATCH")
                ],
            )
        return int(parsed.delivery_status)

    def accept_delivery_receipt(
        self,
        tx: WriteTransaction,
        entry: OutboxRecord,
        receipt: envelope_pb2.Envelope,
        at: dt.datetime,
    ) -> None:
        """Apply a verified delivery: a delivered CO becomes RECEIVED (section 7)."""
        del receipt
        envelope = envelope_pb2.Envelope.FromString(entry.envelope)
        if envelope.payload_type != payload_types.CERTIFICATE:
            return
        row = tx.certificate(entry.certificate_key)
        if row is None:
            return
        state = mark_received(decode_state(row.state), at=at)
        tx.put_certificate(dataclasses.replace(row, state=encode_state(state), update_time=at))
