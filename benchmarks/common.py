"""Shared parts of the benchmarks: test PKI, signed documents, node config, processes.

The PKI follows the certificate profiles of ADR 0001 and docs/spec.md
section 5.2 (REQ-PKI-002, REQ-ACC-001): per test country a document trust
anchor, an intermediate CA, an issuing-authority signer and a node signer,
plus a TLS CA with a server and a client certificate. It is made by the
node's generator ``reference_node.pki``. The node configuration is written in the TOML
format of ADR 0001; the node runs as a real subprocess
(``python -m reference_node serve --config ...``), measured with psutil.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.type import date_pb2, decimal_pb2  # type: ignore[import-untyped]

from reference_node import pki as node_pki
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2

__all__ = [
    "CERTIFICATE_TYPE",
    "RECEIPT_TYPE",
    "REPO_ROOT",
    "CountryFiles",
    "LoadResult",
    "ProcessMonitor",
    "ServerProcess",
    "Signer",
    "generate_country",
    "generate_pki",
    "machine_info",
    "make_certificate",
    "make_requests",
    "pae",
    "percentile",
    "read_requests",
    "run_loadgen",
    "write_node_config",
    "write_requests",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
CERTIFICATE_TYPE = "application/vnd.wco.eco.certificate.v1+protobuf"
RECEIPT_TYPE = "application/vnd.wco.eco.receipt.v1+protobuf"
_LEN = struct.Struct(">I")


# --------------------------------------------------------------------------- PKI


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryFiles:
    """Paths of one test country's PKI files, in the layout of ADR 0001.

    Attributes:
        country: Test country code (``XA`` .. ``XZ``).
        authority_id: Id of the country's issuing authority.
        directory: Folder holding the files.
    """

    country: str
    authority_id: str
    directory: Path

    def path(self, name: str) -> Path:
        """Return the path of file ``name`` (e.g. ``authority.pem``) of this country."""
        return self.directory / name


def generate_country(root: Path, country: str, authority_id: str) -> CountryFiles:
    """Generate the document and TLS PKI of one country under ``root/country``.

    Uses the node's own generator, ``reference_node.pki`` (same profiles and
    file layout as the node configuration expects).

    Document side (REQ-PKI-002..004): self-signed anchor, intermediate CA
    (pathlen 0), authority signer ``urn:wco:eco:authority:CC:ID`` and node
    signer ``urn:wco:eco:node:CC``. TLS side (REQ-ACC-001): a TLS CA, a
    server certificate (``localhost``, ``127.0.0.1``, node URI, serverAuth)
    and a client certificate (node URI, clientAuth).

    Args:
        root: Folder under which ``<country>/`` is created.
        country: Test country code.
        authority_id: Issuing authority id of the country.

    Returns:
        The paths of the written files.
    """
    folder = node_pki.write_country_pki(
        node_pki.make_country_pki(country, authority_id=authority_id), root
    )
    return CountryFiles(country=country, authority_id=authority_id, directory=folder)


def generate_pki(root: Path) -> tuple[CountryFiles, CountryFiles]:
    """Generate the two benchmark countries: ``XA`` (load generator) and ``XB`` (node).

    Returns:
        ``(sender, receiver)``: XA with authority ``xa-customs``, XB with
        ``xb-customs``.
    """
    return (
        generate_country(root, "XA", "xa-customs"),
        generate_country(root, "XB", "xb-customs"),
    )


# ------------------------------------------------------------------ signing


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding (docs/spec.md REQ-SIG-003)."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """An ECDSA P-256 signing key with its chain (leaf first, DER).

    Attributes:
        key: The private key.
        chain: DER certificates, leaf then intermediates (REQ-PKI-001).
        key_id: Lowercase hex SHA-256 of the leaf's SubjectPublicKeyInfo
            (REQ-SIG-004).
    """

    key: ec.EllipticCurvePrivateKey
    chain: tuple[bytes, ...]
    key_id: str

    @classmethod
    def load(cls, *, chain_pem: Path, key_pem: Path) -> Signer:
        """Load a signer from a PEM chain bundle and a PKCS#8 PEM key."""
        certs = x509.load_pem_x509_certificates(chain_pem.read_bytes())
        key = serialization.load_pem_private_key(key_pem.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_pem} is not an EC private key")
        spki = (
            certs[0]
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return cls(
            key=key,
            chain=tuple(c.public_bytes(serialization.Encoding.DER) for c in certs),
            key_id=hashlib.sha256(spki).hexdigest(),
        )

    def sign(self, payload_type: str, payload: bytes) -> envelope_pb2.Envelope:
        """Return an envelope carrying ``payload`` signed over its PAE (REQ-SIG-003)."""
        signature = self.key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
        return envelope_pb2.Envelope(
            payload_type=payload_type,
            payload=payload,
            signatures=[
                envelope_pb2.Signature(
                    algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                    key_id=self.key_id,
                    signature=signature,
                    certificate_chain=list(self.chain),
                )
            ],
        )


# ------------------------------------------------------------ documents

_DESCRIPTIONS = (
    "Frozen shrimps, peeled and deveined, in cartons of 10 kg",
    "Natural rubber in smoked sheets, RSS grade 3",
    "Polyester woven fabric, dyed, width 150 cm",
    "Lithium-ion battery cells for electric vehicles",
    "Canned tuna in vegetable oil, 185 g tins",
    "Cold-rolled stainless steel coils, grade 304",
    "Men's cotton shirts, woven, long sleeves",
    "Roasted coffee beans, not decaffeinated",
    "Printed circuit board assemblies for televisions",
    "Plywood of tropical wood, 18 mm, phenolic glued",
)
_HS = ("030617", "400121", "540752", "850760", "160414", "721932", "620520", "090121")


def _date(d: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def _dec(text: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=text)


def _item(index: int, invoice_date: dt.date, origin_country: str) -> certificate_pb2.GoodsItem:
    kind = index % 3
    if kind == 0:
        criterion = certificate_pb2.OriginCriterion(
            type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED, text="WO"
        )
    elif kind == 1:
        criterion = certificate_pb2.OriginCriterion(
            type=certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT,
            rvc_percentage=_dec(f"{40 + index % 50}.5"),
            text="RVC 40%",
        )
    else:
        criterion = certificate_pb2.OriginCriterion(
            type=certificate_pb2.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION,
            tariff_shift=certificate_pb2.TARIFF_SHIFT_HEADING,
            text="CTH",
        )
    return certificate_pb2.GoodsItem(
        item_number=index + 1,
        marks_and_numbers=f"BHT/GL-2026 PORT CITY C/NO. {index + 1:03d}-{index + 40:03d}",
        package_count=40 + index,
        package_kind="CT",
        description=_DESCRIPTIONS[index % len(_DESCRIPTIONS)],
        hs_code=_HS[index % len(_HS)],
        hs_edition="HS2022",
        origin_criterion=criterion,
        quantity=certificate_pb2.Quantity(value=_dec(f"{1000 + 17 * index}.25"), unit_code="KGM"),
        gross_weight=certificate_pb2.Quantity(
            value=_dec(f"{1100 + 17 * index}.5"), unit_code="KGM"
        ),
        fob_value=certificate_pb2.MonetaryAmount(
            currency_code="USD", amount=_dec(f"{25000 + 311 * index}.40")
        ),
        invoice_number=f"INV-2026-{4711 + index}",
        invoice_date=_date(invoice_date),
        origin_country=origin_country,
    )


def _address(lines: Sequence[str], city: str, postal: str, country: str) -> certificate_pb2.Address:
    return certificate_pb2.Address(
        lines=list(lines), city=city, postal_code=postal, country=country
    )


def make_certificate(
    *,
    number: str,
    items: int,
    exporting: str,
    importing: str,
    authority_id: str,
    issue_date: dt.date,
) -> certificate_pb2.CertificateOfOrigin:
    """Build a realistic, valid certificate of origin (docs/spec.md section 4).

    With 10 goods items the serialized payload is about 3 KB; every item is
    complete (HS code, origin criterion, quantity, weight, FOB value,
    invoice), so the field rules of REQ-CO-002..014 all apply and pass.

    Args:
        number: Certificate number (REQ-CO-004).
        items: Number of goods items.
        exporting: Exporting country code.
        importing: Importing country code.
        authority_id: Issuing authority id (REQ-AUTH-002).
        issue_date: Date of issue (not after the receiver's today + 1).

    Returns:
        The certificate message.
    """
    earlier = issue_date - dt.timedelta(days=2)
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="AKFTA",
        form_type="AK",
        exporting_country=exporting,
        importing_country=importing,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=authority_id,
            name=f"{exporting} Customs Service, Origin Division",
            address=_address(["1 Customs Plaza"], "Capital", "10001", exporting),
        ),
        issue_date=_date(issue_date),
        issue_place="Capital",
        exporter=certificate_pb2.Party(
            name="Blue Harbour Trading Co., Ltd.",
            address=_address(["12 Harbour Road", "Unit 5"], "Port City", "48001", exporting),
            identifiers=[
                certificate_pb2.PartyIdentifier(
                    scheme="TIN", value="123-45-67890", issuing_country=exporting
                )
            ],
            email="export@blueharbour.example",
        ),
        producers=[
            certificate_pb2.Party(
                name="Blue Harbour Seafood Processing Plant No. 2",
                address=_address(["Lot 7, Industrial Zone B"], "Port City", "48020", exporting),
                identifiers=[
                    certificate_pb2.PartyIdentifier(
                        scheme="BRN", value="BRN-20-118844", issuing_country=exporting
                    )
                ],
            )
        ],
        consignee=certificate_pb2.Party(
            name="Golden Lotus Import Joint Stock Company",
            address=_address(["88 Riverside Avenue", "Floor 9"], "River City", "70000", importing),
            identifiers=[
                certificate_pb2.PartyIdentifier(
                    scheme="TIN", value="0301234567", issuing_country=importing
                )
            ],
            phone="+00 28 3822 1000",
        ),
        transport=certificate_pb2.TransportDetails(
            mode=certificate_pb2.TRANSPORT_MODE_SEA,
            conveyance_name="MV Ocean Pioneer",
            voyage_number="V.026E",
            departure_date=_date(earlier),
            port_of_loading="XAPOR",
            port_of_discharge="XBRIV",
        ),
        goods_items=[_item(i, earlier, exporting) for i in range(items)],
        remarks="Shipment under contract 2026/07",
        exporter_declaration=certificate_pb2.ExporterDeclaration(
            place="Port City",
            date=_date(earlier),
            signatory_name="Kim Minji",
            text="The undersigned declares that the goods comply with the origin requirements.",
        ),
        certification=certificate_pb2.Certification(
            officer_name="Lee Jaehyun",
            place="Capital",
            date=_date(issue_date),
            text="Certified on the basis of control carried out.",
        ),
        language_code="en",
    )


