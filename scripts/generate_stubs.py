"""Regenerate the Python stubs under ``wco/`` from ``proto/``.

Usage::

    python scripts/generate_stubs.py          # rewrite wco/
    python scripts/generate_stubs.py --check  # exit 1 if wco/ is stale

The stubs are messages (``*_pb2.py``), their type stubs (``*_pb2.pyi``),
gRPC services (``*_pb2_grpc.py``) and typed service stubs
(``*_pb2_grpc.pyi``, from mypy-protobuf). They import by the proto package
path (``proto/wco/eco/v1/x.proto`` -> ``wco.eco.v1.x_pb2``) and are never
edited by hand.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_PACKAGE = "wco"
INIT_TEXT = '"""Generated from proto/ by scripts/generate_stubs.py. Do not edit."""\n'


def _include_dirs() -> list[Path]:
    import grpc_tools  # noqa: PLC0415 - only needed when generating

    dirs = [PROTO_DIR, Path(grpc_tools.__file__).parent / "_proto"]
    import google.rpc.status_pb2 as status  # noqa: PLC0415

    # google/rpc/status.proto sits two levels above the module directory.
    dirs.append(Path(status.__file__).resolve().parent.parent.parent)
    return dirs


def _plugin(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        found = shutil.which(name)
    if found is None:
        raise SystemExit(f"error: {name} not found; install the 'dev' extra")
    return found


def generate(out_root: Path) -> None:
    """Generate all stubs into ``out_root`` (which receives ``wco/...``)."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    args = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        *(f"-I{d}" for d in _include_dirs()),
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--mypy_grpc_out={out_root}",
        *protos,
    ]
    subprocess.run(args, check=True, cwd=PROTO_DIR)
    for directory in [out_root / OUT_PACKAGE, *(out_root / OUT_PACKAGE).rglob("*")]:
        if directory.is_dir() and directory.name != "__pycache__":
            (directory / "__init__.py").write_text(INIT_TEXT)
    (out_root / OUT_PACKAGE / "py.typed").write_text("")


def _same_tree(a: Path, b: Path) -> list[str]:
    diffs: list[str] = []
    names_a = {
        p.relative_to(a) for p in a.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    names_b = {
        p.relative_to(b) for p in b.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    for name in sorted(names_a ^ names_b):
        diffs.append(f"only in one tree: {name}")
    for name in sorted(names_a & names_b):
        if not filecmp.cmp(a / name, b / name, shallow=False):
            diffs.append(f"differs: {name}")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed stubs are stale"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out)
        target = ROOT / OUT_PACKAGE
        if options.check:
            diffs = _same_tree(out / OUT_PACKAGE, target)
            if diffs:
                print(
                    "stale generated stubs; run: python scripts/generate_stubs.py", file=sys.stderr
                )
                print("\n".join(diffs), file=sys.stderr)
                return 1
            print("generated stubs are up to date")
            return 0
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(out / OUT_PACKAGE, target)
        print(
            f"wrote {sum(1 for _ in target.rglob('*.py*'))} files under {target.relative_to(ROOT)}/"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
