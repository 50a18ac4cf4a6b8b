"""What a failing case shows its reader (docs/conformance.md "Reports").

The checks of :mod:`conformance.judge` fail with one sentence naming the rule, the
expected and the actual outcome (``REQ-CO-005 (country-code: exporter.address.country):
expected INVALID_ARGUMENT FIELD_INVALID, but the node accepted``). This module takes
that sentence apart for the reports (rule, expected, got, the broken field, the
requirement ids it names), decodes a recorded exchange into readable text (the
envelope's payload as the message it carries, signatures summarised) and finds the
broken field's line in a Protocol Buffers text dump, so the HTML report can put the
field first and mark it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from google.protobuf import descriptor_pool, message_factory, text_encoding, text_format
from google.protobuf.message import DecodeError, Message

from conformance import envelopes
from conformance.client import Exchange
from wco.eco.v1 import (  # noqa: F401 - registers every message with the descriptor pool
    certificate_pb2,
    directory_pb2,
    envelope_pb2,
    exchange_service_pb2,
    lifecycle_pb2,
    node_service_pb2,
    trust_service_pb2,
    verification_pb2,
)

__all__ = [
    "FieldLine",
    "Judgement",
    "ReadableRequest",
    "assertion_message",
    "field_lines",
    "judgement",
    "marked_value",
    "readable_request",
]

_PACKAGE: Final = "wco.eco.v1"
#: Payload type -> the message its bytes carry (docs/spec.md section 3).
_PAYLOAD_MESSAGES: Final = {
    envelopes.PAYLOAD_TYPE_CERTIFICATE: "CertificateOfOrigin",
    envelopes.PAYLOAD_TYPE_STATUS_CHANGE: "StatusChange",
    envelopes.PAYLOAD_TYPE_IMPORT_OUTCOME: "ImportOutcome",
    envelopes.PAYLOAD_TYPE_VERIFICATION_REQUEST: "VerificationRequest",
    envelopes.PAYLOAD_TYPE_VERIFICATION_RESULT: "VerificationResult",
    envelopes.PAYLOAD_TYPE_RECEIPT: "Receipt",
    envelopes.PAYLOAD_TYPE_DIRECTORY: "IssuerDirectory",
}
_ENVELOPE: Final = f"{_PACKAGE}.Envelope"

_REQ_ID: Final = re.compile(r"\bREQ-[A-Z]+-\d{3}\b")
_FIELD_PATH: Final = r"[a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*"
#: ``RULE (rule-name: field.path)`` as the field-rule cases write their rule.
_RULE_FIELD: Final = re.compile(rf"\([\w-]+: (?P<field>{_FIELD_PATH})\)")
#: ``field='goods_items[0].hs_code'`` in a shrunk Hypothesis input.
_EXAMPLE_FIELD: Final = re.compile(rf"\bfield='(?P<field>{_FIELD_PATH})'")
#: ``... but the node accepted (broken field: a.b)`` (judge.assert_refused).
_BROKEN_FIELD: Final = re.compile(rf"\(broken field: (?P<field>{_FIELD_PATH})")
#: ``BadRequest names [...], expected one of ['a.b']`` (judge.assert_refused).
_EXPECTED_FIELDS: Final = re.compile(rf"expected one of \['(?P<field>{_FIELD_PATH})'")
_CODE_REASON: Final = r"[A-Z][A-Z_]+(?: (?:[A-Z][A-Z0-9_]+|\(no ErrorInfo\)))?"
_EXPECTED_GOT: Final = re.compile(
    rf"^(?P<rule>.*?): expected (?P<expected>{_CODE_REASON}),"
    rf" (?:(?P<accepted>but the node accepted)|got (?P<got>{_CODE_REASON}))(?P<rest>.*)$",
    re.DOTALL,
)
_REFUSED_VALID: Final = re.compile(
    rf"^(?P<rule>.*?): valid document refused with (?P<got>{_CODE_REASON})(?P<rest>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True, kw_only=True)
class Judgement:
    """A failure sentence taken apart.

    Attributes:
        message: The whole sentence.
        rule: What was checked (requirement ids and rule name), or "".
        expected: The expected outcome (``CODE REASON`` or ``OK``), or "".
        got: What the node did, or "".
        detail: The rest of the sentence after expected versus got.
        field: The field the rule is about, or "".
        requirements: The requirement ids the sentence names, in order.
    """

    message: str
    rule: str = ""
    expected: str = ""
    got: str = ""
    detail: str = ""
    field: str = ""
    requirements: tuple[str, ...] = ()


def assertion_message(failure: str) -> str:
    """The first line of the ``AssertionError`` in a pytest failure text, whole, or ""."""
    for line in failure.splitlines():
        text = line.removeprefix("E").strip()
        if text.startswith("AssertionError:"):
            return text.removeprefix("AssertionError:").strip()
    return ""


def judgement(message: str, example: str = "") -> Judgement:
    """Take a failure sentence of :mod:`conformance.judge` apart.

    Args:
        message: The assertion message (or any headline when there is none).
        example: The shrunk Hypothesis input, which may name the field.

    Returns:
        The parts found; a sentence of another shape keeps only ``message``,
        ``field`` and ``requirements``.
    """
    found = (
        _RULE_FIELD.search(message)
        or _BROKEN_FIELD.search(message)
        or _EXPECTED_FIELDS.search(message)
        or _EXAMPLE_FIELD.search(example)
    )
    field = found.group("field") if found else ""
    requirements = tuple(dict.fromkeys(_REQ_ID.findall(message)))
    matched = _EXPECTED_GOT.match(message)
    if matched:
        got = "OK (the node accepted)" if matched.group("accepted") else matched.group("got")
        return Judgement(
            message=message,
            rule=matched.group("rule"),
            expected=matched.group("expected"),
            got=got,
            detail=matched.group("rest").strip(" ;"),
            field=field,
            requirements=requirements,
        )
    matched = _REFUSED_VALID.match(message)
    if matched:
        return Judgement(
            message=message,
            rule=matched.group("rule"),
            expected="OK (accepted, signed receipt)",
            got=matched.group("got"),
            detail=matched.group("rest").strip(" ;"),
            field=field,
            requirements=requirements,
        )
    return Judgement(message=message, field=field, requirements=requirements)


def _message_class(full_name: str) -> type[Message] | None:
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError:
        return None
    return message_factory.GetMessageClass(descriptor)


def _request_class(rpc: str) -> type[Message] | None:
    service, _, method = rpc.partition("/")
    try:
        found = descriptor_pool.Default().FindServiceByName(f"{_PACKAGE}.{service}")
    except KeyError:
        return None
    entry = found.methods_by_name.get(method)
    if entry is None or entry.client_streaming:
        return None
    return message_factory.GetMessageClass(entry.input_type)


def _text(message: Message) -> str:
    return text_format.MessageToString(message, as_utf8=True).rstrip("\n")


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _decoded_payload(payload_type: str, payload: bytes) -> tuple[str, str]:
    """The payload's message name and text, or ("", "") when it does not decode."""
    name = _PAYLOAD_MESSAGES.get(payload_type, "")
    cls = _message_class(f"{_PACKAGE}.{name}") if name else None
    if cls is None:
        return "", ""
    try:
        return name, _text(cls.FromString(payload))
    except DecodeError:
        return "", ""