def make_requests(
    *,
    signer: Signer,
    count: int,
    items: int,
    exporting: str,
    importing: str,
    authority_id: str,
    prefix: str,
) -> list[bytes]:
    """Pre-generate ``count`` distinct signed submissions, serialized.

    Every request has its own request id (REQ-IDEM-001) and certificate
    number (REQ-IDEM-004), so none is a duplicate. The bytes are those of a
    ``SubmitDocumentRequest``, which has the same wire form as a
    ``SubmitDocumentStreamRequest``.

    Args:
        signer: The exporting authority's signer.
        count: How many requests.
        items: Goods items per certificate.
        exporting: Exporting country.
        importing: Importing country.
        authority_id: Issuing authority id.
        prefix: Certificate number prefix making numbers unique per set.

    Returns:
        Serialized requests.
    """
    today = dt.datetime.now(dt.UTC).date()
    out: list[bytes] = []
    for i in range(count):
        co = make_certificate(
            number=f"{prefix}-{i:07d}",
            items=items,
            exporting=exporting,
            importing=importing,
            authority_id=authority_id,
            issue_date=today,
        )
        envelope = signer.sign(CERTIFICATE_TYPE, co.SerializeToString())
        request = exchange_service_pb2.SubmitDocumentRequest(
            request_id=str(uuid.uuid4()), envelope=envelope
        )
        out.append(request.SerializeToString())
    return out


