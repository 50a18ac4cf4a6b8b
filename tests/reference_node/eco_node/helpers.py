"""Test support: PKI and config on disk, in-process nodes, mTLS channels, sample documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.type import date_pb2, decimal_pb2

from reference_node.config import load_config
from reference_node.core import payload_types
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.pki import CountryPki, make_country_pki, write_country_pki
from reference_node.server.app import NodeRuntime
from reference_node.service import Node
from wco.eco.v1 import certificate_pb2, envelope_pb2

T = TypeVar("T")


def make_pkis(root: Path, countries: Sequence[str]) -> dict[str, CountryPki]:
    """Generate and write the PKI of each country under ``root/<CC>/``."""
    result = {}
    for cc in countries:
        pki = make_country_pki(cc)
        write_country_pki(pki, root)
        result[cc] = pki
    return result


def write_config(
    root: Path,
    country: str,
    partners: dict[str, str],
    *,
    name: str | None = None,
    extra: str = "",
) -> Path:
    """Write ``root/<name>.toml`` for ``country`` with partners {country: address}."""
    lines = [
        "[node]",
        f'country = "{country}"',
        'listen = "127.0.0.1:0"',
        f'data_dir = "data-{name or country}"',
        f'port_file = "port-{name or country}"',
        "",
    ]
    for cc, address in partners.items():
        lines += ["[[partners]]", f'country = "{cc}"', f'address = "{address}"', ""]
    lines.append(
        "[delivery]\ninitial_backoff_ms = 50\nmax_backoff_ms = 200\npoll_interval_ms = 50\n"
    )
    path = root / f"{name or country}.toml"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


class RunningNode:
    """A node (server + outbox worker) on its own event loop thread."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.node = Node.open(load_config(config_path))
        self.runtime = NodeRuntime(node=self.node)
        self.port = self.run(self.runtime.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.run(self.runtime.stop(0.5))
        self.node.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def channel(
    root: Path, caller: str, address: str, *, client_dir: Path | None = None
) -> grpc.Channel:
    """An mTLS channel presenting ``caller``'s client certificate, trusting ``root``'s CAs."""
    folder = client_dir or root / caller
    server_ca = b"".join(
        (p / "tls-ca.pem").read_bytes() for p in root.iterdir() if (p / "tls-ca.pem").exists()
    )
    creds = grpc.ssl_channel_credentials(
        root_certificates=server_ca,
        private_key=(folder / "node-client.key").read_bytes(),
        certificate_chain=(folder / "node-client.pem").read_bytes(),
    )
    return grpc.secure_channel(address, creds)


def authority(pki_root: Path, cc: str) -> SigningIdentity:
    return SigningIdentity.from_pem(
        key_pem=(pki_root / cc / "authority.key").read_bytes(),
        chain_pem=(pki_root / cc / "authority.pem").read_bytes(),
    )


def _date(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def make_co(
    exporter: str, importer: str, number: str | None = None
) -> certificate_pb2.CertificateOfOrigin:
    """A valid ATIGA Form D certificate of origin (REQ-CO-002..014)."""
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number or f"{exporter}-{uuid.uuid4().hex[:12].upper()}",
        agreement_id="ATIGA",
        form_type="D",
        exporting_country=exporter,
        importing_country=importer,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=f"{exporter.lower()}-customs", name=f"{exporter} Customs"
        ),
        issue_date=_date(day),
        exporter=certificate_pb2.Party(
            name="Seafood Exports Ltd", address=certificate_pb2.Address(country=exporter)
        ),
        consignee=certificate_pb2.Party(
            name="Fresh Imports Co", address=certificate_pb2.Address(country=importer)
        ),
        goods_items=[
            certificate_pb2.GoodsItem(
                item_number=1,
                description="Frozen shrimp",
                hs_code="030617",
                hs_edition="HS2022",
                origin_criterion=certificate_pb2.OriginCriterion(
                    type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
                ),
                quantity=certificate_pb2.Quantity(
                    value=decimal_pb2.Decimal(value="100"), unit_code="KGM"
                ),
            )
        ],
    )


def signed(
    signer: SigningIdentity, message: Any, payload_type: str = payload_types.CERTIFICATE
) -> envelope_pb2.Envelope:
    return sign_envelope(
        payload_type=payload_type, payload=message.SerializeToString(), signers=[signer]
    )