def _envelope_parts(envelope: envelope_pb2.Envelope) -> tuple[str, str, str, str]:
    """The envelope as text: lines before its payload, payload label, payload, signatures."""
    head = [f'payload_type: "{envelope.payload_type}"']
    name, payload = _decoded_payload(envelope.payload_type, envelope.payload)
    if not name:
        head.append(f"payload: {len(envelope.payload)} bytes (not a message this suite knows)")
    tail: list[str] = []
    for signature in envelope.signatures:
        algorithm = envelope_pb2.SignatureAlgorithm.Name(signature.algorithm)
        tail += [
            "signatures {",
            f"  algorithm: {algorithm}",
            f'  key_id: "{signature.key_id}"',
            f"  signature: {len(signature.signature)} bytes",
            f"  certificate_chain: {len(signature.certificate_chain)} DER certificates",
            "}",
        ]
    label = f"{name}, {len(envelope.payload)} bytes" if name else ""
    return "\n".join(head), label, payload, "\n".join(tail)


@dataclass(frozen=True, kw_only=True)
class ReadableRequest:
    """A recorded request made readable.

    Attributes:
        before: Text before the decoded payload (the request's own fields).
        payload_label: ``CertificateOfOrigin, 312 bytes`` when a payload was decoded.
        payload: The decoded payload, Protocol Buffers text, one field a line.
        after: Text after the payload (signatures, summarised).
        note: Why the request could not be decoded, or "".
    """

    before: str
    payload_label: str = ""
    payload: str = ""
    after: str = ""
    note: str = ""


