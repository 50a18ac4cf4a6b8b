"""Generate docs/reference.md from the comments in ``proto/``.

Usage::

    python scripts/proto_reference.py          # rewrite docs/reference.md
    python scripts/proto_reference.py --check  # exit 1 if docs/reference.md is stale

The protos are compiled with ``grpc_tools.protoc --include_source_info`` into a
``FileDescriptorSet``; every service, RPC, message, field, enum and enum value
is listed with its leading comment, which is the field-level reference of the
spec (docs/spec.md, introduction). The output depends only on the proto files,
so a test can require the committed file to regenerate identically.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUTPUT = ROOT / "docs" / "reference.md"

# Field numbers inside descriptor.proto, used to address SourceCodeInfo locations.
_MESSAGE_TYPE = 4
_ENUM_TYPE = 5
_SERVICE = 6
_FIELD = 2
_NESTED_TYPE = 3
_NESTED_ENUM = 4
_ENUM_VALUE = 2
_METHOD = 2

_FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    _FDP.TYPE_DOUBLE: "double",
    _FDP.TYPE_FLOAT: "float",
    _FDP.TYPE_INT64: "int64",
    _FDP.TYPE_UINT64: "uint64",
    _FDP.TYPE_INT32: "int32",
    _FDP.TYPE_FIXED64: "fixed64",
    _FDP.TYPE_FIXED32: "fixed32",
    _FDP.TYPE_BOOL: "bool",
    _FDP.TYPE_STRING: "string",
    _FDP.TYPE_BYTES: "bytes",
    _FDP.TYPE_UINT32: "uint32",
    _FDP.TYPE_SFIXED32: "sfixed32",
    _FDP.TYPE_SFIXED64: "sfixed64",
    _FDP.TYPE_SINT32: "sint32",
    _FDP.TYPE_SINT64: "sint64",
}


def _include_dirs() -> list[Path]:
    import google.rpc.status_pb2 as status  # noqa: PLC0415 - only needed here
    import grpc_tools  # noqa: PLC0415

    return [
        PROTO_DIR,
        Path(grpc_tools.__file__).parent / "_proto",
        Path(status.__file__).resolve().parent.parent.parent,
    ]


def compile_descriptors() -> descriptor_pb2.FileDescriptorSet:
    """Compile every file under proto/ into a FileDescriptorSet with source info."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.binpb"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                *(f"-I{d}" for d in _include_dirs()),
                "--include_source_info",
                f"--descriptor_set_out={out}",
                *protos,
            ],
            check=True,
            cwd=PROTO_DIR,
        )
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


class _Comments:
    """Leading comments of one file, by SourceCodeInfo path."""

    def __init__(self, file: descriptor_pb2.FileDescriptorProto) -> None:
        self._by_path = {
            tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location
        }
        # The file comment is the first comment detached from the syntax statement.
        for loc in file.source_code_info.location:
            if tuple(loc.path) == (12,) and loc.leading_detached_comments:
                self._by_path[(12,)] = loc.leading_detached_comments[0]

    def block(self, path: tuple[int, ...]) -> str:
        """The comment as paragraphs (line breaks kept)."""
        lines = [line.rstrip() for line in self._by_path.get(path, "").splitlines()]
        return "\n".join(line[1:] if line.startswith(" ") else line for line in lines).strip()

    def cell(self, path: tuple[int, ...]) -> str:
        """The comment on one line, for a table cell."""
        text = " ".join(line.strip() for line in self.block(path).splitlines() if line.strip())
        return text.replace("|", "\\|")


def _anchor(full_name: str) -> str:
    return full_name.lower().replace(".", "-").replace("/", "-")


def _type_name(field: descriptor_pb2.FieldDescriptorProto, local: set[str]) -> str:
    if field.type in _SCALARS:
        name = _SCALARS[field.type]
    else:
        full = field.type_name.lstrip(".")
        name = f"[`{full}`](#{_anchor(full)})" if full in local else f"`{full}`"
        return f"repeated {name}" if field.label == _FDP.LABEL_REPEATED else name
    return f"repeated `{name}`" if field.label == _FDP.LABEL_REPEATED else f"`{name}`"


def _messages(
    messages: list[descriptor_pb2.DescriptorProto], prefix: str, path: tuple[int, ...]
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto, tuple[int, ...]]]:
    for index, message in enumerate(messages):
        full = f"{prefix}.{message.name}"
        here = (*path, index)
        yield full, message, here
        yield from _messages(list(message.nested_type), full, (*here, _NESTED_TYPE))