def write_requests(path: Path, requests: Sequence[bytes]) -> None:
    """Write serialized requests, each prefixed by its 4-byte big-endian length."""
    with path.open("wb") as f:
        for r in requests:
            f.write(_LEN.pack(len(r)))
            f.write(r)


def read_requests(path: Path) -> list[bytes]:
    """Read a file written by :func:`write_requests`."""
    data = path.read_bytes()
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        (n,) = _LEN.unpack_from(data, pos)
        pos += _LEN.size
        out.append(data[pos : pos + n])
        pos += n
    return out


# --------------------------------------------------------------- config


def write_node_config(
    *,
    path: Path,
    node: CountryFiles,
    partner: CountryFiles,
    data_dir: Path,
    port_file: Path,
) -> Path:
    """Write a node configuration file in the TOML format of ADR 0001.

    Args:
        path: Where to write the file.
        node: PKI of the node's own country.
        partner: PKI of the one partner (the load generator's country).
        data_dir: The node's data folder (SQLite at ``data_dir/node.sqlite3``).
        port_file: Where the node writes its bound port once serving.

    Returns:
        ``path``.
    """

    def q(p: Path) -> str:
        return json.dumps(str(p))

    n, p = node, partner
    text = f"""[node]
country = "{n.country}"
listen = "127.0.0.1:0"
port_file = {q(port_file)}
data_dir = {q(data_dir)}
authority_id = "{n.authority_id}"
authority_name = "{n.country} Customs"
implementation_name = "eco-exchange reference node (benchmark)"

[tls]
server_cert = {q(n.path("node-server.pem"))}
server_key = {q(n.path("node-server.key"))}
client_cert = {q(n.path("node-client.pem"))}
client_key = {q(n.path("node-client.key"))}

[signing]
authority_chain = {q(n.path("authority.pem"))}
authority_key = {q(n.path("authority.key"))}
node_signer_chain = {q(n.path("node-signer.pem"))}
node_signer_key = {q(n.path("node-signer.key"))}
trust_anchors = {q(n.path("anchors.pem"))}

[[partners]]
country = "{p.country}"
tls_ca = {q(p.path("tls-ca.pem"))}
trust_anchors = {q(p.path("anchors.pem"))}
"""
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------ processes