def _payload_from_text(request: str) -> tuple[str, bytes] | None:
    """Recover payload type and bytes from a (possibly truncated) envelope text."""
    kind = re.search(r'payload_type: "([^"]*)"', request)
    data = re.search(r'\bpayload: "((?:[^"\\]|\\.)*)"', request)
    if kind is None or data is None:
        return None
    return kind.group(1), text_encoding.CUnescape(data.group(1))


def readable_request(exchange: Exchange) -> ReadableRequest:
    """Decode a recorded request: its fields, and an envelope's payload as its message.

    A request recorded truncated (over 4000 characters) still shows its payload when
    the payload itself was recorded whole; otherwise the recorded text is shown as is.
    """
    cls = _request_class(exchange.rpc)
    message = cls() if cls is not None else None
    if message is not None:
        try:
            text_format.Parse(exchange.request, message)
        except text_format.ParseError:
            message = None
    if message is None:
        recovered = _payload_from_text(exchange.request)
        if recovered is not None:
            name, payload = _decoded_payload(*recovered)
            if name:
                head = exchange.request.split(" envelope {", 1)[0]
                return ReadableRequest(
                    before=f'{head}\nenvelope {{\n  payload_type: "{recovered[0]}"',
                    payload_label=f"{name}, {len(recovered[1])} bytes",
                    payload=payload,
                    after="  (signatures not shown: the recorded request was truncated)\n}",
                )
        note = "recorded as text, not decoded" if cls is None else "recorded truncated"
        return ReadableRequest(before=exchange.request, note=note)
    envelopes_found = [
        (field, value)
        for field, value in message.ListFields()
        if field.message_type is not None and field.message_type.full_name == _ENVELOPE
    ]
    if not envelopes_found:
        return ReadableRequest(before=_text(message) or "(empty request)")
    field, envelope = envelopes_found[0]
    rest = type(message)()
    rest.CopyFrom(message)
    rest.ClearField(field.name)
    head, label, payload, tail = _envelope_parts(envelope)
    before = "\n".join(line for line in (_text(rest), f"{field.name} {{", _indent(head)) if line)
    return ReadableRequest(
        before=before,
        payload_label=label,
        payload=payload,
        after="\n".join(line for line in (_indent(tail), "}") if line),
    )


@dataclass(frozen=True, kw_only=True)
class FieldLine:
    """One line of a text dump, and whether it is the broken field's."""

    text: str
    marked: bool = False


_OPEN: Final = re.compile(r"^\s*(?:\w+=)?(?P<name>[a-z_][a-z0-9_]*) \{$")
_CLOSE: Final = re.compile(r"^\s*\},?\)?,?$")
_LEAF: Final = re.compile(r"^\s*(?:\w+=)?(?P<name>[a-z_][a-z0-9_]*): ")


def _normal(path: str) -> str:
    return path.replace("[0]", "")


def field_lines(text: str, field: str) -> list[FieldLine]:
    """Split a Protocol Buffers text dump into lines, marking those of ``field``.

    The dump may be embedded in other text (a shrunk Hypothesis input writes
    ``certificate=certificate_number: ...``). A field path such as
    ``goods_items[1].hs_code`` marks that leaf; a message path (``issue_date``)
    marks its opening line. Paths are matched by nesting, so
    ``exporter.address.country`` never marks ``consignee.address.country``.
    """
    wanted = _normal(field) if field else ""
    stack: list[str] = []
    seen: list[dict[str, int]] = [{}]
    out: list[FieldLine] = []
    for line in text.splitlines():
        opened = _OPEN.match(line)
        named = opened or _LEAF.match(line)
        path = ""
        if named:
            name = named.group("name")
            index = seen[-1].get(name, 0)
            seen[-1][name] = index + 1
            step = f"{name}[{index}]" if index else name
            path = ".".join([*stack, step])
            if opened:
                stack.append(step)
                seen.append({})
        elif _CLOSE.match(line) and stack:
            stack.pop()
            seen.pop()
        out.append(FieldLine(text=line, marked=bool(wanted) and _normal(path) == wanted))
    return out


def marked_value(lines: Sequence[FieldLine]) -> str:
    """The value on the first marked leaf line (``"ZZ"``), or ""."""
    for line in lines:
        if line.marked and ": " in line.text and not line.text.rstrip().endswith("{"):
            return line.text.split(": ", 1)[1].strip()
    return ""