def _enum_section(
    out: list[str],
    full: str,
    enum: descriptor_pb2.EnumDescriptorProto,
    path: tuple[int, ...],
    comments: _Comments,
) -> None:
    out += [f'<a id="{_anchor(full)}"></a>', "", f"### enum `{full}`", ""]
    if text := comments.block(path):
        out += [text, ""]
    out += ["| Value | Number | Description |", "|-------|--------|-------------|"]
    for index, value in enumerate(enum.value):
        desc = comments.cell((*path, _ENUM_VALUE, index))
        out.append(f"| `{value.name}` | {value.number} | {desc} |")
    out.append("")


def render(descriptors: descriptor_pb2.FileDescriptorSet) -> str:
    """Return the Markdown reference for the spec files in ``descriptors``."""
    files = sorted((f for f in descriptors.file if f.name.startswith("wco/")), key=lambda f: f.name)
    local: set[str] = set()
    for file in files:
        for full, message, _ in _messages(list(file.message_type), file.package, ()):
            local.add(full)
            local.update(f"{full}.{e.name}" for e in message.enum_type)
        local.update(f"{file.package}.{e.name}" for e in file.enum_type)

    out = [
        "# Protocol reference",
        "",
        "Generated by `python scripts/proto_reference.py` from the comments in `proto/`;",
        "do not edit. The normative text is `docs/spec.md`; where it and a comment disagree,",
        "the spec wins.",
        "",
        "Files:",
        "",
    ]
    out += [f"- [`{f.name}`](#{_anchor(f.name)}) (package `{f.package}`)" for f in files]
    out.append("")
    for file in files:
        comments = _Comments(file)
        out += [f'<a id="{_anchor(file.name)}"></a>', "", f"## `{file.name}`", ""]
        if text := comments.block((12,)):
            out += [text, ""]
        for s_index, service in enumerate(file.service):
            full = f"{file.package}.{service.name}"
            path = (_SERVICE, s_index)
            out += [f'<a id="{_anchor(full)}"></a>', "", f"### service `{full}`", ""]
            if text := comments.block(path):
                out += [text, ""]
            out += ["| RPC | Request | Response | Description |", "|-----|-----|-----|-----|"]
            for m_index, method in enumerate(service.method):
                request = method.input_type.lstrip(".")
                response = method.output_type.lstrip(".")
                stream_in = "stream " if method.client_streaming else ""
                stream_out = "stream " if method.server_streaming else ""
                desc = comments.cell((*path, _METHOD, m_index))
                out.append(
                    f"| `{method.name}` | {stream_in}[`{request.rsplit('.', 1)[-1]}`]"
                    f"(#{_anchor(request)}) | {stream_out}[`{response.rsplit('.', 1)[-1]}`]"
                    f"(#{_anchor(response)}) | {desc} |"
                )
            out.append("")
        for full, message, relative in _messages(list(file.message_type), file.package, ()):
            path = (_MESSAGE_TYPE, *relative)
            out += [f'<a id="{_anchor(full)}"></a>', "", f"### message `{full}`", ""]
            if text := comments.block(path):
                out += [text, ""]
            if message.field:
                out += [
                    "| Field | Number | Type | Description |",
                    "|-------|--------|------|-------------|",
                ]
                for f_index, field in enumerate(message.field):
                    desc = comments.cell((*path, _FIELD, f_index))
                    if field.HasField("oneof_index"):
                        oneof = message.oneof_decl[field.oneof_index].name
                        desc = f"(oneof `{oneof}`) {desc}"
                    out.append(
                        f"| `{field.name}` | {field.number} | {_type_name(field, local)} | {desc} |"
                    )
                out.append("")
            else:
                out += ["No fields.", ""]
            for e_index, enum in enumerate(message.enum_type):
                _enum_section(
                    out, f"{full}.{enum.name}", enum, (*path, _NESTED_ENUM, e_index), comments
                )
        for e_index, enum in enumerate(file.enum_type):
            full = f"{file.package}.{enum.name}"
            _enum_section(out, full, enum, (_ENUM_TYPE, e_index), comments)
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    options = parser.parse_args()
    text = render(compile_descriptors())
    if options.check:
        if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != text:
            print("docs/reference.md is stale; run: python scripts/proto_reference.py")
            return 1
        print("docs/reference.md is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
