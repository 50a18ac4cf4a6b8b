"""gRPC client of the suite towards the node under test (spec sections 2, 9).

The suite calls the node as each of its test countries over mutual TLS, with
that country's client certificate (REQ-ACC-001). Every call returns an
:class:`Outcome`: either the response or the refusal parsed from
``grpc-status-details-bin`` (``google.rpc.Status`` with ``ErrorInfo`` and
``BadRequest``, REQ-ERR-001). Refusals are judged by code and reason only,
never by message text. Every call is recorded as an :class:`Exchange` for the
reports.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import grpc
from google.protobuf import text_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from conformance.errors import TargetLostError
from conformance.pki import Credential, SuitePki
from wco.eco.v1 import (
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    node_service_pb2,
    node_service_pb2_grpc,
    trust_service_pb2_grpc,
)

__all__ = [
    "ERROR_DOMAIN",
    "Exchange",
    "ExchangeRecorder",
    "Outcome",
    "Refusal",
    "Target",
    "refusal_from_status",
]

logger = logging.getLogger(__name__)

#: The ErrorInfo domain of every refusal (REQ-ERR-001).
ERROR_DOMAIN: Final = "eco.wco.org"
_DEFAULT_TIMEOUT: Final = 30.0
_MAX_RECORDED: Final = 2000
#: How long the node may stay unreachable before the run is ended as ERROR (seconds).
LIVENESS_GRACE: Final = 8.0
#: Codes after which the suite asks whether the node is still there at all.
_TRANSPORT_CODES: Final = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
)

T = TypeVar("T", bound=Message)


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A refusal as seen on the wire.

    Attributes:
        code: The gRPC status code.
        message: The status message (reported, never judged).
        reason: ``ErrorInfo.reason`` of the first ErrorInfo, or "".
        domain: ``ErrorInfo.domain`` of the first ErrorInfo, or "".
        error_info_count: How many ErrorInfo details the status carried.
        field_violations: ``(field, description)`` pairs of BadRequest details.
        violation_reasons: ``(field, reason)`` pairs: the machine-readable
            ``FieldViolation.reason`` of each violation (for example
            ``QUANTITY_EXCEEDED``, REQ-LC-006), "" when the node set none.
        bad_request_count: How many BadRequest details the status carried.
        has_details: Whether ``grpc-status-details-bin`` was present.
        details_problem: Non-empty when the rich status was inconsistent with
            the gRPC status or unparsable.
    """

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    error_info_count: int = 0
    field_violations: tuple[tuple[str, str], ...] = ()
    violation_reasons: tuple[tuple[str, str], ...] = ()
    bad_request_count: int = 0
    has_details: bool = False
    details_problem: str = ""

    @property
    def fields(self) -> frozenset[str]:
        """The BadRequest field paths."""
        return frozenset(f for f, _ in self.field_violations)

    def summary(self) -> str:
        """Return ``CODE REASON`` for reports."""
        return f"{self.code.name} {self.reason or '(no ErrorInfo)'}"


@dataclass(frozen=True, kw_only=True)
class Outcome(Generic[T]):
    """What a call returned: a response or a refusal, never both."""

    response: T | None = None
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.refusal is None

    def summary(self) -> str:
        """Return ``OK`` or ``CODE REASON``."""
        return "OK" if self.refusal is None else self.refusal.summary()


