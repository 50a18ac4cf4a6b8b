"""``eco-node``: the reference node's command line (docs/node.md).

Every command reads the node configuration from ``--config`` or
``ECO_NODE_CONFIG``. Commands that change state (``send``, ``cancel``,
``revoke``, ``replace``, ``outcome``, ``verify-request``, ``verify-respond``)
write the signed document, its state change and its outbox entry to the node's
SQLite database in one transaction. If ``eco-node serve`` runs on the same data
directory, its outbox worker delivers the document (it looks at the outbox
every ``delivery.poll_interval_ms``) and the command waits for the outcome;
otherwise the command delivers it itself. ``--no-wait`` only queues.

Errors are one line on standard error; the exit status is 1 for a refused or
failed operation and 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.message import Message

from reference_node.adapter import run_adapter
from reference_node.config import (
    NodeConfig,
    apply_overrides,
    config_path_from,
    load_config,
    parse_address,
)
from reference_node.core.documents import CertificateRef
from reference_node.core.errors import EcoError
from reference_node.errors import NodeError
from reference_node.pki import make_country_pki, write_country_pki
from reference_node.sender.outbox import OutboxWorker
from reference_node.server.app import NodeRuntime, partner_registry, serve_lock_held
from reference_node.server.workers import WorkerProcesses, die_with_parent
from reference_node.service import Issued, Node
from reference_node.store.codec import decode_state
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = ["main"]

logger = logging.getLogger("reference_node.cli")

_STATUS_NAMES = {
    v: k.removeprefix("DELIVERY_STATUS_") for k, v in envelope_pb2.DeliveryStatus.items()
}


class UsageError(NodeError):
    """A command-line argument is wrong (exit status 2)."""


#: GIL switch interval of a serving process, seconds (CPython's default is 0.005).
SERVE_SWITCH_INTERVAL_S = 0.0005


def parse_ref(text: str) -> CertificateRef:
    """Parse ``CC/authority-id/number``.

    Raises:
        UsageError: Not in that form.
    """
    parts = text.split("/", 2)
    if len(parts) != 3 or not all(parts) or len(parts[0]) != 2:
        raise UsageError(f"reference {text!r} is not CC/authority-id/number")
    return CertificateRef(parts[0], parts[1], parts[2])


def _load(args: argparse.Namespace) -> NodeConfig:
    config = load_config(config_path_from(args.config))
    return apply_overrides(
        config,
        listen=getattr(args, "listen", None),
        port_file=Path(args.port_file) if getattr(args, "port_file", None) else None,
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        processes=getattr(args, "processes", None),
    )


def _open(args: argparse.Namespace) -> Node:
    return Node.open(_load(args))


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _json(message: Message) -> str:
    return json_format.MessageToJson(message, indent=2, preserving_proto_field_name=True)


# -- delivery -------------------------------------------------------------------------------


async def _deliver_self(node: Node, request_ids: set[str], limit_s: float) -> None:
    partners = partner_registry(node)
    worker = OutboxWorker(
        store=node.store,
        partners=partners,
        delivery=node.config.delivery,
        verify_receipt=node.verify_delivery_receipt,
        accept_receipt=node.accept_delivery_receipt,
        clock=node.clock,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    try:
        while loop.time() < deadline:
            await worker.deliver_due()
            pending = [
                e for e in node.store.outbox(pending_only=True) if e.request_id in request_ids
            ]
            if not pending:
                return
            wait = min(e.next_attempt_time for e in pending) - node.clock()
            await asyncio.sleep(max(0.01, min(wait.total_seconds(), deadline - loop.time())))
    finally:
        await partners.close()


def _deliver(node: Node, issued: Sequence[Issued], *, wait: bool, timeout: float) -> int:
    """Deliver (or wait for the serving process to deliver); report; return exit status."""
    ids = {i.request_id for i in issued}
    if wait and ids:
        if serve_lock_held(node.config.node.data_dir):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                pending = [e for e in node.store.outbox(pending_only=True) if e.request_id in ids]
                if not pending:
                    break
                time.sleep(0.1)
        else:
            asyncio.run(_deliver_self(node, ids, timeout))
    status = 0
    entries = {e.request_id: e for e in node.store.outbox() if e.request_id in ids}
    for item in issued:
        entry = entries.get(item.request_id)
        name = _STATUS_NAMES.get(entry.status, "?") if entry else "?"
        detail = ""
        if entry is not None and entry.last_error_reason:
            detail = f" ({entry.last_error_reason}: {entry.last_error_message})"
        if entry is not None and entry.status == envelope_pb2.DELIVERY_STATUS_FAILED:
            status = 1
        _out(
            f"{item.certificate.key} -> {item.recipient_country} "
            f"request {item.request_id}: {name}{detail}"
        )
    return status


# -- commands -------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    """Create PKI (reference_node.pki) and a config file for one country."""
    country = args.country
    folder = Path(args.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    partners: list[tuple[str, str]] = []
    for spec in args.partner or []:
        cc, _, address = spec.partition("=")
        partners.append((cc, address))
    for cc in [country, *(p for p, _ in partners)]:
        if len(cc) != 2 or not cc.isupper():
            raise UsageError(f"country {cc!r} is not an upper-case two-letter code")
        if not (folder / cc / "authority.key").exists():
            write_country_pki(make_country_pki(cc), folder)
            _out(f"created PKI for {cc} in {folder / cc}")
    config = folder / f"{country}.toml"
    if config.exists() and not args.force:
        raise NodeError(f"{config} exists; use --force to overwrite it")
    lines = [
        "[node]",
        f'country = "{country}"',
        f'listen = "{args.listen}"',
        f'port_file = "{country}.port"',
        f'data_dir = "data-{country}"',
        f'authority_id = "{country.lower()}-customs"',
        f'authority_name = "{country} Customs"',
        "",
    ]
    for cc, address in partners:
        lines += [
            "[[partners]]",
            f'country = "{cc}"',
            f'address = "{address}"',
            f'tls_ca = "{cc}/tls-ca.pem"',
            f'trust_anchors = "{cc}/anchors.pem"',
            "",
        ]
    config.write_text("\n".join(lines), encoding="utf-8")
    _out(f"wrote {config}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the node until SIGINT/SIGTERM, from ``node.processes`` processes."""
    worker_of: int | None = args.worker_of
    if worker_of is not None:
        die_with_parent(worker_of)
    node = _open(args)
    processes = node.config.node.processes
    # The store's writer thread and the event loop hand the GIL back and forth
    # several times per document; a shorter switch interval lets the writer get
    # it back sooner under load (docs/performance.md).
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL_S)

    async def run() -> None:
        extra = processes - 1 if worker_of is None else 0
        runtime = NodeRuntime(node=node, shared_port=processes > 1, worker_of=worker_of)
        port = await runtime.start(publish=extra == 0)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.request_stop)
        workers: WorkerProcesses | None = None
        supervisor: asyncio.Task[None] | None = None
        if extra:
            host, _ = parse_address(node.config.node.listen)
            workers = WorkerProcesses(
                count=extra,
                config_path=config_path_from(args.config).resolve(),
                listen=f"{host}:{port}",
                data_dir=node.config.node.data_dir.resolve(),
                log_level=str(args.log_level),
            )
            try:
                await workers.start()
            except NodeError:
                await runtime.stop()
                raise
            runtime.publish_port()
            supervisor = asyncio.create_task(workers.supervise(runtime.stopping))
        logger.info(
            "serving %s on port %d (pid %d; %s)",
            node.country,
            port,
            os.getpid(),
            f"{processes} serving processes" if worker_of is None else f"extra of {worker_of}",
        )
        await runtime.wait()
        if workers is not None:
            assert supervisor is not None
            await supervisor
            await workers.stop()
        await runtime.stop()

    try:
        asyncio.run(run())
    finally:
        node.close()
    return 0