@dataclass(slots=True)
class ProcessMonitor:
    """Samples a process's resident set size (with its children) in a thread.

    CPU time is read from psutil at :meth:`mark` points; RSS is sampled
    every ``interval`` seconds so that the peak and the course over a run
    are known.
    """

    pid: int
    interval: float = 0.05
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _procs(self) -> list[psutil.Process]:
        proc = psutil.Process(self.pid)
        return [proc, *proc.children(recursive=True)]

    def rss(self) -> int:
        """Current RSS in bytes of the process and its children."""
        total = 0
        for p in self._procs():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the process and its children."""
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), self.rss()))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start sampling."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def peak_since(self, t0: float) -> int:
        """Largest RSS sampled at or after monotonic time ``t0`` (bytes)."""
        values = [rss for t, rss in self.samples if t >= t0]
        return max(values, default=0)


class ServerProcess:
    """A server (the node or the echo server) running as a subprocess.

    The server must write its bound port to ``port_file`` once serving (the
    node's ``[node] port_file``, ADR 0001).
    """

    def __init__(self, *, argv: Sequence[str], port_file: Path, log_path: Path) -> None:
        self.argv = list(argv)
        self.port_file = port_file
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.monitor: ProcessMonitor | None = None
        self.port = 0

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until its port file appears."""
        self.port_file.unlink(missing_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode} before serving; "
                    f"log {self.log_path}:\n{self.log_path.read_text(errors='replace')[-3000:]}"
                )
            if self.port_file.exists():
                text = self.port_file.read_text().strip()
                if text.isdigit():
                    self.port = int(text)
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not write {self.port_file} in {timeout}s")
            time.sleep(0.05)
        self.monitor = ProcessMonitor(self.proc.pid)
        self.monitor.start()

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the server and its children (0 before start)."""
        return self.monitor.cpu_seconds() if self.monitor is not None else 0.0

    @property
    def target(self) -> str:
        """``127.0.0.1:port``."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.monitor is not None:
            self.monitor.stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def node_argv(config: Path, *, processes: int = 1) -> list[str]:
    """Command line that starts the reference node on ``config``.

    ``python -m reference_node --config FILE serve`` (the ``eco-node serve``
    command; ``--config`` is an option of the command line as a whole); when
    the package has no ``__main__`` module, the CLI's ``main`` is called
    directly with the same arguments.
    """
    args = ["--config", str(config), "--log-level", "WARNING", "serve"]
    if processes != 1:
        args += ["--processes", str(processes)]
    if (REPO_ROOT / "reference_node" / "__main__.py").exists():
        return [sys.executable, "-m", "reference_node", *args]
    return [
        sys.executable,
        "-c",
        "import sys; from reference_node.cli import main; sys.exit(main(sys.argv[1:]))",
        *args,
    ]


