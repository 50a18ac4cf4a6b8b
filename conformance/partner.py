"""The suite's own receiving node: partner country XA for the sender role.

docs/conformance.md "Sender role". The node under test is pointed at this server (adapter
``ConfigurePartner``) and pushes documents to it. :class:`PartnerNode` is a real gRPC server
with mutual TLS that implements ``ExchangeService.SubmitDocument`` and
``SubmitDocumentStream`` as a strict receiver would (docs/spec.md section 5.4 order), records
every arriving request (request id, exact envelope bytes, caller country, what was wrong with
it) and answers with a receipt signed by XA's node signer (REQ-PUSH-003).

Per request the suite can script the partner's behaviour (:class:`PartnerAction`): answer
UNAVAILABLE, stall past the sender's deadline, refuse permanently with a given reason,
return a badly signed receipt, or a validly signed receipt that is wrong in exactly one field
(:data:`RECEIPT_FAULTS`), so it can judge retries (REQ-PUSH-006, REQ-IDEM-*) and receipt
verification (REQ-PUSH-004) from outside.

Everything the partner finds wrong with an arrival is recorded in :attr:`Arrival.problems`
(and, as a real node would, refused with the spec's code and reason).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Final, Literal

import grpc
from cryptography import x509
from google.protobuf import any_pb2, text_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from conformance.adapter_client import AdapterClient, AdapterCommandError, AdapterError
from conformance.client import Exchange, ExchangeRecorder, Target
from conformance.envelopes import sign_envelope
from conformance.offline import (
    CERTIFICATE_TYPE,
    RECEIPT_TYPE,
    EnvelopeRejectedError,
    VerifiedEnvelope,
    parse_strict,
    recipient_country,
    verify_envelope,
)
from conformance.pki import Credential, SuitePki
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = [
    "ERROR_DOMAIN",
    "RECEIPT_FAULTS",
    "Arrival",
    "PartnerAction",
    "PartnerNode",
    "ReceiptFault",
    "SenderHarness",
    "partner_summary",
    "simple_certificate",
]

logger = logging.getLogger(__name__)

ERROR_DOMAIN: Final = "eco.wco.org"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NODE_URI = re.compile(r"^urn:wco:eco:node:([A-Z]{2})$")

ActionKind = Literal["accept", "unavailable", "delay", "refuse", "bad_receipt", "wrong_receipt"]

ReceiptFault = Literal[
    "payload_sha256",
    "request_id",
    "signer",
    "third_country_signer",
    "receiver_country",
    "sender_country",
    "delivery_status",
]
"""What a ``wrong_receipt`` answer gets wrong, one thing at a time (docs/spec.md REQ-PUSH-003):
the payload digest, the request id, the signer (XA's issuing authority instead of its node
signer, or the node signer of the third country XC), either country (XC instead of XA or the
node's), or the delivery status (FAILED)."""

RECEIPT_FAULTS: Final[tuple[ReceiptFault, ...]] = (
    "payload_sha256",
    "request_id",
    "signer",
    "third_country_signer",
    "receiver_country",
    "sender_country",
    "delivery_status",
)
#: The country a wrong receipt names in place of the right one.
_OTHER_COUNTRY: Final = "XC"


@dataclass(frozen=True, kw_only=True)
class PartnerAction:
    """What the partner does with one arriving submission.

    Build with the class methods. ``accept`` is a strict receiver: an arrival that breaks a
    rule is refused with the spec's reason. The other actions apply only to arrivals that
    pass every check (a broken arrival is always refused as a receiver must).

    Attributes:
        kind: the behaviour.
        code: gRPC code for ``refuse``.
        reason: ErrorInfo reason for ``refuse``.
        seconds: stall for ``delay`` (the document is then stored and receipted normally, so
            the sender's retry must get the original receipt).
        fault: what a ``wrong_receipt`` answer gets wrong.
    """

    kind: ActionKind
    code: grpc.StatusCode = grpc.StatusCode.OK
    reason: str = ""
    seconds: float = 0.0
    fault: ReceiptFault | None = None

    @classmethod
    def accept(cls) -> PartnerAction:
        """Store and answer with a correct receipt."""
        return cls(kind="accept")

    @classmethod
    def unavailable(cls) -> PartnerAction:
        """Answer UNAVAILABLE ``NODE_UNAVAILABLE`` and store nothing."""
        return cls(kind="unavailable", code=grpc.StatusCode.UNAVAILABLE, reason="NODE_UNAVAILABLE")

    @classmethod
    def delay(cls, seconds: float) -> PartnerAction:
        """Stall ``seconds`` (past the sender's deadline), then store and receipt."""
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def refuse(cls, code: grpc.StatusCode, reason: str) -> PartnerAction:
        """Refuse permanently with ``code`` and ErrorInfo ``reason``; store nothing."""
        return cls(kind="refuse", code=code, reason=reason)

    @classmethod
    def bad_receipt(cls) -> PartnerAction:
        """Store, but answer with a receipt whose signature does not verify."""
        return cls(kind="bad_receipt")

    @classmethod
    def wrong_receipt(cls, fault: ReceiptFault) -> PartnerAction:
        """Store, but answer with a validly signed receipt that is wrong in ``fault`` only.

        Every other field is the correct receipt's; for ``signer`` the correct receipt is
        signed by XA's issuing authority, a valid XA key that is not its node signer.
        """
        return cls(kind="wrong_receipt", fault=fault)


@dataclass(frozen=True, kw_only=True)
class Arrival:
    """One submission that reached the partner.

    Attributes:
        index: arrival order, from 0.
        request_id: the request id as sent.
        envelope_bytes: the envelope exactly as serialized on the wire.
        payload_type: the envelope's payload type.
        payload: the envelope's payload bytes.
        caller_country: country of the TLS client certificate.
        action: what the partner did.
        problems: what the partner found wrong (empty for a correct arrival).
        reason: ErrorInfo reason of the refusal sent, "" when a receipt was sent.
        document: the parsed payload when it verified, else None.
        duplicate: True when this was a retry of an already stored request id.
        stream: True when it came through SubmitDocumentStream.
        time: when the answer was sent (wall clock).
        started: monotonic time the request reached the partner.
        finished: monotonic time the answer was sent.
    """

    index: int
    request_id: str
    envelope_bytes: bytes
    payload_type: str
    payload: bytes
    caller_country: str
    action: ActionKind
    problems: tuple[str, ...]
    reason: str
    document: Message | None
    duplicate: bool
    stream: bool
    time: dt.datetime
    started: float = 0.0
    finished: float = 0.0


@dataclass
class _Stored:
    request_id: str
    payload_type: str
    payload: bytes
    receipt: envelope_pb2.Envelope
    sequence: int
    document: Message


@dataclass
class _RejectedError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    fields: tuple[str, ...] = field(default=())


def _status(
    code: grpc.StatusCode, reason: str, message: str, fields: Sequence[str] = ()
) -> status_pb2.Status:
    status = status_pb2.Status(code=code.value[0], message=message)
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN))
    status.details.append(info)
    if fields:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=f, description=message)
                for f in fields
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad)
        status.details.append(detail)
    return status