def _code_from_int(value: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == value:
            return code
    return grpc.StatusCode.UNKNOWN


def refusal_from_status(status: status_pb2.Status, *, problem: str = "") -> Refusal:
    """Parse a ``google.rpc.Status`` (REQ-ERR-001) into a :class:`Refusal`.

    Args:
        status: The rich status.
        problem: A problem already found with it, kept in the result.

    Returns:
        The parsed refusal.
    """
    reason = domain = ""
    infos = 0
    bad_requests = 0
    violations: list[tuple[str, str]] = []
    codes: list[tuple[str, str]] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            if infos == 0:
                reason, domain = info.reason, info.domain
            infos += 1
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            bad_requests += 1
            violations.extend((v.field, v.description) for v in bad.field_violations)
            codes.extend((v.field, v.reason) for v in bad.field_violations)
    return Refusal(
        code=_code_from_int(status.code),
        message=status.message,
        reason=reason,
        domain=domain,
        error_info_count=infos,
        field_violations=tuple(violations),
        violation_reasons=tuple(codes),
        bad_request_count=bad_requests,
        has_details=True,
        details_problem=problem,
    )


def _refusal_from_error(error: grpc.RpcError) -> Refusal:
    call: Any = error
    code: grpc.StatusCode = call.code()
    message = str(call.details() or "")
    try:
        status = rpc_status.from_call(call)
    except ValueError as exc:
        status = None
        for key, value in call.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = status_pb2.Status.FromString(value)
        if status is not None:
            parsed = refusal_from_status(status, problem=str(exc))
            return Refusal(
                code=code,
                message=message,
                reason=parsed.reason,
                domain=parsed.domain,
                error_info_count=parsed.error_info_count,
                field_violations=parsed.field_violations,
                violation_reasons=parsed.violation_reasons,
                bad_request_count=parsed.bad_request_count,
                has_details=True,
                details_problem=str(exc),
            )
    except Exception as exc:
        return Refusal(code=code, message=message, details_problem=f"unparsable details: {exc}")
    if status is None:
        return Refusal(code=code, message=message)
    return refusal_from_status(status)


def _short(message: Message | None, limit: int = 4000) -> str:
    if message is None:
        return ""
    text = text_format.MessageToString(message, as_utf8=True, as_one_line=True)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One recorded call, for the reports.

    Attributes:
        rpc: Method name, for example ``ExchangeService/SubmitDocument``.
        caller: The calling identity (country or a negative credential name).
        request: Text form of the request (payloads truncated).
        outcome: ``OK`` or ``CODE REASON``.
        response: Text form of the response, when there was one.
        message: The refusal message, when there was one.
    """

    rpc: str
    caller: str
    request: str
    outcome: str
    response: str = ""
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        """Return the exchange as JSON-ready data."""
        return {
            "rpc": self.rpc,
            "caller": self.caller,
            "request": self.request,
            "outcome": self.outcome,
            "response": self.response,
            "message": self.message,
        }


@dataclass
class ExchangeRecorder:
    """Collects the exchanges of the current case (reset by the plugin per case)."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, exchange: Exchange) -> None:
        """Record one exchange (bounded, so a large property case cannot exhaust memory)."""
        with self._lock:
            if len(self.exchanges) < _MAX_RECORDED:
                self.exchanges.append(exchange)

    def take(self) -> list[Exchange]:
        """Return and clear the recorded exchanges."""
        with self._lock:
            out, self.exchanges = self.exchanges, []
            return out


class Target:
    """The node under test as reached from the suite.

    Channels are created lazily per client identity and reused. Use
    :meth:`exchange` / :meth:`node` for raw stubs and :meth:`call` for recorded
    calls returning an :class:`Outcome`.
    """

    def __init__(
        self,
        *,
        address: str,
        node_country: str,
        server_ca_pem: bytes,
        pki: SuitePki,
        node_trust_anchors_pem: bytes,
        tls_server_name: str = "",
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> None:
        """Create the target.

        Args:
            address: ``host:port`` of the node.
            node_country: The node's country.
            server_ca_pem: CA certificate(s) of the node's TLS server certificate.
            pki: The suite PKI (client certificates per country).
            node_trust_anchors_pem: Document trust anchors of the node's
                country, to verify receipts (REQ-PUSH-003).
            tls_server_name: Override of the expected server name.
            timeout: Per-call deadline in seconds.
        """
        self.address = address
        self.node_country = node_country
        self.server_ca_pem = server_ca_pem
        self.pki = pki
        self.node_trust_anchors_pem = node_trust_anchors_pem
        self.tls_server_name = tls_server_name
        self.timeout = timeout
        self.recorder = ExchangeRecorder()
        self.liveness_grace = LIVENESS_GRACE
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        self._lost = ""
        self._downtime_expected = 0

    # -- liveness -----------------------------------------------------------

    @property
    def lost(self) -> str:
        """Why the node is considered gone ("" while it answers)."""
        return self._lost

    @contextlib.contextmanager
    def downtime_expected(self) -> Iterator[None]:
        """Suspend the liveness watch (a case that restarts or stops the node on purpose)."""
        self._downtime_expected += 1
        try:
            yield
        finally:
            self._downtime_expected -= 1

    def health_check(self, *, timeout: float = 3.0) -> str:
        """Ask the node's gRPC health service over a fresh mTLS channel.

        Returns:
            "" when the node answers SERVING, else what went wrong.
        """
        credential = self.pki.country(self.pki.suite_countries[0]).node_client
        channel = self.secure_channel(credential)
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError as error:
            code = error.code() if callable(getattr(error, "code", None)) else None
            name = code.name if isinstance(code, grpc.StatusCode) else "no answer"
            return f"health check answered {name}"
        finally:
            channel.close()
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            return f"health check says {status}"
        return ""

    def check_alive(self, code: grpc.StatusCode | None) -> None:
        """After a transport-level refusal, make sure the node is still there.

        A node that restarts comes back within :attr:`liveness_grace` seconds; one
        that does not is gone, and every further case would fail for that reason
        alone, so the run is ended instead (docs/conformance.md "Verdicts").

        Raises:
            TargetLostError: The node does not answer its health service.
        """
        if self._lost:
            raise TargetLostError(self._lost)
        if code not in _TRANSPORT_CODES or self._downtime_expected:
            return
        deadline = time.monotonic() + self.liveness_grace
        problem = self.health_check()
        while problem and time.monotonic() < deadline:
            time.sleep(0.5)
            problem = self.health_check()
        if problem:
            failed = code.name if code else "?"
            self._lost = (
                f"the node at {self.address} stopped answering ({problem} for "
                f"{self.liveness_grace:.0f} s after a call failed with {failed})"
            )
            raise TargetLostError(self._lost)

    def _options(self) -> list[tuple[str, Any]]:
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ("grpc.enable_retries", 0),
        ]
        if self.tls_server_name:
            options.append(("grpc.ssl_target_name_override", self.tls_server_name))
        return options

    def secure_channel(self, credential: Credential | None) -> grpc.Channel:
        """Open a new TLS channel presenting ``credential`` (None: no client certificate).

        The caller closes it.
        """
        if credential is None:
            creds = grpc.ssl_channel_credentials(root_certificates=self.server_ca_pem)
        else:
            creds = grpc.ssl_channel_credentials(
                root_certificates=self.server_ca_pem,
                private_key=credential.key_pem(),
                certificate_chain=credential.chain_pem(),
            )
        return grpc.secure_channel(self.address, creds, options=self._options())

    def insecure_channel(self) -> grpc.Channel:
        """Open a plaintext channel (for REQ-ACC-001 negative cases). The caller closes it."""
        return grpc.insecure_channel(self.address, options=self._options())

    def channel(self, country: str) -> grpc.Channel:
        """Return the shared mTLS channel of a suite country."""
        with self._lock:
            channel = self._channels.get(country)
            if channel is None:
                credential = self.pki.country(country).node_client
                channel = self.secure_channel(credential)
                self._channels[country] = channel
            return channel

    def exchange(self, country: str) -> exchange_service_pb2_grpc.ExchangeServiceStub:
        """Return an ExchangeService stub calling as ``country`` over mTLS."""
        return exchange_service_pb2_grpc.ExchangeServiceStub(self.channel(country))

    def node(self, country: str) -> node_service_pb2_grpc.NodeServiceStub:
        """Return a NodeService stub calling as ``country``."""
        return node_service_pb2_grpc.NodeServiceStub(self.channel(country))

    def trust(self, country: str) -> trust_service_pb2_grpc.TrustServiceStub:
        """Return a TrustService stub calling as ``country``."""
        return trust_service_pb2_grpc.TrustServiceStub(self.channel(country))

    def call(
        self,
        method: Callable[..., Any],
        request: Message,
        *,
        caller: str,
        rpc: str,
        timeout: float | None = None,
    ) -> Outcome[Any]:
        """Call a unary method, record the exchange and return the outcome.

        Args:
            method: A bound stub method, for example ``target.exchange("XA").GetDocument``.
            request: The request message.
            caller: Identity name for the report.
            rpc: Method name for the report.
            timeout: Deadline in seconds (default: the target's).

        Returns:
            The outcome.
        """
        if self._lost:
            raise TargetLostError(self._lost)
        try:
            response = method(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            refusal = _refusal_from_error(error)
            self.check_alive(refusal.code)
            self.recorder.record(
                Exchange(
                    rpc=rpc,
                    caller=caller,
                    request=_short(request),
                    outcome=refusal.summary(),
                    message=refusal.message,
                )
            )
            return Outcome(refusal=refusal)
        self.recorder.record(
            Exchange(
                rpc=rpc,
                caller=caller,
                request=_short(request),
                outcome="OK",
                response=_short(response),
            )
        )
        return Outcome(response=response)

    # Convenience wrappers used by the cases -------------------------------

    def submit(
        self, country: str, request: exchange_service_pb2.SubmitDocumentRequest
    ) -> Outcome[exchange_service_pb2.SubmitDocumentResponse]:
        """Call SubmitDocument as ``country``."""
        return self.call(
            self.exchange(country).SubmitDocument,
            request,
            caller=country,
            rpc="ExchangeService/SubmitDocument",
        )

    def get_document(
        self, country: str, request: exchange_service_pb2.GetDocumentRequest
    ) -> Outcome[exchange_service_pb2.GetDocumentResponse]:
        """Call GetDocument as ``country``."""
        return self.call(
            self.exchange(country).GetDocument,
            request,
            caller=country,
            rpc="ExchangeService/GetDocument",
        )

    def get_status(
        self, country: str, request: exchange_service_pb2.GetCertificateStatusRequest
    ) -> Outcome[exchange_service_pb2.GetCertificateStatusResponse]:
        """Call GetCertificateStatus as ``country``."""
        return self.call(
            self.exchange(country).GetCertificateStatus,
            request,
            caller=country,
            rpc="ExchangeService/GetCertificateStatus",
        )

    def list_documents(
        self, country: str, request: exchange_service_pb2.ListDocumentsRequest
    ) -> Outcome[exchange_service_pb2.ListDocumentsResponse]:
        """Call ListDocuments as ``country``."""
        return self.call(
            self.exchange(country).ListDocuments,
            request,
            caller=country,
            rpc="ExchangeService/ListDocuments",
        )

    def node_info(self, country: str) -> Outcome[node_service_pb2.GetNodeInfoResponse]:
        """Call GetNodeInfo as ``country``."""
        return self.call(
            self.node(country).GetNodeInfo,
            node_service_pb2.GetNodeInfoRequest(),
            caller=country,
            rpc="NodeService/GetNodeInfo",
        )

    def submit_stream(
        self,
        country: str,
        requests: Iterable[exchange_service_pb2.SubmitDocumentStreamRequest],
    ) -> tuple[list[exchange_service_pb2.SubmitDocumentStreamResponse], Refusal | None]:
        """Call SubmitDocumentStream as ``country`` and collect every response.

        Returns:
            The responses received and the refusal that ended the stream, if any.
        """
        if self._lost:
            raise TargetLostError(self._lost)
        batch = list(requests)
        responses: list[exchange_service_pb2.SubmitDocumentStreamResponse] = []
        refusal: Refusal | None = None
        iterator = self.exchange(country).SubmitDocumentStream(
            iter(batch), timeout=self.timeout * 2
        )
        try:
            responses.extend(iterator)
        except grpc.RpcError as error:
            refusal = _refusal_from_error(error)
            self.check_alive(refusal.code)
        self.recorder.record(
            Exchange(
                rpc="ExchangeService/SubmitDocumentStream",
                caller=country,
                request=f"{len(batch)} requests: " + ", ".join(r.request_id for r in batch[:20]),
                outcome="OK" if refusal is None else refusal.summary(),
                response=f"{len(responses)} responses",
            )
        )
        return responses, refusal

    def close(self) -> None:
        """Close every shared channel."""
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