def echo_argv(config: Path, *, processes: int = 1) -> list[str]:
    """Command line that starts the echo server on the same ``config``."""
    argv = [sys.executable, "-m", "benchmarks.echo_server", "--config", str(config)]
    return argv if processes == 1 else [*argv, "--processes", str(processes)]


# -------------------------------------------------------------- loadgen


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What one load generator run measured, plus the server's resources.

    Attributes:
        ok: Submissions answered with a receipt.
        errors: Refusals and failures, by ``CODE/REASON``.
        seconds: Wall time of the timed phase.
        rate: Certificates acknowledged per second.
        p50_ms: Median latency, milliseconds.
        p99_ms: 99th percentile latency, milliseconds.
        server_cpu_s: Server CPU seconds (user + system) in the timed phase.
        server_peak_rss_mb: Largest server RSS sampled in the run, MiB.
        client_cpu_s: Load generator CPU seconds in the timed phase.
    """

    ok: int
    errors: dict[str, int]
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float
    server_peak_rss_mb: float
    client_cpu_s: float

    @property
    def server_cpu_ms_per_cert(self) -> float:
        """Server CPU milliseconds per acknowledged certificate."""
        return 1000.0 * self.server_cpu_s / self.ok if self.ok else float("nan")


def run_loadgen(
    *,
    server: ServerProcess,
    client: CountryFiles,
    server_ca: Path,
    requests_file: Path,
    mode: str,
    channels: int,
    inflight: int,
    warmup: int,
    count: int,
    offset: int = 0,
    cycle: bool = False,
) -> LoadResult:
    """Run :mod:`benchmarks.loadgen` as a separate process against ``server``.

    Server CPU is the difference of its CPU time between the loadgen's
    "start" and "end" marks of the timed phase (read from its stderr), so
    warm-up and pre-loading are excluded.

    Returns:
        The combined result.

    Raises:
        RuntimeError: The load generator failed.
    """
    assert server.monitor is not None
    argv = [
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--target",
        server.target,
        "--ca",
        str(server_ca),
        "--cert",
        str(client.path("node-client.pem")),
        "--key",
        str(client.path("node-client.key")),
        "--requests",
        str(requests_file),
        "--mode",
        mode,
        "--channels",
        str(channels),
        "--inflight",
        str(inflight),
        "--warmup",
        str(warmup),
        "--count",
        str(count),
        "--offset",
        str(offset),
        "--marks",
        *(["--cycle"] if cycle else []),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    log_path = server.log_path.with_name(f"loadgen-{mode}.log")
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None
    assert proc.stdin is not None
    cpu0 = t0 = 0.0
    cpu1 = 0.0
    # The loadgen prints "mark start" then waits for our newline, so that
    # the server's CPU counter is read exactly at the start of timing.
    for raw_line in proc.stdout:
        line = raw_line.strip()
        if line == "mark start":
            cpu0 = server.monitor.cpu_seconds()
            t0 = time.monotonic()
            proc.stdin.write("go\n")
            proc.stdin.flush()
        elif line == "mark end":
            cpu1 = server.monitor.cpu_seconds()
        elif line.startswith("{"):
            result = json.loads(line)
            break
    else:
        proc.wait()
        raise RuntimeError(
            f"loadgen failed ({proc.returncode}):\n{log_path.read_text(errors='replace')[-3000:]}"
        )
    proc.wait()
    return LoadResult(
        ok=result["ok"],
        errors=result["errors"],
        seconds=result["seconds"],
        rate=result["rate"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        server_cpu_s=cpu1 - cpu0,
        server_peak_rss_mb=server.monitor.peak_since(t0) / 2**20,
        client_cpu_s=result["client_cpu_s"],
    )


# ---------------------------------------------------------------- misc


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0..100) of ``values`` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine_info() -> dict[str, str]:
    """The machine the figures come from: CPU model, core count, Python, OS."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "memory_gib": f"{psutil.virtual_memory().total / 2**30:.1f}",
    }


@contextmanager
def work_dir(keep: Path | None) -> Iterator[Path]:
    """A scratch folder: ``keep`` if given (kept afterwards), else a temporary one."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="eco-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
