"""PAE (REQ-SIG-003) and page tokens (REQ-PULL-002)."""

from __future__ import annotations

import pytest
from core_testlib import CORE_SETTINGS
from hypothesis import given
from hypothesis import strategies as st

from reference_node.core.errors import PageTokenInvalid
from reference_node.core.pae import pae
from reference_node.core.tokens import decode_cursor, encode_cursor


def test_pae_matches_the_dsse_example() -> None:
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_utf8_bytes_and_empty_body() -> None:
    assert pae("\u00e9", b"") == b"DSSEv1 2 \xc3\xa9 0 "


@CORE_SETTINGS
@given(st.text(max_size=40), st.binary(max_size=200))
def test_pae_is_injective_by_construction(payload_type: str, body: bytes) -> None:
    encoded = pae(payload_type, body)
    head, _, rest = encoded.partition(b" ")
    assert head == b"DSSEv1"
    type_len, _, rest = rest.partition(b" ")
    n = int(type_len)
    assert rest[:n].decode("utf-8") == payload_type
    body_len, _, tail = rest[n + 1 :].partition(b" ")
    assert int(body_len) == len(body)
    assert tail == body
    assert not type_len.startswith(b"0") or type_len == b"0"


@CORE_SETTINGS
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_cursor_round_trip(seq: int) -> None:
    assert decode_cursor(encode_cursor(seq)) == seq


@CORE_SETTINGS
@given(st.text(max_size=40))
def test_random_tokens_are_refused(token: str) -> None:
    try:
        seq = decode_cursor(token)
    except PageTokenInvalid:
        return
    # Only a genuine token decodes, and then it is the canonical encoding.
    assert encode_cursor(seq) == token


@CORE_SETTINGS
@given(st.integers(min_value=0, max_value=2**64 - 1), st.data())
def test_tampered_tokens_are_refused(seq: int, data: st.DataObject) -> None:
    token = encode_cursor(seq)
    i = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[i]))
    tampered = token[:i] + replacement + token[i + 1 :]
    with pytest.raises(PageTokenInvalid):
        decode_cursor(tampered)


@pytest.mark.parametrize("token", ["", "0", "AAAA", "not a token", "é" * 10, "A" * 200])
def test_obvious_garbage_is_refused(token: str) -> None:
    with pytest.raises(PageTokenInvalid) as info:
        decode_cursor(token)
    assert info.value.reason == "PAGE_TOKEN_INVALID"


def test_encode_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="range"):
        encode_cursor(-1)
