"""Node configuration: the TOML file of docs/adr/0001-architecture.md.

The file is loaded with :mod:`tomllib` into frozen dataclasses. Relative paths
are resolved against the configuration file's directory. Every problem is
reported as one :class:`~reference_node.errors.ConfigError` line naming the key
at fault. The configuration path may come from ``--config`` or from the
environment variable ``ECO_NODE_CONFIG``; selected values can be overridden
from the command line (see :func:`apply_overrides`).

Defaults (see docs/node.md for the reference):

- ``node.listen`` ``127.0.0.1:7443``; ``node.port_file`` empty (not written);
  ``node.data_dir`` ``data``; ``node.authority_id`` ``<cc>-customs``;
  ``node.authority_name`` ``<CC> Customs``.
- ``tls.*`` and ``signing.*`` default to the files ``reference_node.pki`` writes
  under ``<CC>/`` next to the configuration file.
- ``limits`` as in docs/spec.md section 11; ``delivery.deadline_ms`` 5000,
  ``initial_backoff_ms`` 200, ``max_backoff_ms`` 30000, ``max_attempts`` 0
  (unlimited).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference_node.core.limits import Limits
from reference_node.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "MAX_PROCESSES",
    "DeliveryConfig",
    "NodeConfig",
    "NodeSection",
    "PartnerConfig",
    "SigningConfig",
    "TlsConfig",
    "apply_overrides",
    "config_path_from",
    "load_config",
    "parse_address",
]

#: Environment variable naming the configuration file when ``--config`` is absent.
CONFIG_ENV = "ECO_NODE_CONFIG"
#: Upper bound of ``[node] processes``.
MAX_PROCESSES = 64

_COUNTRY = re.compile(r"[A-Z]{2}")
_AUTHORITY_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeSection:
    """The ``[node]`` table.

    Attributes:
        country: ISO 3166-1 alpha-2 country of the node (required).
        listen: ``host:port`` to serve on; port 0 picks a free port.
        port_file: When set, the bound port is written there once serving.
        data_dir: Directory of the SQLite database ``node.sqlite3``.
        authority_id: Issuing authority the node signs certificates as.
        authority_name: Its name, written into issued certificates.
        implementation_name: Reported in ``NodeInfo``.
        processes: Serving processes sharing the listening port and the
            store (1 = one process; more use more cores, see docs/node.md).
    """

    country: str
    listen: str = "127.0.0.1:7443"
    port_file: Path | None = None
    data_dir: Path = Path("data")
    authority_id: str = ""
    authority_name: str = ""
    implementation_name: str = "eco-exchange reference node"
    processes: int = 1

    @property
    def database(self) -> Path:
        """Path of the SQLite database file."""
        return self.data_dir / "node.sqlite3"


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsConfig:
    """The ``[tls]`` table: the node's own TLS server and client credentials (REQ-ACC-001)."""

    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningConfig:
    """The ``[signing]`` table: document signers and the own trust anchors (section 5)."""

    authority_chain: Path
    authority_key: Path
    node_signer_chain: Path
    node_signer_key: Path
    trust_anchors: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerConfig:
    """One ``[[partners]]`` entry.

    Attributes:
        country: Partner country code.
        address: ``host:port`` to push documents to; empty when the partner pulls.
        tls_ca: PEM CA certificate(s) of the partner's TLS client and server certs.
        tls_server_name: Expected TLS server name, when it differs from the host.
        trust_anchors: PEM document-signing trust anchors of the partner.
        directory: Optional signed IssuerDirectory envelope (binary protobuf).
    """

    country: str
    address: str = ""
    tls_ca: Path
    tls_server_name: str = ""
    trust_anchors: Path
    directory: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryConfig:
    """The ``[delivery]`` table: outbox timing (REQ-PUSH-006).

    Attributes:
        deadline_ms: Deadline of one delivery attempt.
        initial_backoff_ms: First retry delay; doubled per attempt, with jitter.
        max_backoff_ms: Upper bound of the retry delay.
        max_attempts: Attempts before giving up as FAILED; 0 retries forever.
        poll_interval_ms: How often a serving node looks for documents queued by
            other processes (the CLI).
    """

    deadline_ms: int = 5000
    initial_backoff_ms: int = 200
    max_backoff_ms: int = 30000
    max_attempts: int = 0
    poll_interval_ms: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeConfig:
    """A whole node configuration (ADR 0001).

    Attributes:
        path: The configuration file it was loaded from (``None`` if built in code).
        node: The ``[node]`` table.
        tls: The ``[tls]`` table.
        signing: The ``[signing]`` table.
        partners: The ``[[partners]]`` entries, by country order of the file.
        limits: The ``[limits]`` table.
        delivery: The ``[delivery]`` table.
    """

    path: Path | None
    node: NodeSection
    tls: TlsConfig
    signing: SigningConfig
    partners: tuple[PartnerConfig, ...] = ()
    limits: Limits = field(default_factory=Limits)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)

    @property
    def country(self) -> str:
        """The node's country."""
        return self.node.country

    def partner(self, country: str) -> PartnerConfig:
        """Return the partner entry of ``country``.

        Raises:
            ConfigError: No partner is configured for that country.
        """
        for partner in self.partners:
            if partner.country == country:
                return partner
        raise ConfigError(f"no [[partners]] entry for country {country}")