def _read_co(path: str) -> certificate_pb2.CertificateOfOrigin:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise NodeError(f"cannot read {path}: {exc.strerror}") from exc
    co = certificate_pb2.CertificateOfOrigin()
    try:
        json_format.Parse(text, co)
    except json_format.ParseError as exc:
        raise NodeError(f"{path} is not a CertificateOfOrigin in protobuf JSON: {exc}") from exc
    return co


def cmd_send(args: argparse.Namespace) -> int:
    """Issue, sign and queue one CO per file, then deliver."""
    node = _open(args)
    try:
        issued = []
        total = len(args.files)
        for index, path in enumerate(args.files, 1):
            issued.append(node.issue_certificate(_read_co(path)))
            if total > 1 and (index % 50 == 0 or index == total):
                sys.stderr.write(f"\rissued {index}/{total}")
                sys.stderr.flush()
        if total > 1:
            sys.stderr.write("\n")
        return _deliver(node, issued, wait=not args.no_wait, timeout=args.timeout)
    finally:
        node.close()


def cmd_status(args: argparse.Namespace) -> int:
    """Print counts and the outbox."""
    node = _open(args)
    try:
        counts = node.store.counts()
        _out(f"node {node.country}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        for entry in node.store.outbox():
            name = _STATUS_NAMES.get(entry.status, str(entry.status))
            line = (
                f"{entry.request_id} -> {entry.recipient} {entry.certificate_key}: {name} "
                f"attempts={entry.attempts}"
            )
            if entry.last_error_reason:
                line += f" last_error={entry.last_error_reason}: {entry.last_error_message}"
            _out(line)
        return 0
    finally:
        node.close()


def cmd_get(args: argparse.Namespace) -> int:
    """Print the state of a certificate (CC/authority/number) or a verification case."""
    node = _open(args)
    try:
        if "/" not in args.ref:
            case = node.verification_case(caller=node.country, verification_id=args.ref)
            _out(
                json.dumps(
                    {
                        "verification_id": case.verification_id,
                        "certificate": case.certificate.key,
                        "requesting_country": case.requesting_country,
                        "state": verification_pb2.VerificationState.Name(case.state),
                        "outcome": verification_pb2.VerificationOutcome.Name(case.outcome),
                    },
                    indent=2,
                )
            )
            return 0
        ref = parse_ref(args.ref)
        row = node.store.certificate(ref.key)
        if row is None:
            raise NodeError(f"certificate {ref.key} is not held by node {node.country}")
        _out(_json(decode_state(row.state).to_proto()))
        return 0
    finally:
        node.close()


def cmd_list(args: argparse.Namespace) -> int:
    """List stored documents in feed order."""
    node = _open(args)
    try:
        for record in node.store.list_documents(recipient=None, after=0, kind=0, limit=args.limit):
            _out(
                f"{record.sequence} {record.origin} {record.sender_country}->"
                f"{record.recipient_country} {record.payload_type.split('.')[3]} "
                f"{record.certificate_key} {record.request_id}"
            )
        return 0
    finally:
        node.close()


def _issue_and_deliver(args: argparse.Namespace, action: str) -> int:
    node = _open(args)
    try:
        if action in ("cancel", "revoke"):
            state = (
                lifecycle_pb2.ISSUER_STATE_CANCELLED
                if action == "cancel"
                else lifecycle_pb2.ISSUER_STATE_REVOKED
            )
            issued = node.change_status(parse_ref(args.ref), new_state=state, reason=args.reason)
        elif action == "replace":
            issued = node.issue_certificate(_read_co(args.file), replaces=parse_ref(args.ref))
        elif action == "outcome":
            outcome = lifecycle_pb2.ImportOutcome(
                certificate=parse_ref(args.ref).to_proto(),
                new_state=f"IMPORT_STATE_{args.state}",
                reason_code=args.reason_code or "",
                reason_text=args.reason_text or "",
                import_declaration_number=args.declaration or "",
            )
            for spec in args.use or []:
                number, _, quantity = spec.partition("=")
                usage = outcome.usages.add(item_number=int(number))
                usage.quantity.value = quantity
            issued = node.record_import_outcome(outcome)
        elif action == "verify-request":
            deadline = node.clock().date() + dt.timedelta(days=args.deadline_days)
            request = verification_pb2.VerificationRequest(
                certificate=parse_ref(args.ref).to_proto(),
                reasons=[f"VERIFICATION_REASON_{r}" for r in (args.reason or ["ORIGIN_DOUBT"])],
                questions=args.question or [],
            )
            request.response_deadline.year = deadline.year
            request.response_deadline.month = deadline.month
            request.response_deadline.day = deadline.day
            issued = node.request_verification(request)
            _out(f"verification_id {issued.verification_id}")
        else:  # verify-respond
            result = verification_pb2.VerificationResult(
                verification_id=args.verification_id,
                outcome=f"VERIFICATION_OUTCOME_{args.outcome}",
                findings=args.findings or "",
                non_originating_items=args.item or [],
            )
            issued = node.respond_verification(result)
        return _deliver(node, [issued], wait=not args.no_wait, timeout=args.timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        node.close()


def cmd_trust(args: argparse.Namespace) -> int:
    """Export the node's signed directory or import a partner's."""
    node = _open(args)
    try:
        if args.trust_command == "export":
            Path(args.file).write_bytes(node.directory.SerializeToString())
            _out(f"wrote the signed issuer directory of {node.country} to {args.file}")
            return 0
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise NodeError(f"cannot read {args.file}: {exc.strerror}") from exc
        directory = node.import_directory(data)
        _out(f"loaded issuer directory of {directory.country} version {directory.version}")
        return 0
    finally:
        node.close()


def cmd_adapter(args: argparse.Namespace) -> int:
    """Run the node and the conformance adapter protocol."""
    return run_adapter(_load(args), listen=args.adapter_listen)


# -- parser ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eco-node",
        description="WCO e-CO exchange reference node (docs/node.md).",
    )
    parser.add_argument(
        "--config", help="node configuration TOML (default: $ECO_NODE_CONFIG)", default=None
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("ECO_NODE_LOG_LEVEL", "INFO"),
        help="logging level on standard error (default INFO; $ECO_NODE_LOG_LEVEL)",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", default=argparse.SUPPRESS, help="node configuration TOML ($ECO_NODE_CONFIG)"
    )
    common.add_argument("--log-level", default=argparse.SUPPRESS, help="logging level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_parser = sub.add_parser

    def command(name: str, *, help: str) -> argparse.ArgumentParser:
        return add_parser(name, parents=[common], help=help)

    def deliver_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--no-wait", action="store_true", help="only queue, do not wait")
        p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")

    p = command("init", help="create PKI and a configuration for a country")
    p.add_argument("--country", required=True, help="country code, e.g. XA")
    p.add_argument("--dir", required=True, help="directory for PKI files and the config")
    p.add_argument(
        "--partner", action="append", help="partner country, optionally CC=host:port (repeatable)"
    )
    p.add_argument(
        "--listen", default="127.0.0.1:7443", help="listen address (default 127.0.0.1:7443)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing config")
    p.set_defaults(func=cmd_init)

    p = command("serve", help="serve the node and deliver its outbox")
    p.add_argument("--listen", help="override node.listen")
    p.add_argument("--port-file", help="override node.port_file")
    p.add_argument("--data-dir", help="override node.data_dir")
    p.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="override node.processes: serving processes sharing the port and the store",
    )
    p.add_argument("--worker-of", type=int, metavar="PID", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = command("send", help="issue, sign, queue and deliver COs from protobuf JSON")
    p.add_argument("files", nargs="+", metavar="FILE.json")
    deliver_flags(p)
    p.set_defaults(func=cmd_send)

    p = command("status", help="show counts and the outbox")
    p.set_defaults(func=cmd_status)

    p = command("get", help="show a certificate (CC/authority/number) or verification id")
    p.add_argument("ref")
    p.set_defaults(func=cmd_get)

    p = command("list", help="list stored documents")
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(func=cmd_list)

    for action, helptext in (("cancel", "cancel an issued CO"), ("revoke", "revoke an issued CO")):
        p = command(action, help=helptext)
        p.add_argument("ref", metavar="REF")
        p.add_argument("--reason", required=True)
        deliver_flags(p)
        p.set_defaults(func=lambda a, action=action: _issue_and_deliver(a, action))

    p = command("replace", help="issue a replacement CO with a new number")
    p.add_argument("ref", metavar="REF")
    p.add_argument("file", metavar="FILE.json")
    deliver_flags(p)
    p.set_defaults(func=lambda a: _issue_and_deliver(a, "replace"))

    p = command("outcome", help="record an import outcome on a received CO")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--state", required=True, help="ACCEPTED, REJECTED, PARTIALLY_USED, ...")
    p.add_argument("--reason-code")
    p.add_argument("--reason-text")
    p.add_argument("--declaration", help="import declaration number (usage)")
    p.add_argument("--use", action="append", help="ITEM=QUANTITY used (repeatable)")
    deliver_flags(p)
    p.set_defaults(func=lambda a: _issue_and_deliver(a, "outcome"))

    p = command("verify-request", help="request verification of a received CO")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--reason", action="append", help="ORIGIN_DOUBT, RANDOM, ... (repeatable)")
    p.add_argument("--question", action="append")
    p.add_argument("--deadline-days", type=int, default=60)
    deliver_flags(p)
    p.set_defaults(func=lambda a: _issue_and_deliver(a, "verify-request"))

    p = command("verify-respond", help="answer a received verification request")
    p.add_argument("verification_id", metavar="VERIFICATION_ID")
    p.add_argument("--outcome", required=True, help="CONFIRMED, NOT_CONFIRMED, ...")
    p.add_argument("--findings")
    p.add_argument("--item", type=int, action="append", help="non-originating item number")
    deliver_flags(p)
    p.set_defaults(func=lambda a: _issue_and_deliver(a, "verify-respond"))

    p = command("trust", help="export or import signed issuer directories")
    tsub = p.add_subparsers(dest="trust_command", required=True, metavar="ACTION")
    e = tsub.add_parser(
        "export", parents=[common], help="write this node's signed directory to FILE"
    )
    e.add_argument("file", metavar="FILE")
    i = tsub.add_parser(
        "import", parents=[common], help="verify and load a partner's signed directory"
    )
    i.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_trust)

    p = command("adapter", help="run the node and the conformance adapter protocol")
    p.add_argument(
        "--listen",
        dest="adapter_listen",
        help="serve AdapterService over plaintext gRPC at HOST:PORT instead of stdio",
    )
    p.set_defaults(func=cmd_adapter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``eco-node``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except UsageError as exc:
        sys.stderr.write(f"eco-node: error: {exc.diagnostics()}\n")
        return 2
    except NodeError as exc:
        sys.stderr.write(f"eco-node: error: {exc.diagnostics()}\n")
        return 1
    except EcoError as exc:
        sys.stderr.write(f"eco-node: refused: {exc.diagnostics()}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
