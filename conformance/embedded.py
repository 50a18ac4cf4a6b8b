"""Embedded mode: the reference node under test as a subprocess (docs/conformance.md).

With no ``--target`` the suite writes a node configuration (format of
docs/adr/0001-architecture.md) for node country XB, trusting the suite
countries XA and XC, pointing at PKI files the suite generated, and spawns
``python -m reference_node adapter --config <file>``. That one process is the
node (gRPC server on a free port written to ``port_file``) and speaks the
adapter protocol on its standard input and output; the suite never imports
the reference node. The configuration lowers one limit below the reference node's default:
a submission stream carries at most :data:`STREAM_DOCUMENTS` documents, so the case that
sends a stream one request longer than the published limit stays quick (REQ-LIM-001).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from conformance.adapter_client import AdapterClient, AdapterError
from conformance.errors import EmbeddedNodeError
from conformance.pki import SuitePki

__all__ = ["STREAM_DOCUMENTS", "EmbeddedNode", "node_command", "write_node_config"]

logger = logging.getLogger(__name__)

_START_TIMEOUT: Final = 60.0
#: ``[limits] max_stream_documents`` of the node under test (the reference default is 10000).
STREAM_DOCUMENTS: Final = 100


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_node_config(
    *,
    pki: SuitePki,
    directory: Path,
    port_file: Path,
    data_dir: Path,
    directories: dict[str, Path] | None = None,
    listen: str = "127.0.0.1:0",
    filename: str = "node.toml",
    header: str = "Written by eco-conformance (embedded mode).",
) -> Path:
    """Write the node TOML configuration for the node under test.

    Args:
        pki: The suite PKI (already written; paths are taken from ``pki.path``).
        directory: Where the configuration file goes.
        port_file: Where the node writes its bound port.
        data_dir: The node's data directory.
        directories: Optional signed issuer directories per partner country.
        listen: ``HOST:PORT`` the node serves on (port 0: any free port).
        filename: Name of the configuration file in ``directory``.
        header: Comment at the top of the file.

    Returns:
        The path of the configuration file.

    Raises:
        EmbeddedNodeError: The PKI was not written to disk.
    """
    if pki.path is None:
        raise EmbeddedNodeError("the suite PKI must be written before configuring the node")
    base = pki.path.resolve()
    cc = pki.node_country
    node = pki.country(cc)

    def path(*parts: str) -> str:
        return _toml_str(str(base.joinpath(*parts)))

    lines = [
        *(f"# {line}" for line in header.splitlines()),
        "[node]",
        f"country = {_toml_str(cc)}",
        f"listen = {_toml_str(listen)}",
        f"port_file = {_toml_str(str(port_file.resolve()))}",
        f"data_dir = {_toml_str(str(data_dir.resolve()))}",
        f"authority_id = {_toml_str(node.authority_id)}",
        f"authority_name = {_toml_str(cc + ' Customs')}",
        "",
        "[tls]",
        f"server_cert = {path(cc, 'node-server.pem')}",
        f"server_key = {path(cc, 'node-server.key')}",
        f"client_cert = {path(cc, 'node-client.pem')}",
        f"client_key = {path(cc, 'node-client.key')}",
        "",
        "[signing]",
        f"authority_chain = {path(cc, 'authority.pem')}",
        f"authority_key = {path(cc, 'authority.key')}",
        f"node_signer_chain = {path(cc, 'node-signer.pem')}",
        f"node_signer_key = {path(cc, 'node-signer.key')}",
        f"trust_anchors = {path(cc, 'anchors.pem')}",
        "",
        "[limits]",
        f"max_stream_documents = {STREAM_DOCUMENTS}",
    ]
    for partner in pki.suite_countries:
        lines += [
            "",
            "[[partners]]",
            f"country = {_toml_str(partner)}",
            f"tls_ca = {path(partner, 'tls-ca.pem')}",
            f"trust_anchors = {path(partner, 'anchors.pem')}",
        ]
        if directories and partner in directories:
            lines.append(f"directory = {_toml_str(str(directories[partner].resolve()))}")
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / filename
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def node_command(config: Path) -> list[str]:
    """Return the command that starts the reference node adapter."""
    return [sys.executable, "-m", "reference_node", "--config", str(config), "adapter"]


@dataclass
class EmbeddedNode:
    """A running embedded reference node.

    Attributes:
        address: ``127.0.0.1:<port>`` of its gRPC server.
        adapter: The adapter client over the process's standard input/output.
        config: The configuration file.
    """

    address: str
    adapter: AdapterClient
    config: Path

    @classmethod
    def start(
        cls,
        *,
        pki: SuitePki,
        workdir: Path,
        directories: dict[str, Path] | None = None,
        command: list[str] | None = None,
        timeout: float = _START_TIMEOUT,
    ) -> EmbeddedNode:
        """Write the configuration, spawn the node and wait for its port file.

        Args:
            pki: The suite PKI, written to disk.
            workdir: Working directory for configuration, data and logs.
            directories: Optional issuer directories per partner country.
            command: Override of the node command (default :func:`node_command`).
            timeout: Seconds to wait for the node to serve.

        Returns:
            The running node.

        Raises:
            EmbeddedNodeError: The node did not start.
        """
        port_file = workdir / "node.port"
        port_file.unlink(missing_ok=True)
        config = write_node_config(
            pki=pki,
            directory=workdir,
            port_file=port_file,
            data_dir=workdir / "node-data",
            directories=directories,
        )
        argv = command if command is not None else node_command(config)
        logger.info("starting embedded node: %s", " ".join(argv))
        try:
            adapter = AdapterClient.spawn(argv, log_path=workdir / "node.log")
        except AdapterError as exc:
            raise EmbeddedNodeError(f"cannot start the embedded node: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text.isdigit():
                break
            if time.monotonic() > deadline:
                tail = adapter.log_tail()
                adapter.close()
                raise EmbeddedNodeError(
                    f"the embedded node did not write {port_file} within {timeout:.0f}s; "
                    f"log tail: {tail[-500:]!r}"
                )
            if _process_exited(adapter):
                tail = adapter.log_tail()
                adapter.close()
                raise EmbeddedNodeError(
                    f"the embedded node exited during start-up; log tail: {tail[-800:]!r}"
                )
            time.sleep(0.05)
        return cls(address=f"127.0.0.1:{int(text)}", adapter=adapter, config=config)

    def stop(self) -> None:
        """Stop the node (closing the adapter ends the process)."""
        self.adapter.close()


def _process_exited(adapter: AdapterClient) -> bool:
    transport = getattr(adapter, "_transport", None)
    process = getattr(transport, "_process", None) or getattr(transport, "process", None)
    poll = getattr(process, "poll", None)
    return bool(callable(poll) and poll() is not None)