def _caller_country(context: grpc.ServicerContext) -> str:
    auth = context.auth_context()
    found: bytes | list[bytes] = auth.get("x509_pem_cert") or []
    pems: list[bytes] = [found] if isinstance(found, bytes) else list(found)
    if not pems:
        raise _RejectedError(
            grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", "no client certificate"
        )
    certificate = x509.load_pem_x509_certificate(pems[0])
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    for uri in san.get_values_for_type(x509.UniformResourceIdentifier):
        match = _NODE_URI.match(uri)
        if match:
            return match[1]
    raise _RejectedError(
        grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", "client certificate names no node"
    )


class PartnerNode:
    """A strict receiving node for one suite country, with a scriptable behaviour.

    Use :meth:`from_pki` to build it from the suite PKI, then :meth:`start` (or ``with``).
    """

    def __init__(
        self,
        *,
        country: str,
        node_country: str,
        server: Credential,
        node_signer: Credential,
        client_ca_pem: bytes,
        node_trust_anchors: Sequence[x509.Certificate],
        server_ca_pem: bytes,
        other_signer: Credential | None = None,
        third_country_signer: Credential | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """Creates a stopped partner.

        Args:
            country: the country the partner plays (XA).
            node_country: the country of the node under test (the expected sender).
            server: TLS server credential of ``country``.
            node_signer: node signer of ``country``; signs receipts (REQ-PUSH-003).
            client_ca_pem: CA(s) of the node under test's TLS client certificate.
            node_trust_anchors: document trust anchors of ``node_country``.
            server_ca_pem: CA of ``server`` (what the node under test must trust).
            other_signer: a valid signer of ``country`` that is not its node signer (the
                ``signer`` fault of :meth:`PartnerAction.wrong_receipt`).
            third_country_signer: the node signer of a third country that the node under
                test trusts (the ``third_country_signer`` fault).
            clock: current time, injected; default the real UTC clock.
            host: interface to bind (loopback by default).
        """
        self.country = country
        self.node_country = node_country
        self._server_credential = server
        self._node_signer = node_signer
        self._other_signer = other_signer
        self._third_country_signer = third_country_signer
        self._client_ca_pem = client_ca_pem
        self._anchors = {node_country: list(node_trust_anchors)}
        self.server_ca_pem = server_ca_pem
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._host = host
        self._lock = threading.Condition()
        self._arrivals: list[Arrival] = []
        self._stored: dict[tuple[str, str], _Stored] = {}
        self._certificates: dict[tuple[str, str, str], _Stored] = {}
        self._plans: dict[str, deque[PartnerAction]] = {}
        self._certificate_plans: dict[tuple[str, str], deque[PartnerAction]] = {}
        self._next: deque[PartnerAction] = deque()
        self._default = PartnerAction.accept()
        self._sequence = 0
        self._server: grpc.Server | None = None
        self._port = 0
        self.recorder: ExchangeRecorder | None = None
        """When set, every arrival is also recorded here for the case's report."""

    @classmethod
    def for_target(cls, pki: SuitePki, target: Target, *, country: str = "XA") -> PartnerNode:
        """Builds partner ``country`` for the node under test, trusting its TLS CA and anchors."""
        return cls.from_pki(
            pki,
            country=country,
            node_country=target.node_country,
            node_tls_ca_pem=target.server_ca_pem,
            node_trust_anchors=x509.load_pem_x509_certificates(target.node_trust_anchors_pem),
        )

    @classmethod
    def from_pki(
        cls,
        pki: SuitePki,
        *,
        country: str = "XA",
        node_country: str | None = None,
        node_tls_ca_pem: bytes | None = None,
        node_trust_anchors: Sequence[x509.Certificate] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> PartnerNode:
        """Builds the partner for ``country`` from the suite PKI.

        The node under test's TLS CA and document anchors default to the PKI's node country
        (embedded mode); a foreign node passes its own.
        """
        own = pki.country(country)
        target = node_country or pki.node_country
        if node_tls_ca_pem is None or node_trust_anchors is None:
            node = pki.country(target)
            node_tls_ca_pem = node_tls_ca_pem or node.tls_ca_pem()
            if node_trust_anchors is None:
                node_trust_anchors = [node.root.certificate]
        return cls(
            country=country,
            node_country=target,
            server=own.node_server,
            node_signer=own.node_signer,
            client_ca_pem=node_tls_ca_pem,
            node_trust_anchors=node_trust_anchors,
            server_ca_pem=own.tls_ca_pem(),
            other_signer=own.authority,
            third_country_signer=_third_country_node_signer(pki, country, target),
            clock=clock,
        )

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` the partner serves on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("partner not started")
        return f"{self._host}:{self._port}"

    def start(self) -> str:
        """Starts serving on an ephemeral port; returns the address."""
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix=f"partner-{self.country}")
        )
        exchange_service_pb2_grpc.add_ExchangeServiceServicer_to_server(_Servicer(self), server)
        credentials = grpc.ssl_server_credentials(
            [(self._server_credential.key_pem(), self._server_credential.chain_pem())],
            root_certificates=self._client_ca_pem,
            require_client_auth=True,
        )
        self._port = server.add_secure_port(f"{self._host}:0", credentials)
        server.start()
        self._server = server
        logger.info("partner %s serving on %s", self.country, self.address)
        return self.address

    def stop(self) -> None:
        """Stops the server (pending stalls are cut short)."""
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def __enter__(self) -> PartnerNode:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting -----------------------------------------------------------------------

    def plan(self, request_id: str, *actions: PartnerAction) -> None:
        """Scripts the next arrivals of ``request_id``; afterwards the default applies."""
        with self._lock:
            self._plans.setdefault(request_id.lower(), deque()).extend(actions)

    def plan_certificate(
        self,
        certificate_number: str,
        *actions: PartnerAction,
        payload_type: str = CERTIFICATE_TYPE,
    ) -> None:
        """Scripts the next arrivals of documents about ``certificate_number``.

        Use this before the node issues the document: a node may deliver in the background
        as soon as it has queued it, before the suite learns its request id. It matches
        envelopes of ``payload_type`` whose CO (or referenced certificate) has that number.
        """
        with self._lock:
            self._certificate_plans.setdefault((payload_type, certificate_number), deque()).extend(
                actions
            )

    def plan_next(self, *actions: PartnerAction) -> None:
        """Scripts the next arrivals of any request id without its own plan, in order."""
        with self._lock:
            self._next.extend(actions)

    def set_default(self, action: PartnerAction) -> None:
        """Sets what happens when no plan applies (initially :meth:`PartnerAction.accept`)."""
        with self._lock:
            self._default = action

    def reset(self) -> None:
        """Clears plans and restores the default; keeps arrivals and stored documents."""
        with self._lock:
            self._plans.clear()
            self._certificate_plans.clear()
            self._next.clear()
            self._default = PartnerAction.accept()

    # -- observation ---------------------------------------------------------------------

    def arrivals(self, request_id: str | None = None) -> list[Arrival]:
        """Every arrival so far (of one request id, when given), in order."""
        with self._lock:
            if request_id is None:
                return list(self._arrivals)
            return [a for a in self._arrivals if a.request_id.lower() == request_id.lower()]

    def stored_request_ids(self) -> list[str]:
        """Request ids the partner stored (receipted), in store order."""
        with self._lock:
            return [s.request_id for s in sorted(self._stored.values(), key=lambda s: s.sequence)]

    def stored_document(self, request_id: str) -> tuple[str, bytes] | None:
        """(payload type, payload) stored under ``request_id``, or None."""
        with self._lock:
            stored = self._stored.get((self.node_country, request_id.lower()))
            return None if stored is None else (stored.payload_type, stored.payload)

    def receipt_for(self, request_id: str) -> envelope_pb2.Envelope | None:
        """The correctly signed receipt stored for ``request_id``, or None."""
        with self._lock:
            stored = self._stored.get((self.node_country, request_id.lower()))
            return None if stored is None else stored.receipt

    def wait_for(
        self, predicate: Callable[[list[Arrival]], bool], timeout: float = 15.0
    ) -> list[Arrival]:
        """Waits until ``predicate(arrivals)`` holds; returns the arrivals either way."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self._arrivals):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self._arrivals)

    # -- processing ----------------------------------------------------------------------

    def _take_action(self, request_id: str, envelope: envelope_pb2.Envelope) -> PartnerAction:
        plan = self._plans.get(request_id.lower())
        if plan:
            return plan.popleft()
        if self._certificate_plans:
            number = _certificate_number(envelope)
            by_number = self._certificate_plans.get((envelope.payload_type, number))
            if by_number:
                self._plans[request_id.lower()] = by_number
                del self._certificate_plans[(envelope.payload_type, number)]
                return by_number.popleft()
        if self._next:
            return self._next.popleft()
        return self._default

    def handle(
        self,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        context: grpc.ServicerContext,
        *,
        stream: bool,
    ) -> envelope_pb2.Envelope:
        """Processes one submission; returns the receipt or raises :class:`_RejectedError`."""
        started = time.monotonic()
        envelope_bytes = envelope.SerializeToString()
        problems: list[str] = []
        caller = ""
        document: Message | None = None
        duplicate = False
        reason = ""
        with self._lock:
            action = self._take_action(request_id, envelope)
        if action.kind == "delay":
            # Stall before looking at the request: a retry that arrives meanwhile is
            # processed first, and this one then finds it stored (idempotent answer).
            time.sleep(action.seconds)
        try:
            try:
                caller = _caller_country(context)
                previous, verified = self._verify(caller, request_id, envelope, problems)
            except _RejectedError as rejected:
                problems.append(f"{rejected.reason}: {rejected.message}")
                raise
            duplicate = previous is not None
            if previous is not None:
                document = previous.document
            elif verified is not None:
                document = verified.document
            if action.kind in ("unavailable", "refuse"):
                raise _RejectedError(action.code, action.reason, f"scripted {action.kind}")
            if previous is not None:
                receipt = previous.receipt
            else:
                assert verified is not None
                receipt = self._store(caller, request_id, envelope, verified, self._clock())
            if action.kind == "bad_receipt":
                receipt = _corrupt(receipt)
            elif action.kind == "wrong_receipt":
                assert action.fault is not None
                receipt = self._wrong_receipt(receipt, action.fault)
            return receipt
        except _RejectedError as rejected:
            reason = rejected.reason
            raise
        finally:
            with self._lock:
                self._arrivals.append(
                    Arrival(
                        index=len(self._arrivals),
                        request_id=request_id,
                        envelope_bytes=envelope_bytes,
                        payload_type=envelope.payload_type,
                        payload=envelope.payload,
                        caller_country=caller,
                        action=action.kind,
                        problems=tuple(problems),
                        reason=reason,
                        document=document,
                        duplicate=duplicate,
                        stream=stream,
                        time=self._clock(),
                        started=started,
                        finished=time.monotonic(),
                    )
                )
                self._lock.notify_all()
            if self.recorder is not None:
                self.recorder.record(
                    Exchange(
                        rpc=f"partner {self.country} <- SubmitDocument"
                        + ("Stream" if stream else ""),
                        caller=caller or "?",
                        request=f"request_id={request_id} payload_type={envelope.payload_type} "
                        f"payload_sha256={hashlib.sha256(envelope.payload).hexdigest()}",
                        outcome=reason or "OK (receipt)",
                        response=f"scripted action: {action.kind}",
                        message="; ".join(problems),
                    )
                )

    def _verify(
        self,
        caller: str,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        problems: list[str],
    ) -> tuple[_Stored | None, VerifiedEnvelope | None]:
        """Steps 2..9 of docs/spec.md section 5.4, without storing anything."""
        if caller != self.node_country:
            problems.append(f"caller {caller} is not the node under test ({self.node_country})")
        if not _UUID.match(request_id):
            raise _RejectedError(
                grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_INVALID", "request id is not a UUID"
            )
        with self._lock:
            previous = self._stored.get((caller, request_id.lower()))
        if previous is not None:
            if (
                previous.payload_type == envelope.payload_type
                and previous.payload == envelope.payload
            ):
                return previous, None
            raise _RejectedError(
                grpc.StatusCode.ALREADY_EXISTS,
                "DUPLICATE_CONFLICT",
                "request id reused with other bytes",
            )
        try:
            verified = verify_envelope(envelope, trust_anchors=self._anchors, at=self._clock())
        except EnvelopeRejectedError as exc:
            raise _RejectedError(grpc.StatusCode[exc.code], exc.reason, str(exc)) from exc
        self._authorise(caller, verified)
        self._check_fields(verified)
        if isinstance(verified.document, certificate_pb2.CertificateOfOrigin):
            reference = certificate_pb2.CertificateReference(
                exporting_country=verified.document.exporting_country,
                issuing_authority_id=verified.document.issuing_authority.id,
                certificate_number=verified.document.certificate_number,
            )
            if self._held(reference) is not None:
                raise _RejectedError(
                    grpc.StatusCode.ALREADY_EXISTS,
                    "DUPLICATE_CONFLICT",
                    "certificate number already held under another request id",
                )
        return None, verified

    def _authorise(self, caller: str, verified: VerifiedEnvelope) -> None:
        document = verified.document
        importing = ""
        if isinstance(document, lifecycle_pb2.StatusChange | verification_pb2.VerificationResult):
            held = self._held(document.certificate)
            importing = self.country if held is not None else ""
        recipient = recipient_country(document, importing_country=importing)
        if verified.sending_country != caller or recipient != self.country:
            if isinstance(document, lifecycle_pb2.StatusChange) and not importing:
                raise _RejectedError(
                    grpc.StatusCode.NOT_FOUND, "UNKNOWN_DOCUMENT", "status change of an unknown CO"
                )
            raise _RejectedError(
                grpc.StatusCode.PERMISSION_DENIED,
                "SENDER_MISMATCH",
                f"document from {verified.sending_country!r} to {recipient!r} "
                f"submitted by {caller}",
            )

    def _held(self, reference: certificate_pb2.CertificateReference) -> _Stored | None:
        with self._lock:
            return self._certificates.get(
                (
                    reference.exporting_country,
                    reference.issuing_authority_id,
                    reference.certificate_number,
                )
            )

    def _check_fields(self, verified: VerifiedEnvelope) -> None:
        """A light subset of section 4: mandatory fields and the replacement reference."""
        document = verified.document
        if isinstance(document, certificate_pb2.CertificateOfOrigin):
            missing = [
                name
                for name, present in (
                    ("certificate_number", bool(document.certificate_number)),
                    ("agreement_id", bool(document.agreement_id)),
                    ("form_type", bool(document.form_type)),
                    ("issuing_authority.name", bool(document.issuing_authority.name)),
                    ("issue_date", document.HasField("issue_date")),
                    ("exporter.name", bool(document.exporter.name)),
                    ("consignee.name", bool(document.consignee.name)),
                    ("goods_items", len(document.goods_items) > 0),
                )
                if not present
            ]
            if missing:
                raise _RejectedError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "FIELD_MISSING",
                    "mandatory fields missing",
                    tuple(missing),
                )
            numbers = [item.item_number for item in document.goods_items]
            if numbers != list(range(1, len(numbers) + 1)):
                raise _RejectedError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "FIELD_INVALID",
                    "goods items not numbered 1..n",
                    ("goods_items",),
                )
            if document.HasField("replaces") and self._held(document.replaces) is None:
                raise _RejectedError(
                    grpc.StatusCode.NOT_FOUND, "UNKNOWN_DOCUMENT", "replaced CO not held"
                )
        elif isinstance(document, lifecycle_pb2.StatusChange):
            missing = [
                name
                for name, present in (
                    ("reason", bool(document.reason)),
                    ("effective_time", document.HasField("effective_time")),
                )
                if not present
            ]
            if missing:
                raise _RejectedError(
                    grpc.StatusCode.INVALID_ARGUMENT, "FIELD_MISSING", "missing", tuple(missing)
                )
        elif isinstance(document, verification_pb2.VerificationRequest) and not _UUID.match(
            document.verification_id
        ):
            raise _RejectedError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "FIELD_INVALID",
                "verification_id is not a UUID",
                ("verification_id",),
            )

    def _store(
        self,
        caller: str,
        request_id: str,
        envelope: envelope_pb2.Envelope,
        verified: VerifiedEnvelope,
        now: dt.datetime,
    ) -> envelope_pb2.Envelope:
        document = verified.document
        reference: certificate_pb2.CertificateReference | None = None
        if isinstance(document, certificate_pb2.CertificateOfOrigin):
            reference = certificate_pb2.CertificateReference(
                exporting_country=document.exporting_country,
                issuing_authority_id=document.issuing_authority.id,
                certificate_number=document.certificate_number,
            )
        elif isinstance(
            document,
            lifecycle_pb2.StatusChange
            | lifecycle_pb2.ImportOutcome
            | verification_pb2.VerificationRequest
            | verification_pb2.VerificationResult,
        ):
            reference = document.certificate
        with self._lock:
            existing = self._stored.get((caller, request_id.lower()))
            if existing is not None and existing.payload == envelope.payload:
                return existing.receipt  # a concurrent retry stored it first
            self._sequence += 1
            receipt = envelope_pb2.Receipt(
                request_id=request_id,
                payload_sha256=hashlib.sha256(envelope.payload).hexdigest(),
                payload_type=envelope.payload_type,
                receiver_country=self.country,
                sender_country=caller,
                delivery_status=envelope_pb2.DELIVERY_STATUS_DELIVERED,
                sequence=self._sequence,
            )
            receipt.received_time.FromDatetime(now)
            if reference is not None:
                receipt.certificate.CopyFrom(
                    envelope_pb2.CertificateReferenceDigest(
                        exporting_country=reference.exporting_country,
                        issuing_authority_id=reference.issuing_authority_id,
                        certificate_number=reference.certificate_number,
                    )
                )
            signed = sign_envelope(RECEIPT_TYPE, receipt.SerializeToString(), [self._node_signer])
            stored = _Stored(
                request_id=request_id,
                payload_type=envelope.payload_type,
                payload=envelope.payload,
                receipt=signed,
                sequence=self._sequence,
                document=document,
            )
            self._stored[(caller, request_id.lower())] = stored
            if envelope.payload_type == CERTIFICATE_TYPE and reference is not None:
                self._certificates[
                    (
                        reference.exporting_country,
                        reference.issuing_authority_id,
                        reference.certificate_number,
                    )
                ] = stored
            return signed

    def _wrong_receipt(
        self, receipt_envelope: envelope_pb2.Envelope, fault: ReceiptFault
    ) -> envelope_pb2.Envelope:
        """The correct receipt with one field wrong, validly signed (REQ-PUSH-004 faults)."""
        receipt = envelope_pb2.Receipt.FromString(receipt_envelope.payload)
        signer = self._node_signer
        if fault == "payload_sha256":
            receipt.payload_sha256 = hashlib.sha256(
                b"other bytes" + receipt.payload_sha256.encode()
            ).hexdigest()
        elif fault == "request_id":
            receipt.request_id = str(uuid.uuid4())
        elif fault == "signer":
            if self._other_signer is None:
                raise RuntimeError("the partner has no signer other than its node signer")
            signer = self._other_signer
        elif fault == "third_country_signer":
            if self._third_country_signer is None:
                raise RuntimeError("the partner has no node signer of a third country")
            signer = self._third_country_signer
        elif fault == "receiver_country":
            receipt.receiver_country = _OTHER_COUNTRY
        elif fault == "sender_country":
            receipt.sender_country = _OTHER_COUNTRY
        else:
            receipt.delivery_status = envelope_pb2.DELIVERY_STATUS_FAILED
        return sign_envelope(RECEIPT_TYPE, receipt.SerializeToString(), [signer])


def _third_country_node_signer(pki: SuitePki, country: str, node_country: str) -> Credential | None:
    """The node signer of the first suite country that is neither ``country`` nor the node's."""
    for other in pki.suite_countries:
        if other not in (country, node_country):
            return pki.country(other).node_signer
    return None


def _certificate_number(envelope: envelope_pb2.Envelope) -> str:
    """The certificate number a document is about, or "" when it does not parse."""
    try:
        document = parse_strict(envelope.payload_type, envelope.payload)
    except EnvelopeRejectedError:
        return ""
    if isinstance(document, certificate_pb2.CertificateOfOrigin):
        return document.certificate_number
    reference = getattr(document, "certificate", None)
    if isinstance(reference, certificate_pb2.CertificateReference):
        return reference.certificate_number
    return ""


def _corrupt(receipt: envelope_pb2.Envelope) -> envelope_pb2.Envelope:
    copy = envelope_pb2.Envelope()
    copy.CopyFrom(receipt)
    raw = bytearray(copy.signatures[0].signature)
    raw[len(raw) // 2] ^= 0x01
    copy.signatures[0].signature = bytes(raw)
    return copy


class _Servicer(exchange_service_pb2_grpc.ExchangeServiceServicer):
    def __init__(self, partner: PartnerNode) -> None:
        self._partner = partner

    def SubmitDocument(  # noqa: N802 - gRPC method name
        self,
        request: exchange_service_pb2.SubmitDocumentRequest,
        context: grpc.ServicerContext,
    ) -> exchange_service_pb2.SubmitDocumentResponse:
        try:
            receipt = self._partner.handle(
                request.request_id, request.envelope, context, stream=False
            )
        except _RejectedError as rejected:
            context.abort_with_status(
                rpc_status.to_status(
                    _status(rejected.code, rejected.reason, rejected.message, rejected.fields)
                )
            )
            raise AssertionError("abort_with_status returned") from None
        return exchange_service_pb2.SubmitDocumentResponse(receipt=receipt)

    def SubmitDocumentStream(  # noqa: N802 - gRPC method name
        self,
        request_iterator: Iterator[exchange_service_pb2.SubmitDocumentStreamRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[exchange_service_pb2.SubmitDocumentStreamResponse]:
        for request in request_iterator:
            response = exchange_service_pb2.SubmitDocumentStreamResponse(
                request_id=request.request_id
            )
            try:
                response.receipt.CopyFrom(
                    self._partner.handle(request.request_id, request.envelope, context, stream=True)
                )
            except _RejectedError as rejected:
                response.error.CopyFrom(
                    _status(rejected.code, rejected.reason, rejected.message, rejected.fields)
                )
            yield response

    def _unimplemented(self, context: grpc.ServicerContext) -> None:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the suite partner only receives documents")

    def GetDocument(  # noqa: N802 - gRPC method name
        self, request: exchange_service_pb2.GetDocumentRequest, context: grpc.ServicerContext
    ) -> exchange_service_pb2.GetDocumentResponse:
        self._unimplemented(context)
        return exchange_service_pb2.GetDocumentResponse()

    def GetCertificateStatus(  # noqa: N802 - gRPC method name
        self,
        request: exchange_service_pb2.GetCertificateStatusRequest,
        context: grpc.ServicerContext,
    ) -> exchange_service_pb2.GetCertificateStatusResponse:
        self._unimplemented(context)
        return exchange_service_pb2.GetCertificateStatusResponse()

    def GetVerificationStatus(  # noqa: N802 - gRPC method name
        self,
        request: exchange_service_pb2.GetVerificationStatusRequest,
        context: grpc.ServicerContext,
    ) -> exchange_service_pb2.GetVerificationStatusResponse:
        self._unimplemented(context)
        return exchange_service_pb2.GetVerificationStatusResponse()

    def ListDocuments(  # noqa: N802 - gRPC method name
        self, request: exchange_service_pb2.ListDocumentsRequest, context: grpc.ServicerContext
    ) -> exchange_service_pb2.ListDocumentsResponse:
        self._unimplemented(context)
        return exchange_service_pb2.ListDocumentsResponse()

    def WatchDocuments(  # noqa: N802 - gRPC method name
        self, request: exchange_service_pb2.WatchDocumentsRequest, context: grpc.ServicerContext
    ) -> Iterator[exchange_service_pb2.WatchDocumentsResponse]:
        self._unimplemented(context)
        yield from ()


def partner_summary(arrivals: Sequence[Arrival]) -> list[Mapping[str, object]]:
    """A JSON-friendly digest of arrivals for reports."""
    return [
        {
            "index": a.index,
            "request_id": a.request_id,
            "payload_type": a.payload_type,
            "caller": a.caller_country,
            "action": a.action,
            "reason": a.reason,
            "problems": list(a.problems),
            "duplicate": a.duplicate,
            "envelope_sha256": hashlib.sha256(a.envelope_bytes).hexdigest(),
        }
        for a in arrivals
    ]


class SenderHarness:
    """Drives the node under test's sender role (adapter protocol) against a partner.

    docs/conformance.md "Sender role": the suite issues documents through the adapter, asks
    it to deliver, and judges what reaches :class:`PartnerNode` and what the node reports
    in its outbox.
    """

    def __init__(
        self,
        *,
        adapter: AdapterClient,
        partner: PartnerNode,
        recorder: ExchangeRecorder | None = None,
    ) -> None:
        """Creates the harness; call :meth:`configure` before issuing.

        Args:
            adapter: the node's adapter.
            partner: the partner the node delivers to.
            recorder: where adapter commands and partner arrivals are recorded for the
                report (usually ``target.recorder``).
        """
        self.adapter = adapter
        self.partner = partner
        self.recorder = recorder
        if recorder is not None:
            partner.recorder = recorder
        self._describe: adapter_pb2.DescribeResult | None = None

    def _run(
        self, request: adapter_pb2.ExecuteRequest, timeout: float = 60.0
    ) -> adapter_pb2.ExecuteResponse:
        command = request.WhichOneof("command") or "?"
        try:
            response = self.adapter.run(request, timeout=timeout)
        except AdapterCommandError as exc:
            self._record(command, request, f"adapter error code {exc.response.error.code}", "")
            raise
        self._record(
            command, request, "OK", text_format.MessageToString(response, as_one_line=True)
        )
        return response

    def _record(
        self, command: str, request: adapter_pb2.ExecuteRequest, outcome: str, response: str
    ) -> None:
        if self.recorder is None:
            return
        text = text_format.MessageToString(request, as_one_line=True)
        self.recorder.record(
            Exchange(
                rpc=f"adapter {command}",
                caller="suite",
                request=text[:2000],
                outcome=outcome,
                response=response[:2000],
            )
        )

    def describe(self) -> adapter_pb2.DescribeResult:
        """Who the node is (cached)."""
        if self._describe is None:
            response = self._run(adapter_pb2.ExecuteRequest(describe=adapter_pb2.DescribeCommand()))
            self._describe = response.describe
        return self._describe

    def configure(self, *, deadline_ms: int = 0, address: str | None = None) -> None:
        """Points the node at the partner (``ConfigurePartnerCommand``)."""
        self._run(
            adapter_pb2.ExecuteRequest(
                configure_partner=adapter_pb2.ConfigurePartnerCommand(
                    country=self.partner.country,
                    address=address or self.partner.address,
                    tls_ca_pem=self.partner.server_ca_pem,
                    deadline_ms=deadline_ms,
                )
            )
        )

    def _queued(self, request: adapter_pb2.ExecuteRequest) -> adapter_pb2.QueuedDocument:
        response = self._run(request)
        if response.WhichOneof("result") != "queued":
            raise AdapterError(
                f"adapter answered {request.WhichOneof('command')} without a QueuedDocument"
            )
        return response.queued

    def issue(self, certificate: certificate_pb2.CertificateOfOrigin) -> adapter_pb2.QueuedDocument:
        """``IssueCertificateCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                issue_certificate=adapter_pb2.IssueCertificateCommand(certificate=certificate)
            )
        )

    def change_status(
        self,
        reference: certificate_pb2.CertificateReference,
        new_state: lifecycle_pb2.IssuerState,
        reason: str,
    ) -> adapter_pb2.QueuedDocument:
        """``ChangeStatusCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                change_status=adapter_pb2.ChangeStatusCommand(
                    certificate=reference, new_state=new_state, reason=reason
                )
            )
        )

    def replace(
        self,
        replaced: certificate_pb2.CertificateReference,
        certificate: certificate_pb2.CertificateOfOrigin,
    ) -> adapter_pb2.QueuedDocument:
        """``ReplaceCertificateCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                replace_certificate=adapter_pb2.ReplaceCertificateCommand(
                    replaced=replaced, certificate=certificate
                )
            )
        )

    def record_import_outcome(
        self, outcome: lifecycle_pb2.ImportOutcome
    ) -> adapter_pb2.QueuedDocument:
        """``RecordImportOutcomeCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                record_import_outcome=adapter_pb2.RecordImportOutcomeCommand(outcome=outcome)
            )
        )

    def request_verification(
        self, request: verification_pb2.VerificationRequest
    ) -> adapter_pb2.QueuedDocument:
        """``RequestVerificationCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                request_verification=adapter_pb2.RequestVerificationCommand(request=request)
            )
        )

    def respond_verification(
        self, result: verification_pb2.VerificationResult
    ) -> adapter_pb2.QueuedDocument:
        """``RespondVerificationCommand``."""
        return self._queued(
            adapter_pb2.ExecuteRequest(
                respond_verification=adapter_pb2.RespondVerificationCommand(result=result)
            )
        )

    def outbox(self) -> dict[str, adapter_pb2.OutboxEntry]:
        """The node's outbox by lower-case request id (``GetOutboxCommand``)."""
        response = self._run(adapter_pb2.ExecuteRequest(get_outbox=adapter_pb2.GetOutboxCommand()))
        return {entry.request_id.lower(): entry for entry in response.outbox.entries}

    def deliver(self, timeout_ms: int = 3000) -> None:
        """One ``DeliverCommand``."""
        self._run(
            adapter_pb2.ExecuteRequest(deliver=adapter_pb2.DeliverCommand(timeout_ms=timeout_ms)),
            timeout=timeout_ms / 1000 + 30,
        )

    def deliver_until_settled(
        self, request_ids: Sequence[str], *, timeout: float = 30.0
    ) -> dict[str, adapter_pb2.OutboxEntry]:
        """Delivers until none of ``request_ids`` is PENDING any more, or ``timeout``.

        Returns:
            The outbox entries of ``request_ids`` (missing ids are absent).
        """
        wanted = [r.lower() for r in request_ids]
        deadline = time.monotonic() + timeout
        while True:
            self.deliver(timeout_ms=2000)
            outbox = self.outbox()
            entries = {r: outbox[r] for r in wanted if r in outbox}
            settled = len(entries) == len(wanted) and all(
                e.status != envelope_pb2.DELIVERY_STATUS_PENDING for e in entries.values()
            )
            if settled or time.monotonic() >= deadline:
                return entries


def simple_certificate(
    *,
    number: str,
    exporting_country: str,
    importing_country: str,
    authority_id: str,
    today: dt.date,
    description: str = "Canned pineapple",
) -> certificate_pb2.CertificateOfOrigin:
    """One small CO that satisfies every rule of docs/spec.md section 4 (ATIGA Form D)."""
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="ATIGA",
        form_type="D",
        exporting_country=exporting_country,
        importing_country=importing_country,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=authority_id, name=f"Issuing authority {authority_id}"
        ),
        issue_date={"year": today.year, "month": today.month, "day": today.day},
        exporter=certificate_pb2.Party(
            name="Exporter Co.", address=certificate_pb2.Address(country=exporting_country)
        ),
        consignee=certificate_pb2.Party(
            name="Consignee Ltd.", address=certificate_pb2.Address(country=importing_country)
        ),
        goods_items=[
            certificate_pb2.GoodsItem(
                item_number=1,
                description=description,
                hs_code="200820",
                hs_edition="HS2022",
                origin_criterion=certificate_pb2.OriginCriterion(
                    type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
                ),
                quantity=certificate_pb2.Quantity(value={"value": "100"}, unit_code="KGM"),
            )
        ],
    )
