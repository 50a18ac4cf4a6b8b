"""conformance/failure_evidence.py: failure sentences, decoded requests, the broken field."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format

from conformance import envelopes
from conformance.client import Exchange
from conformance.failure_evidence import (
    assertion_message,
    field_lines,
    judgement,
    marked_value,
    readable_request,
)
from conformance.html_report import write_html
from conformance.plugin import CaseResult
from conformance.reports import RunMetadata, judge_run
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2


def test_accepted_instead_of_refused() -> None:
    judged = judgement(
        "REQ-CO-005 (country-code: exporter.address.country): expected INVALID_ARGUMENT "
        "FIELD_INVALID, but the node accepted"
    )
    assert judged.rule == "REQ-CO-005 (country-code: exporter.address.country)"
    assert judged.expected == "INVALID_ARGUMENT FIELD_INVALID"
    assert judged.got == "OK (the node accepted)"
    assert judged.field == "exporter.address.country"
    assert judged.requirements == ("REQ-CO-005",)


def test_refused_otherwise_keeps_the_detail() -> None:
    judged = judgement(
        "REQ-PKI-003 expired-signer: expected PERMISSION_DENIED SIGNER_EXPIRED, got "
        "INTERNAL (no ErrorInfo) (message: 'boom'; fields: [])"
    )
    assert judged.got == "INTERNAL (no ErrorInfo)"
    assert judged.detail == "(message: 'boom'; fields: [])"
    assert judged.field == ""


def test_field_from_the_shrunk_input_and_other_sentences() -> None:
    judged = judgement("REQ-ERR-001: something else", "InvalidCase(field='goods_items[1].hs_code')")
    assert (judged.rule, judged.field) == ("", "goods_items[1].hs_code")
    assert judged.message == "REQ-ERR-001: something else"
    refused = judgement(
        "REQ-PUSH-001: valid document refused with PERMISSION_DENIED SIGNER_UNTRUSTED (m)"
    )
    assert (refused.expected, refused.got) == (
        "OK (accepted, signed receipt)",
        "PERMISSION_DENIED SIGNER_UNTRUSTED",
    )


def test_assertion_message_is_whole() -> None:
    long = "x" * 400
    failure = (
        f"conformance/cases/test_core.py:1: in f\nE   AssertionError: REQ-CO-001: {long}\nE   more"
    )
    assert assertion_message(failure) == f"REQ-CO-001: {long}"
    assert assertion_message("E   ValueError: no") == ""


def test_field_lines_follow_nesting_and_repetition() -> None:
    text = (
        'exporter {\n  address {\n    country: "ZZ"\n  }\n}\nconsignee {\n  address {\n'
        '    country: "XB"\n  }\n}\ngoods_items {\n  hs_code: "01"\n}\ngoods_items {\n'
        '  hs_code: "77"\n}'
    )
    marked = [
        line.text.strip() for line in field_lines(text, "exporter.address.country") if line.marked
    ]
    assert marked == ['country: "ZZ"']
    second = field_lines(text, "goods_items[1].hs_code")
    assert [line.text.strip() for line in second if line.marked] == ['hs_code: "77"']
    assert marked_value(second) == '"77"'
    assert not any(line.marked for line in field_lines(text, "exporter.name"))


def _submission(payload: bytes) -> Exchange:
    request = exchange_service_pb2.SubmitDocumentRequest(
        request_id="r-1",
        envelope=envelope_pb2.Envelope(
            payload_type=envelopes.PAYLOAD_TYPE_CERTIFICATE,
            payload=payload,
            signatures=[envelope_pb2.Signature(key_id="ab", signature=b"s" * 64)],
        ),
    )
    return Exchange(
        rpc="ExchangeService/SubmitDocument",
        caller="XA",
        request=text_format.MessageToString(request, as_utf8=True, as_one_line=True),
        outcome="OK",
    )


def test_request_payload_is_decoded_signatures_summarised() -> None:
    co = certificate_pb2.CertificateOfOrigin(certificate_number="N-1", exporting_country="XA")
    readable = readable_request(_submission(co.SerializeToString()))
    assert readable.payload_label.startswith("CertificateOfOrigin, ")
    assert 'certificate_number: "N-1"' in readable.payload
    assert 'request_id: "r-1"' in readable.before
    assert "signature: 64 bytes" in readable.after
    truncated = _submission(co.SerializeToString())
    cut = Exchange(
        rpc=truncated.rpc,
        caller="XA",
        request=truncated.request.split(" signatures {")[0] + "...(truncated)",
        outcome="OK",
    )
    assert 'certificate_number: "N-1"' in readable_request(cut).payload
    other = readable_request(Exchange(rpc="adapter/send", caller="XB", request="{}", outcome="OK"))
    assert (other.before, other.note) == ("{}", "recorded as text, not decoded")


def test_error_entry_shows_what_went_wrong(tmp_path: Path) -> None:
    error = CaseResult(
        case="test_core.py::test_e",
        nodeid="n",
        profile="core",
        requirements=("REQ-NODE-001",),
        outcome="error",
        failure="[setup] E   ConnectionError: node gone <b>",
    )
    meta = RunMetadata(
        implementation_name="n",
        implementation_version="1",
        node_country="XB",
        suite_version="0",
        spec_version="1",
        node_spec_version="1",
        claimed_profiles=("core",),
        selected_profiles=("core",),
        mode="target",
        target="t",
        seed=1,
        examples=1,
        started="s",
        duration_seconds=0.0,
    )
    write_html(tmp_path / "r.html", meta, [error], judge_run([error], selected_profiles=("core",)))
    page = (tmp_path / "r.html").read_text("utf-8")
    summary = page[page.index("id='failures'") : page.index('id="profiles"')]
    assert "what went wrong" in summary
    assert "node gone &lt;b&gt;" in summary
    assert "The case made no call to the node." in summary
    assert "href='#case-0'" in summary


def test_broken_field_named_when_the_node_accepted() -> None:
    from conformance.failure_evidence import judgement

    found = judgement(
        "REQ-CO-005 lowercase-country: expected INVALID_ARGUMENT FIELD_INVALID, but the node "
        "accepted (broken field: exporter.address.country)"
    )
    assert found.field == "exporter.address.country"
    assert found.got == "OK (the node accepted)"
    assert found.expected == "INVALID_ARGUMENT FIELD_INVALID"
