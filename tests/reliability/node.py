"""Reference node subprocesses and mTLS clients for the reliability tests.

Writes a node configuration in the TOML format of docs/adr/0001-architecture.md,
runs ``python -m reference_node serve`` as a real subprocess (the way an
operator runs it), waits for its ``port_file``, kills it with SIGKILL or stops
it with SIGTERM, and opens mutual-TLS gRPC channels as a given country
(REQ-ACC-001). Only the node's public surfaces are used: the CLI, the config
file and the gRPC API.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psutil  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wco.eco.v1 import (
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
)

from .pki import CountryPki, Credential

__all__ = [
    "REPO_ROOT",
    "NodeProcess",
    "Partner",
    "RpcOutcome",
    "channel_for",
    "classify",
    "health_ok",
    "list_all",
    "submit",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
#: How long a node may take to start listening.
START_TIMEOUT_S = 60.0
#: ErrorInfo domain of every refusal (REQ-ERR-001).
DOMAIN = "eco.wco.org"


def _q(value: str | Path) -> str:
    """Quote a TOML basic string (JSON string syntax is a subset for these values)."""
    return json.dumps(str(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner:
    """One ``[[partners]]`` entry of the node configuration.

    Attributes:
        pki: The partner country's key material (written under the node's dir).
        address: Where the node pushes documents for it, if anywhere.
        directory: Path of a signed IssuerDirectory envelope to load, if any.
    """

    pki: CountryPki
    address: str = ""
    directory: Path | None = None


@dataclass(slots=True, kw_only=True)
class NodeProcess:
    """One reference node run as ``python -m reference_node serve``.

    Attributes:
        workdir: Directory holding the config, the PKI files and ``data/``.
        pki: Key material of the node's own country.
        partners: Partner countries.
        limits: Overrides of the ``[limits]`` table.
        delivery: Overrides of the ``[delivery]`` table.
        processes: ``[node] processes``: serving processes sharing port and store.
        wrapper: Command the node runs under (for example ``strace ...``), if any.
        entry: Module (and its first arguments) run by ``python -m``: the node, or
            ``tests.mutants.launch NAME`` for a faulty variant.
    """

    workdir: Path
    pki: CountryPki
    partners: Sequence[Partner] = ()
    limits: dict[str, int] = field(default_factory=dict)
    delivery: dict[str, int] = field(default_factory=dict)
    processes: int = 1
    wrapper: tuple[str, ...] = ()
    entry: tuple[str, ...] = ("reference_node",)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0

    @property
    def country(self) -> str:
        """The node's country."""
        return self.pki.country

    @property
    def config_path(self) -> Path:
        """Path of the TOML configuration."""
        return self.workdir / "node.toml"

    @property
    def port_file(self) -> Path:
        """Where the node writes its bound port."""
        return self.workdir / "port"

    @property
    def log_path(self) -> Path:
        """Combined stdout/stderr of every run."""
        return self.workdir / "node.log"

    @property
    def address(self) -> str:
        """``127.0.0.1:port`` of the running node."""
        if not self.port:
            raise RuntimeError("node not started")
        return f"127.0.0.1:{self.port}"

    def write_config(self, *, listen_port: int = 0) -> Path:
        """Write the PKI files and ``node.toml`` (ADR 0001 format); return its path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pki.write(self.workdir)
        cc = self.country
        lines = [
            "[node]",
            f"country = {_q(cc)}",
            f"listen = {_q(f'127.0.0.1:{listen_port}')}",
            f"port_file = {_q(self.port_file)}",
            'data_dir = "data"',
            f"authority_id = {_q(cc.lower() + '-customs')}",
            f"authority_name = {_q(cc + ' Customs')}",
            f"processes = {self.processes}",
            "",
            "[tls]",
            f'server_cert = "{cc}/node-server.pem"',
            f'server_key = "{cc}/node-server.key"',
            f'client_cert = "{cc}/node-client.pem"',
            f'client_key = "{cc}/node-client.key"',
            "",
            "[signing]",
            f'authority_chain = "{cc}/authority.pem"',
            f'authority_key = "{cc}/authority.key"',
            f'node_signer_chain = "{cc}/node-signer.pem"',
            f'node_signer_key = "{cc}/node-signer.key"',
            f'trust_anchors = "{cc}/anchors.pem"',
            "",
        ]
        for partner in self.partners:
            pc = partner.pki.country
            partner.pki.write(self.workdir / "partners")
            lines += [
                "[[partners]]",
                f"country = {_q(pc)}",
                f"address = {_q(partner.address)}",
                f'tls_ca = "partners/{pc}/tls-ca.pem"',
                f'trust_anchors = "partners/{pc}/anchors.pem"',
                f"directory = {_q(partner.directory or '')}",
                "",
            ]
        if self.limits:
            lines.append("[limits]")
            lines += [f"{k} = {v}" for k, v in self.limits.items()]
            lines.append("")
        if self.delivery:
            lines.append("[delivery]")
            lines += [f"{k} = {v}" for k, v in self.delivery.items()]
            lines.append("")
        self.config_path.write_text("\n".join(lines), encoding="utf-8")
        return self.config_path

    def env(self) -> dict[str, str]:
        """Environment for node subprocesses: the repository on ``PYTHONPATH``."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self) -> None:
        """Start ``serve`` and wait until the port file names the bound port."""
        if not self.config_path.exists():
            self.write_config()
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("node already running")
        self.port_file.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            self.process = subprocess.Popen(
                [
                    *self.wrapper,
                    sys.executable,
                    "-m",
                    *self.entry,
                    "--config",
                    str(self.config_path),
                    "serve",
                ],
                cwd=self.workdir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"node exited with {self.process.returncode} on start:\n{self.log_tail()}"
                )
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text.isdigit():
                self.port = int(text)
                self._wait_serving(deadline)
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"node did not start in {START_TIMEOUT_S}s:\n{self.log_tail()}")

    def _wait_serving(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            with contextlib.suppress(grpc.RpcError), self.channel() as ch:
                if health_ok(ch):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"node not serving health:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the node and its other serving processes (a crash) and reap it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session (start)
            self.process.wait(timeout=30)

    def serving_processes(self) -> list[psutil.Process]:
        """The extra serving processes the node started (``[node] processes`` > 1)."""
        if self.process is None or self.process.poll() is not None:
            return []
        found = []
        for child in psutil.Process(self.process.pid).children():
            with contextlib.suppress(psutil.Error):  # exited meanwhile, or a zombie
                if "--worker-of" in child.cmdline():
                    found.append(child)
        return found

    def stop(self) -> None:
        """Stop the node with SIGTERM (SIGKILL after 15 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def running(self) -> bool:
        """True while the subprocess lives."""
        return self.process is not None and self.process.poll() is None

    def rss(self) -> int:
        """Resident set size of the node process, bytes (psutil)."""
        if self.process is None:
            raise RuntimeError("node not started")
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the node's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``python -m reference_node ARGS --config node.toml`` and return the result."""
        return subprocess.run(
            [sys.executable, "-m", "reference_node", "--config", str(self.config_path), *args],
            cwd=self.workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def channel(
        self, caller: CountryPki | None = None, *, client: Credential | None = None
    ) -> grpc.Channel:
        """An mTLS channel to this node as ``caller`` (default: its first partner).

        The node serves only callers whose TLS CA is configured for a partner
        country (REQ-ACC-001), so its own client certificate is not accepted.
        """
        default = self.partners[0].pki if self.partners else self.pki
        return channel_for(
            self.address, server_ca=self.pki, caller=caller or default, client=client
        )


def channel_for(
    address: str,
    *,
    server_ca: CountryPki,
    caller: CountryPki | None,
    client: Credential | None = None,
    options: Sequence[tuple[str, int | str]] = (),
) -> grpc.Channel:
    """Open a TLS channel to ``address`` trusting ``server_ca``'s TLS CA.

    ``caller`` (its node client certificate, or ``client`` when given) is
    presented as the TLS client certificate; ``caller=None`` and
    ``client=None`` presents none.
    """
    root = server_ca.tls_ca.cert.public_bytes(serialization.Encoding.PEM)
    cred = client or (caller.client if caller else None)
    creds = grpc.ssl_channel_credentials(
        root_certificates=root,
        private_key=cred.key_pem() if cred else None,
        certificate_chain=cred.chain_pem() if cred else None,
    )
    opts: list[tuple[str, int | str]] = [
        ("grpc.ssl_target_name_override", "localhost"),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
        *options,
    ]
    return grpc.secure_channel(address, creds, options=opts)


def health_ok(ch: grpc.Channel, *, timeout: float = 5.0) -> bool:
    """True when the standard health service answers SERVING (REQ-ACC-005)."""
    stub = health_pb2_grpc.HealthStub(ch)
    resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)


@dataclass(frozen=True, slots=True)
class RpcOutcome:
    """The code and ErrorInfo of a failed call (REQ-ERR-001).

    Attributes:
        code: The gRPC status code.
        reason: ErrorInfo reason, or ``""`` when none was attached.
        domain: ErrorInfo domain, or ``""``.
        message: The status message.
        infos: Number of ErrorInfo details attached.
    """

    code: grpc.StatusCode
    reason: str
    domain: str
    message: str
    infos: int


def classify(error: grpc.RpcError) -> RpcOutcome:
    """Read code and ErrorInfo from a failed call's ``grpc-status-details-bin``."""
    call: Any = error
    code: grpc.StatusCode = call.code()
    message: str = call.details() or ""
    reason = domain = ""
    infos = 0
    for key, value in call.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    reason, domain = info.reason, info.domain
                    infos += 1
    return RpcOutcome(code=code, reason=reason, domain=domain, message=message, infos=infos)


def submit(
    ch: grpc.Channel, request_id: str, envelope: envelope_pb2.Envelope, *, timeout: float = 30
) -> exchange_service_pb2.SubmitDocumentResponse:
    """Call ``SubmitDocument`` (REQ-PUSH-001)."""
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
    return stub.SubmitDocument(
        exchange_service_pb2.SubmitDocumentRequest(request_id=request_id, envelope=envelope),
        timeout=timeout,
    )


def list_all(
    ch: grpc.Channel, *, page_size: int = 1000
) -> Iterator[exchange_service_pb2.StoredDocument]:
    """Follow ``next_page_token`` through the caller's whole feed (REQ-PULL-003)."""
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
    token = ""
    while True:
        resp = stub.ListDocuments(
            exchange_service_pb2.ListDocumentsRequest(page_size=page_size, page_token=token),
            timeout=60,
        )
        yield from resp.documents
        token = resp.next_page_token
        if not token:
            return
