"""Consistency of docs/spec.md with itself and with the protos.

Requirement ids are defined once, every id the text refers to exists, every requirement
belongs to one conformance profile (section 14), the error table agrees with the
``ErrorReason`` enum and its comments, and the Mermaid diagrams use only the statements
the document needs (no ``;``, which Mermaid reads as a statement separator).
"""

from __future__ import annotations

import re

import grpc

from wco.eco.v1 import errors_pb2

from ._scripts import ROOT

SPEC_TEXT = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
DEFINITION = re.compile(r"^- (REQ-[A-Z]+-\d{3}) \((MUST|SHOULD|MAY)\):", re.M)
REFERENCE = re.compile(r"REQ-([A-Z]+)-(\d{3})(?:\.\.(\d{3}))?((?:, \d{3})*)")


def _defined() -> list[str]:
    return [m.group(1) for m in DEFINITION.finditer(SPEC_TEXT)]


def _expand(text: str) -> set[str]:
    ids: set[str] = set()
    for match in REFERENCE.finditer(text):
        area, first, last, more = match.groups()
        end = int(last) if last else int(first)
        ids.update(f"REQ-{area}-{n:03d}" for n in range(int(first), end + 1))
        ids.update(f"REQ-{area}-{n.strip()}" for n in more.split(",") if n.strip())
    return ids


def _section(title: str) -> str:
    start = SPEC_TEXT.index(title)
    following = re.search(r"^## ", SPEC_TEXT[start + len(title) :], re.M)
    end = start + len(title) + following.start() if following else len(SPEC_TEXT)
    return SPEC_TEXT[start:end]


def test_requirement_ids_are_defined_once() -> None:
    defined = _defined()
    assert len(defined) >= 70
    duplicates = {i for i in defined if defined.count(i) > 1}
    assert not duplicates


def test_every_referenced_requirement_is_defined() -> None:
    defined = set(_defined())
    referenced = _expand(SPEC_TEXT)
    assert referenced - defined == set()


def test_every_requirement_is_in_exactly_one_profile() -> None:
    table = _section("## 14. Conformance profiles")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    profiles = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        profiles[cells[0].strip("`")] = _expand(cells[2])
    assert set(profiles) == {
        "core",
        "lifecycle",
        "verification",
        "pull",
        "sender",
        "transport-security",
    }
    seen: dict[str, str] = {}
    for name, ids in profiles.items():
        for req in ids:
            assert req not in seen, f"{req} in {seen.get(req)} and {name}"
            seen[req] = name
    assert set(seen) == set(_defined())


def _proto_code_of(comment: str) -> str:
    codes = [c.name for c in grpc.StatusCode if re.search(rf"\b{c.name}\b", comment)]
    assert len(codes) == 1, comment
    return codes[0]


def test_error_table_matches_the_error_reason_enum() -> None:
    table = _section("## 9. Errors")
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"[A-Z_]+", cells[0]) and cells[0] != "reason":
            rows[cells[0]] = cells[1]
    names = {
        v.name.removeprefix("ERROR_REASON_")
        for v in errors_pb2.ErrorReason.DESCRIPTOR.values
        if v.number != 0
    }
    assert set(rows) == names
    # The one status code of each reason (REQ-ERR-002) is also named in the proto comment.
    source = (ROOT / "proto" / "wco" / "eco" / "v1" / "errors.proto").read_text()
    for name, code in rows.items():
        match = re.search(rf"((?:\s*//[^\n]*\n)+)\s*ERROR_REASON_{name} = \d+;", source, re.M)
        assert match is not None, name
        comment = " ".join(line.strip(" /") for line in match.group(1).splitlines())
        assert _proto_code_of(comment) == code, name


def test_mermaid_blocks_are_plain() -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", SPEC_TEXT, re.S)
    sequences = [b for b in blocks if b.startswith("sequenceDiagram")]
    states = [b for b in blocks if b.startswith("stateDiagram-v2")]
    assert len(sequences) >= 12
    assert len(states) == 2
    assert len(sequences) + len(states) == len(blocks)
    statement = re.compile(
        r"(autonumber|participant \w+ as .+|\w+-(?:>>|->>|-x|--x)\w+: .+"
        r"|Note over \w+(?:,\w+)?: .+|alt .+|else .+|end|opt .+|loop .+)"
    )
    for block in sequences:
        participants = set(re.findall(r"participant (\w+) as", block))
        for raw in block.splitlines()[1:]:
            line = raw.strip()
            if not line:
                continue
            assert ";" not in line, line
            assert statement.fullmatch(line), line
            for actor in re.findall(r"^(\w+)-(?:>>|->>)(\w+):", line):
                assert set(actor) <= participants, line


def test_each_flow_has_a_diagram() -> None:
    flows = _section("## 3. Flows")
    for title in [
        "Push submission and receipt",
        "Streaming batch submission",
        "Pull: list with pages and resume token",
        "Pull: watch with a cursor",
        "Retrieval by reference",
        "Cancellation by the issuer",
        "Replacement",
        "Revocation after a verification",
        "Import outcome and usage notification",
        "Origin verification request and result",
        "Issuer directory publication and key rollover",
        "Retry after UNAVAILABLE",
    ]:
        heading = re.search(rf"^#### 3\.1\.\d+ {re.escape(title)}.*\n\n```mermaid\n", flows, re.M)
        assert heading is not None, title
