"""Run buf on the spec in ``proto/`` (lint, build, breaking-change check).

Usage::

    python scripts/buf.py lint
    python scripts/buf.py build [-o PATH]        # default .build/wco-eco.binpb
    python scripts/buf.py breaking [--against PATH]
    python scripts/buf.py baseline [-o PATH]      # record the v1 baseline image

The Google common protos that the spec imports (``google/type/*.proto`` and
``google/rpc/*.proto``) are not committed: they are copied from the installed
``googleapis-common-protos`` package into ``.build/third_party`` (gitignored),
which ``buf.yaml`` declares as a second module that is neither linted nor
checked for breaking changes. ``google/protobuf/*`` comes with buf itself.

The baseline ``proto/baseline/v1.binpb`` is a buf image of the ``proto/``
module (docs/spec.md REQ-VERS-001) without source info, so that editing a
comment never touches it. It keeps the imported Google files only because buf
needs them to resolve the spec's types; ``breaking`` runs with
``--exclude-imports``, so they are never compared: the spec does not own them.
A ``.binpb`` file is not a ``.proto`` file, so buf does not treat it as part
of the module. See docs/adr/0004-buf-baseline.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
THIRD_PARTY = ROOT / ".build" / "third_party"
BASELINE = PROTO_DIR / "baseline" / "v1.binpb"
DEFAULT_IMAGE = ROOT / ".build" / "wco-eco.binpb"
# The subdirectories of the googleapis-common-protos package that the spec
# may import. Only the *.proto files directly inside them are copied.
GOOGLE_PACKAGES = ("google/type", "google/rpc")


def find_buf() -> str:
    """Return the path of the buf executable (venv first, then PATH)."""
    found = shutil.which("buf", path=str(Path(sys.executable).parent)) or shutil.which("buf")
    if found is None:
        raise SystemExit("error: buf not found; install the 'dev' extra (package buf-bin)")
    return found


def googleapis_root() -> Path:
    """Return the directory that holds ``google/`` of googleapis-common-protos."""
    import google.rpc.status_pb2 as status  # noqa: PLC0415 - only needed here

    # .../site-packages/google/rpc/status_pb2.py -> .../site-packages
    return Path(status.__file__).resolve().parent.parent.parent


def _write_if_changed(target: Path, data: bytes) -> None:
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent buf run never sees a half file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    Path(tmp).replace(target)


def sync_third_party(root: Path = THIRD_PARTY) -> list[Path]:
    """Copy google/type and google/rpc protos into ``root``; drop other files.

    Args:
        root: Destination directory (the second buf module).

    Returns:
        The relative paths of the copied ``.proto`` files.
    """
    source = googleapis_root()
    wanted: dict[Path, bytes] = {}
    for package in GOOGLE_PACKAGES:
        for proto in sorted((source / package).glob("*.proto")):
            wanted[proto.relative_to(source)] = proto.read_bytes()
    if not wanted:
        raise SystemExit(f"error: no google/type or google/rpc protos under {source}")
    for relative, data in wanted.items():
        _write_if_changed(root / relative, data)
    # Anything else under the module would be compiled by buf: remove it.
    # Temporary files of a concurrent run (".tmp-*") are left alone.
    keep_dirs = {parent for relative in wanted for parent in relative.parents}
    if root.is_dir():
        for existing in sorted(root.rglob("*"), reverse=True):
            if existing.name.startswith(".tmp-"):
                continue
            if existing.is_file() and existing.relative_to(root) not in wanted:
                existing.unlink(missing_ok=True)
            elif existing.is_dir() and existing.relative_to(root) not in keep_dirs:
                with contextlib.suppress(OSError):
                    existing.rmdir()  # only succeeds when empty
    return sorted(wanted)


def run_buf(args: list[str], *, cwd: Path = ROOT) -> int:
    """Run ``buf`` with ``args`` in ``cwd`` and return its exit code."""
    command = [find_buf(), *args]
    print("+ buf " + " ".join(args), file=sys.stderr)
    return subprocess.run(command, cwd=cwd, check=False).returncode


def lint(*, cwd: Path = ROOT) -> int:
    """``buf lint`` over the spec module (STANDARD + COMMENTS rules)."""
    return run_buf(["lint", "proto"], cwd=cwd)


def build(output: Path, *, cwd: Path = ROOT) -> int:
    """``buf build`` of the whole workspace into the image ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return run_buf(["build", "-o", str(output)], cwd=cwd)


def breaking(against: Path, *, cwd: Path = ROOT) -> int:
    """``buf breaking`` of ``proto/`` against a recorded image (REQ-VERS-001)."""
    if not against.is_file():
        print(f"error: baseline image {against} does not exist", file=sys.stderr)
        return 2
    return run_buf(
        ["breaking", "proto", "--against", str(against), "--exclude-imports"],
        cwd=cwd,
    )


def baseline(output: Path, *, cwd: Path = ROOT) -> int:
    """Write the baseline image of ``proto/`` (imports kept, source info dropped)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return run_buf(["build", "proto", "--exclude-source-info", "-o", str(output)], cwd=cwd)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lint", help="buf lint the spec")
    build_parser = sub.add_parser("build", help="buf build an image")
    build_parser.add_argument("-o", "--output", type=Path, default=DEFAULT_IMAGE)
    breaking_parser = sub.add_parser("breaking", help="buf breaking against the baseline")
    breaking_parser.add_argument("--against", type=Path, default=BASELINE)
    baseline_parser = sub.add_parser("baseline", help="record the baseline image")
    baseline_parser.add_argument("-o", "--output", type=Path, default=BASELINE)
    sub.add_parser("sync", help="only copy the Google protos into .build/third_party")
    options = parser.parse_args(argv)

    sync_third_party()
    if options.command == "lint":
        code = lint()
    elif options.command == "build":
        code = build(options.output.resolve())
    elif options.command == "breaking":
        code = breaking(options.against.resolve())
    elif options.command == "baseline":
        code = baseline(options.output.resolve())
    else:
        code = 0
    if code == 0:
        print(f"buf {options.command}: ok", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
