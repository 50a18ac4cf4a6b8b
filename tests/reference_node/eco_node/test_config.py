"""Configuration file (ADR 0001): defaults, one-line errors, environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_node.cli import main
from reference_node.config import CONFIG_ENV, apply_overrides, config_path_from, load_config
from reference_node.errors import ConfigError


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text('[node]\ncountry = "XA"\n\n[[partners]]\ncountry = "XB"\n')
    config = load_config(path)
    assert config.node.listen == "127.0.0.1:7443"
    assert config.node.authority_id == "xa-customs"
    assert config.node.database == tmp_path / "data" / "node.sqlite3"
    assert config.tls.server_cert == tmp_path / "XA" / "node-server.pem"
    assert config.partner("XB").tls_ca == tmp_path / "XB" / "tls-ca.pem"
    assert config.limits.max_message_bytes == 4 * 1024 * 1024
    assert config.delivery.deadline_ms == 5000
    assert config.node.processes == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[node]\n", "node.country is required"),
        ('[node]\ncountry = "xa"\n', "node.country must be an upper-case"),
        ('[node]\ncountry = "XA"\ncolour = 1\n', "unknown key node.colour"),
        ('[node]\ncountry = "XA"\n[limits]\nmax_page_size = 0\n', "at least 1"),
        ('[node]\ncountry = "XA"\nlisten = "nowhere"\n', "is not host:port"),
        ('[node]\ncountry = "XA"\nprocesses = 0\n', "node.processes must be at least 1"),
        ('[node]\ncountry = "XA"\nprocesses = 65\n', "node.processes must be at most 64"),
        ('[node]\ncountry = "XA"\nprocesses = "2"\n', "node.processes must be an integer"),
        ('[node]\ncountry = "XA"\n[[partners]]\ncountry = "XA"\n', "must differ"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "n.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_env_var_and_cli_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match=CONFIG_ENV):
        config_path_from(None, {})
    assert config_path_from(None, {CONFIG_ENV: "x.toml"}) == Path("x.toml")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "missing.toml"))
    assert main(["status"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("eco-node: error: cannot read configuration")


def test_processes_override(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text('[node]\ncountry = "XA"\nprocesses = 3\n')
    config = load_config(path)
    assert config.node.processes == 3
    assert apply_overrides(config, processes=2).node.processes == 2
    with pytest.raises(ConfigError, match=r"processes must be 1\.\.64, not 0"):
        apply_overrides(config, processes=0)
