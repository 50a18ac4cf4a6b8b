"""Preflight: is the node under test there, as configured, before any case runs?

Each check has a short deadline and, when it fails, one sentence that names the
cause and the file or flag to fix (docs/conformance.md "Preflight"):

1. TCP connection to ``--target``;
2. TLS handshake with the suite's client certificate, checking the server's
   certificate against ``--tls-ca`` and the expected server name, and the node
   accepting the client certificate;
3. the gRPC health service answers SERVING;
4. ``GetNodeInfo`` answers and names the expected country;
5. the adapter answers ``describe`` (when one is given).

A spawned adapter may be the node itself: then the suite waits for the node to
serve (up to ``wait_seconds``) instead of failing at the first refused connection.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from conformance.adapter_client import AdapterClient
from conformance.client import Target
from conformance.errors import ConformanceError, PreflightError
from conformance.pki import Credential
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import node_service_pb2

__all__ = ["PreflightResult", "preflight", "tls_probe"]

#: Deadline of each network step (seconds).
STEP_TIMEOUT: Final = 3.0
#: The HTTP/2 client connection preface and an empty SETTINGS frame (RFC 9113, 3.4).
_H2_PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


@dataclass(frozen=True, kw_only=True)
class PreflightResult:
    """What preflight learnt about the node.

    Attributes:
        tls_certificate_sha256: SHA-256 (hex) of the node's TLS server certificate (DER).
        node_info: What ``GetNodeInfo`` said.
    """

    tls_certificate_sha256: str
    node_info: node_service_pb2.NodeInfo


@dataclass(frozen=True, kw_only=True)
class TlsSettings:
    """How the suite reaches the node, with the names of the flags that set it."""

    address: str
    ca_pem: bytes
    ca_source: str
    client: Credential
    client_source: str
    server_name: str = ""


def _split(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise PreflightError(f"--target {address!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def _verify_problem(exc: ssl.SSLCertVerificationError, tls: TlsSettings, name: str) -> str:
    message = exc.verify_message or str(exc)
    if "mismatch" in message:
        return (
            f"TLS handshake with {tls.address} failed: the server's certificate does not "
            f"name {name!r} (set --tls-server-name to a name it holds)"
        )
    if "expired" in message:
        return f"TLS handshake with {tls.address} failed: the server's certificate has expired"
    if "not yet valid" in message:
        return f"TLS handshake with {tls.address} failed: the server's certificate is not yet valid"
    return (
        f"TLS handshake with {tls.address} failed: the server's certificate is not issued by "
        f"--tls-ca {tls.ca_source} ({message})"
    )


def tls_probe(tls: TlsSettings, *, timeout: float = STEP_TIMEOUT) -> bytes:
    """Connect, handshake as a gRPC client would, and return the server's certificate (DER).

    Raises:
        PreflightError: With the cause and the flag or file to fix.
    """
    host, port = _split(tls.address)
    name = tls.server_name or host
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    try:
        context.load_verify_locations(cadata=tls.ca_pem.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError) as exc:
        raise PreflightError(f"--tls-ca {tls.ca_source} holds no usable PEM certificate") from exc
    with tempfile.TemporaryDirectory(prefix="eco-preflight-") as tmp:
        cert, key = Path(tmp) / "client.pem", Path(tmp) / "client.key"
        cert.write_bytes(tls.client.chain_pem())
        key.write_bytes(tls.client.key_pem())
        context.load_cert_chain(cert, key)
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError as exc:
        raise PreflightError(
            f"connection refused at {tls.address}: nothing serves there (check --target)"
        ) from exc
    except socket.gaierror as exc:
        raise PreflightError(f"cannot resolve {host!r} (check --target)") from exc
    except TimeoutError as exc:
        raise PreflightError(
            f"no answer from {tls.address} within {timeout:g} s (check --target)"
        ) from exc
    except OSError as exc:
        raise PreflightError(f"cannot connect to {tls.address}: {exc.strerror or exc}") from exc
    with raw:
        try:
            with context.wrap_socket(raw, server_hostname=name) as conn:
                der = conn.getpeercert(binary_form=True) or b""
                if conn.selected_alpn_protocol() != "h2":
                    raise PreflightError(
                        f"{tls.address} does not speak HTTP/2 over TLS (ALPN h2): is it gRPC?"
                    )
                # TLS 1.3 reports a refused client certificate only after the handshake.
                conn.sendall(_H2_PREFACE)
                conn.settimeout(timeout)
                if not conn.recv(9):
                    raise PreflightError(
                        f"{tls.address} closed the connection after the TLS handshake"
                    )
        except ssl.SSLCertVerificationError as exc:
            raise PreflightError(_verify_problem(exc, tls, name)) from exc
        except ssl.SSLError as exc:
            reason = exc.reason or str(exc)
            raise PreflightError(
                f"TLS handshake with {tls.address} failed: the node refused the suite's client "
                f"certificate {tls.client_source} ({reason}); configure it to trust that "
                "country's TLS CA"
            ) from exc
        except TimeoutError as exc:
            raise PreflightError(
                f"TLS handshake with {tls.address} timed out after {timeout:g} s"
            ) from exc
        except ConnectionResetError as exc:
            raise PreflightError(
                f"{tls.address} reset the connection during the TLS handshake (is it TLS?)"
            ) from exc
    return der


def _wait_for_tls(tls: TlsSettings, *, adapter: AdapterClient | None, wait_seconds: float) -> bytes:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return tls_probe(tls)
        except PreflightError as exc:
            refused = "connection refused" in str(exc)
            exited = adapter is not None and adapter.returncode is not None
            if not refused or exited or time.monotonic() >= deadline:
                if exited and adapter is not None:
                    raise PreflightError(
                        f"the adapter exited with code {adapter.returncode} before the node "
                        f"served at {tls.address}; its log ends: {adapter.log_tail()[-300:]!r}"
                    ) from exc
                if refused and wait_seconds:
                    raise PreflightError(
                        f"{exc} (waited {wait_seconds:g} s for the node the adapter starts)"
                    ) from exc
                raise
        time.sleep(0.2)


def preflight(
    *,
    target: Target,
    tls: TlsSettings,
    expected_country: str,
    adapter: AdapterClient | None,
    wait_seconds: float = 0.0,
) -> PreflightResult:
    """Run every check in order; the first that fails raises.

    Args:
        target: The node under test.
        tls: How to reach it, with the names of the files behind it.
        expected_country: ``--node-country``.
        adapter: The adapter, when one is given.
        wait_seconds: How long to wait for the node to start serving (a spawned
            adapter that starts the node); 0 fails at once.

    Raises:
        PreflightError: The cause and what to fix.
    """
    der = _wait_for_tls(tls, adapter=adapter, wait_seconds=wait_seconds)
    problem = target.health_check(timeout=STEP_TIMEOUT)
    if problem:
        raise PreflightError(
            f"the node at {tls.address} completed the TLS handshake but its gRPC health "
            f"service did not answer SERVING: {problem}"
        )
    caller = target.pki.suite_countries[0]
    outcome = target.call(
        target.node(caller).GetNodeInfo,
        node_service_pb2.GetNodeInfoRequest(),
        caller=caller,
        rpc="NodeService/GetNodeInfo",
        timeout=STEP_TIMEOUT,
    )
    target.recorder.take()
    if outcome.response is None:
        refusal = outcome.refusal
        raise PreflightError(
            f"the node at {tls.address} did not answer GetNodeInfo as {caller} "
            f"({refusal.summary() if refusal else 'no answer'})"
        )
    info = outcome.response.node
    if info.country != expected_country:
        raise PreflightError(
            f"the node at {tls.address} says country {info.country or '(none)'}, expected "
            f"{expected_country} (check --node-country and --target)"
        )
    if adapter is not None:
        try:
            adapter.run(
                adapter_pb2.ExecuteRequest(describe=adapter_pb2.DescribeCommand()),
                timeout=10.0,
            )
        except ConformanceError as exc:
            raise PreflightError(f"the adapter did not answer describe: {exc}") from exc
    return PreflightResult(tls_certificate_sha256=hashlib.sha256(der).hexdigest(), node_info=info)