def parse_address(address: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` allowed).

    Raises:
        ConfigError: Not a ``host:port`` with a port in 0..65535.
    """
    host, sep, port_text = address.rpartition(":")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"address {address!r} is not host:port")
    return host.strip("[]"), int(port_text)


def config_path_from(flag: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the configuration path from ``--config`` or ``ECO_NODE_CONFIG``.

    Raises:
        ConfigError: Neither is set.
    """
    env = os.environ if environ is None else environ
    value = flag or env.get(CONFIG_ENV, "")
    if not value:
        raise ConfigError(f"no configuration file: pass --config FILE or set {CONFIG_ENV}")
    return Path(value)


class _Table:
    """Typed access to one TOML table with key-precise errors."""

    def __init__(self, data: Mapping[str, Any], name: str, base: Path) -> None:
        self._data = data
        self._name = name
        self._base = base
        self._used: set[str] = set()

    def _get(self, key: str) -> Any:
        self._used.add(key)
        return self._data.get(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key)
        if value is None:
            if default is None:
                raise ConfigError(f"{self._name}.{key} is required")
            return default
        if not isinstance(value, str):
            raise ConfigError(f"{self._name}.{key} must be a string")
        return value

    def integer(
        self, key: str, default: int, *, minimum: int = 1, maximum: int | None = None
    ) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self._name}.{key} must be an integer")
        if value < minimum:
            raise ConfigError(f"{self._name}.{key} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{self._name}.{key} must be at most {maximum}")
        return value

    def path(self, key: str, default: str) -> Path:
        return self.resolve(self.text(key, default))

    def optional_path(self, key: str) -> Path | None:
        text = self.text(key, "")
        return self.resolve(text) if text else None

    def resolve(self, text: str) -> Path:
        path = Path(text).expanduser()
        return path if path.is_absolute() else self._base / path

    def check_unknown(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise ConfigError(f"unknown key {self._name}.{unknown[0]}")


def _table(raw: Mapping[str, Any], key: str, base: Path) -> _Table:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return _Table(value, key, base)


def _country(value: str, where: str) -> str:
    if not _COUNTRY.fullmatch(value):
        raise ConfigError(f"{where} must be an upper-case ISO 3166-1 alpha-2 code, got {value!r}")
    return value


def load_config(path: Path) -> NodeConfig:
    """Load and check a node configuration file (ADR 0001).

    Args:
        path: The TOML file.

    Returns:
        The configuration, with every path absolute.

    Raises:
        ConfigError: The file is missing, not TOML, or a value is invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration {path} is not valid TOML: {exc}") from exc
    return config_from_mapping(raw, base=path.resolve().parent, path=path.resolve())


def config_from_mapping(raw: Mapping[str, Any], *, base: Path, path: Path | None) -> NodeConfig:
    """Build a configuration from parsed TOML (see :func:`load_config`).

    Raises:
        ConfigError: A value is invalid.
    """
    unknown = sorted(set(raw) - {"node", "tls", "signing", "partners", "limits", "delivery"})
    if unknown:
        raise ConfigError(f"unknown configuration table [{unknown[0]}]")
    node_t = _table(raw, "node", base)
    country = _country(node_t.text("country"), "node.country")
    cc = country
    listen = node_t.text("listen", "127.0.0.1:7443")
    parse_address(listen)
    authority_id = node_t.text("authority_id", f"{cc.lower()}-customs")
    if not _AUTHORITY_ID.fullmatch(authority_id):
        raise ConfigError(f"node.authority_id {authority_id!r} must match [a-z0-9][a-z0-9-]*")
    node = NodeSection(
        country=country,
        listen=listen,
        port_file=node_t.optional_path("port_file"),
        data_dir=node_t.path("data_dir", "data"),
        authority_id=authority_id,
        authority_name=node_t.text("authority_name", f"{cc} Customs"),
        implementation_name=node_t.text("implementation_name", "eco-exchange reference node"),
        processes=node_t.integer("processes", 1, maximum=MAX_PROCESSES),
    )
    node_t.check_unknown()

    tls_t = _table(raw, "tls", base)
    tls = TlsConfig(
        server_cert=tls_t.path("server_cert", f"{cc}/node-server.pem"),
        server_key=tls_t.path("server_key", f"{cc}/node-server.key"),
        client_cert=tls_t.path("client_cert", f"{cc}/node-client.pem"),
        client_key=tls_t.path("client_key", f"{cc}/node-client.key"),
    )
    tls_t.check_unknown()

    sig_t = _table(raw, "signing", base)
    signing = SigningConfig(
        authority_chain=sig_t.path("authority_chain", f"{cc}/authority.pem"),
        authority_key=sig_t.path("authority_key", f"{cc}/authority.key"),
        node_signer_chain=sig_t.path("node_signer_chain", f"{cc}/node-signer.pem"),
        node_signer_key=sig_t.path("node_signer_key", f"{cc}/node-signer.key"),
        trust_anchors=sig_t.path("trust_anchors", f"{cc}/anchors.pem"),
    )
    sig_t.check_unknown()

    raw_partners = raw.get("partners", [])
    if not isinstance(raw_partners, list):
        raise ConfigError("[[partners]] must be an array of tables")
    partners: list[PartnerConfig] = []
    for index, entry in enumerate(raw_partners):
        if not isinstance(entry, dict):
            raise ConfigError(f"partners[{index}] must be a table")
        p_t = _Table(entry, f"partners[{index}]", base)
        p_country = _country(p_t.text("country"), f"partners[{index}].country")
        if p_country == country:
            raise ConfigError(f"partners[{index}].country must differ from node.country")
        if any(p.country == p_country for p in partners):
            raise ConfigError(f"partners[{index}].country {p_country} is listed twice")
        address = p_t.text("address", "")
        if address:
            parse_address(address)
        partners.append(
            PartnerConfig(
                country=p_country,
                address=address,
                tls_ca=p_t.path("tls_ca", f"{p_country}/tls-ca.pem"),
                tls_server_name=p_t.text("tls_server_name", ""),
                trust_anchors=p_t.path("trust_anchors", f"{p_country}/anchors.pem"),
                directory=p_t.optional_path("directory"),
            )
        )
        p_t.check_unknown()

    lim_t = _table(raw, "limits", base)
    defaults = Limits()
    try:
        limits = Limits(
            max_message_bytes=lim_t.integer("max_message_bytes", defaults.max_message_bytes),
            max_payload_bytes=lim_t.integer("max_payload_bytes", defaults.max_payload_bytes),
            max_goods_items=lim_t.integer("max_goods_items", defaults.max_goods_items),
            max_stream_documents=lim_t.integer(
                "max_stream_documents", defaults.max_stream_documents
            ),
            max_page_size=lim_t.integer("max_page_size", defaults.max_page_size),
            default_page_size=lim_t.integer("default_page_size", defaults.default_page_size),
        )
    except ValueError as exc:
        raise ConfigError(f"[limits]: {exc}") from exc
    lim_t.check_unknown()

    del_t = _table(raw, "delivery", base)
    delivery = DeliveryConfig(
        deadline_ms=del_t.integer("deadline_ms", 5000),
        initial_backoff_ms=del_t.integer("initial_backoff_ms", 200),
        max_backoff_ms=del_t.integer("max_backoff_ms", 30000),
        max_attempts=del_t.integer("max_attempts", 0, minimum=0),
        poll_interval_ms=del_t.integer("poll_interval_ms", 200),
    )
    if delivery.max_backoff_ms < delivery.initial_backoff_ms:
        raise ConfigError("delivery.max_backoff_ms must not be below initial_backoff_ms")
    del_t.check_unknown()

    return NodeConfig(
        path=path,
        node=node,
        tls=tls,
        signing=signing,
        partners=tuple(partners),
        limits=limits,
        delivery=delivery,
    )


def apply_overrides(
    config: NodeConfig,
    *,
    listen: str | None = None,
    port_file: Path | None = None,
    data_dir: Path | None = None,
    processes: int | None = None,
) -> NodeConfig:
    """Return ``config`` with command-line overrides applied.

    Raises:
        ConfigError: An overriding value is invalid.
    """
    node = config.node
    if listen is not None:
        parse_address(listen)
        node = dataclasses.replace(node, listen=listen)
    if port_file is not None:
        node = dataclasses.replace(node, port_file=port_file.resolve())
    if data_dir is not None:
        node = dataclasses.replace(node, data_dir=data_dir.resolve())
    if processes is not None:
        if not 1 <= processes <= MAX_PROCESSES:
            raise ConfigError(f"processes must be 1..{MAX_PROCESSES}, not {processes}")
        node = dataclasses.replace(node, processes=processes)
    return dataclasses.replace(config, node=node)


def with_partner(config: NodeConfig, partner: PartnerConfig) -> NodeConfig:
    """Return ``config`` with ``partner`` added or replacing the same country's entry."""
    partners = tuple(p for p in config.partners if p.country != partner.country)
    return dataclasses.replace(config, partners=(*partners, partner))
