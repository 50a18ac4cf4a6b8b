"""buf lint and the breaking-change guard against the v1 baseline (REQ-VERS-001)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._scripts import ROOT, load_script

buf_script = load_script("buf")

pytestmark = pytest.mark.skipif(
    shutil.which("buf", path=str(Path(sys.executable).parent)) is None
    and shutil.which("buf") is None,
    reason="buf is not installed (install the 'dev' extra: buf-bin)",
)

CERTIFICATE = Path("proto/wco/eco/v1/certificate.proto")


def _workspace(tmp_path: Path) -> Path:
    """A copy of buf.yaml and proto/ with its own third-party module."""
    work = tmp_path / "ws"
    work.mkdir()
    shutil.copy2(ROOT / "buf.yaml", work / "buf.yaml")
    shutil.copytree(ROOT / "proto", work / "proto", ignore=shutil.ignore_patterns("baseline"))
    buf_script.sync_third_party(work / ".build" / "third_party")
    return work


def _breaking(work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            buf_script.find_buf(),
            "breaking",
            "proto",
            "--against",
            str(buf_script.BASELINE),
            "--exclude-imports",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )


def _edit(work: Path, old: str, new: str) -> None:
    path = work / CERTIFICATE
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_script_lint_passes() -> None:
    assert buf_script.main(["lint"]) == 0


def test_script_breaking_passes_against_recorded_baseline() -> None:
    assert buf_script.BASELINE.is_file()
    assert buf_script.main(["breaking"]) == 0


def test_script_build_writes_an_image(tmp_path: Path) -> None:
    image = tmp_path / "image.binpb"
    assert buf_script.main(["build", "-o", str(image)]) == 0
    from google.protobuf import descriptor_pb2

    files = descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes())
    names = {f.name for f in files.file}
    assert "wco/eco/v1/certificate.proto" in names
    assert "wco/eco/conformance/v1/adapter.proto" in names


def test_baseline_holds_every_spec_file_and_no_extras() -> None:
    from google.protobuf import descriptor_pb2

    image = descriptor_pb2.FileDescriptorSet.FromString(buf_script.BASELINE.read_bytes())
    names = {f.name for f in image.file if f.name.startswith("wco/")}
    on_disk = {str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto")}
    # Files may be added within v1; none may disappear.
    assert names <= on_disk
    assert "wco/eco/v1/envelope.proto" in names
    # No source info: comment fixes never touch the baseline.
    assert all(not f.HasField("source_code_info") for f in image.file)


def test_third_party_module_is_only_google_type_and_rpc(tmp_path: Path) -> None:
    root = tmp_path / "tp"
    stray = root / "google" / "rpc" / "context" / "attribute_context.proto"
    stray.parent.mkdir(parents=True)
    stray.write_text("stale")
    copied = buf_script.sync_third_party(root)
    assert Path("google/type/date.proto") in copied
    assert Path("google/rpc/status.proto") in copied
    assert not stray.exists()
    files = {p.relative_to(root).parent.as_posix() for p in root.rglob("*.proto")}
    assert files == {"google/type", "google/rpc"}


def test_unchanged_copy_is_not_breaking(tmp_path: Path) -> None:
    work = _workspace(tmp_path)
    result = _breaking(work)
    assert result.returncode == 0, result.stdout + result.stderr


def test_adding_a_field_is_not_breaking(tmp_path: Path) -> None:
    work = _workspace(tmp_path)
    _edit(
        work,
        "  string language_code = 22;\n",
        "  string language_code = 22;\n  // A new optional field.\n  string new_note = 23;\n",
    )
    result = _breaking(work)
    assert result.returncode == 0, result.stdout + result.stderr


def test_renumbering_a_field_is_breaking(tmp_path: Path) -> None:
    work = _workspace(tmp_path)
    _edit(work, "string certificate_number = 1;", "string certificate_number = 99;")
    result = _breaking(work)
    assert result.returncode != 0
    assert re.search(r"certificate_number|\b1\b", result.stdout), result.stdout


def test_deleting_a_field_is_breaking(tmp_path: Path) -> None:
    work = _workspace(tmp_path)
    _edit(work, "  string remarks = 16;\n", "")
    result = _breaking(work)
    assert result.returncode != 0
    assert "16" in result.stdout, result.stdout


def test_renaming_a_field_is_breaking_for_json(tmp_path: Path) -> None:
    work = _workspace(tmp_path)
    _edit(work, "string issue_place = 8;", "string place_of_issue = 8;")
    result = _breaking(work)
    assert result.returncode != 0
    assert "issue_place" in result.stdout, result.stdout
