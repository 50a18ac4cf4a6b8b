"""Print the worked signing example of docs/spec.md section 5.7.

Usage::

    python scripts/worked_example.py           # print the labelled blocks
    python scripts/worked_example.py --update  # rewrite them in docs/spec.md
    python scripts/worked_example.py --check   # exit 1 if docs/spec.md differs

The blocks are fenced code blocks whose info string is ``LANG worked-example:LABEL``. Every
value is computed here from the fixed certificate, the fixed payload type and
the fixed private keys; tests/spec/test_worked_example.py parses docs/spec.md
and recomputes every value independently, so the document cannot drift from
the code. Ed25519 (RFC 8032) and ECDSA with RFC 6979 deterministic nonces
make the signatures reproducible.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import textwrap
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from google.protobuf import text_format

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "spec.md"
sys.path.insert(0, str(ROOT))

from wco.eco.v1 import certificate_pb2, envelope_pb2  # noqa: E402

PAYLOAD_TYPE = "application/vnd.wco.eco.certificate.v1+protobuf"

CERTIFICATE_TEXT = """\
certificate_number: "XA-2025-000001"
agreement_id: "AKFTA"
form_type: "AK"
exporting_country: "XA"
importing_country: "XB"
issuing_authority {
  id: "xa-customs"
  name: "XA Customs Service"
}
issue_date {
  year: 2025
  month: 3
  day: 14
}
exporter {
  name: "Alpha Exports Ltd"
  address {
    country: "XA"
  }
}
consignee {
  name: "Beta Imports Co"
  address {
    country: "XB"
  }
}
goods_items {
  item_number: 1
  description: "Frozen shrimp"
  hs_code: "030617"
  hs_edition: "HS2022"
  origin_criterion {
    type: ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
  }
  quantity {
    value {
      value: "1200"
    }
    unit_code: "KGM"
  }
}
"""

# Published test keys. They sign nothing but this example.
ED25519_SEED = hashlib.sha256(b"wco-eco worked example ed25519").digest()
P256_SCALAR = hashlib.sha256(b"wco-eco worked example p256").digest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """PAE of docs/spec.md REQ-SIG-003."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def _hex_block(label: str, data: bytes) -> str:
    lines = textwrap.wrap(data.hex(), 64)
    return f"```text worked-example:{label}\n" + "\n".join(lines) + "\n```\n"


def _text_block(label: str, text: str, language: str = "text") -> str:
    return f"```{language} worked-example:{label}\n{text.rstrip()}\n```\n"


def _spki(public_key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def render_blocks() -> dict[str, str]:
    """Return the example's fenced blocks, by label, in document order."""
    certificate = text_format.Parse(CERTIFICATE_TEXT, certificate_pb2.CertificateOfOrigin())
    payload = certificate.SerializeToString(deterministic=True)
    message = pae(PAYLOAD_TYPE, payload)

    ed_key = ed25519.Ed25519PrivateKey.from_private_bytes(ED25519_SEED)
    ed_public = ed_key.public_key()
    ed_spki = _spki(ed_public)
    ed_signature = ed_key.sign(message)

    p256_key = ec.derive_private_key(int.from_bytes(P256_SCALAR, "big"), ec.SECP256R1())
    p256_public = p256_key.public_key()
    p256_spki = _spki(p256_public)
    p256_signature = p256_key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))

    envelope = envelope_pb2.Envelope(payload_type=PAYLOAD_TYPE, payload=payload)
    envelope.signatures.add(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
        key_id=hashlib.sha256(p256_spki).hexdigest(),
        signature=p256_signature,
    )
    envelope.signatures.add(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ED25519,
        key_id=hashlib.sha256(ed_spki).hexdigest(),
        signature=ed_signature,
    )
    ed_raw = ed_public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    p256_point = p256_public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "certificate": _text_block("certificate", CERTIFICATE_TEXT, "textproto"),
        "payload-type": _text_block("payload-type", PAYLOAD_TYPE),
        "payload-hex": _hex_block("payload-hex", payload),
        "pae-hex": _hex_block("pae-hex", message),
        "ed25519-seed-hex": _hex_block("ed25519-seed-hex", ED25519_SEED),
        "ed25519-public-key-hex": _hex_block("ed25519-public-key-hex", ed_raw),
        "ed25519-spki-hex": _hex_block("ed25519-spki-hex", ed_spki),
        "ed25519-key-id": _text_block("ed25519-key-id", hashlib.sha256(ed_spki).hexdigest()),
        "ed25519-signature-hex": _hex_block("ed25519-signature-hex", ed_signature),
        "p256-private-scalar-hex": _hex_block("p256-private-scalar-hex", P256_SCALAR),
        "p256-public-key-hex": _hex_block("p256-public-key-hex", p256_point),
        "p256-spki-hex": _hex_block("p256-spki-hex", p256_spki),
        "p256-key-id": _text_block("p256-key-id", hashlib.sha256(p256_spki).hexdigest()),
        "p256-signature-hex": _hex_block("p256-signature-hex", p256_signature),
        "envelope-hex": _hex_block("envelope-hex", envelope.SerializeToString(deterministic=True)),
    }


_BLOCK = re.compile(r"^```[a-z]+ worked-example:([a-z0-9-]+)\n.*?^```\n", re.M | re.S)


def update(document: str) -> str:
    """Replace every labelled example block of ``document`` by its computed value."""
    blocks = render_blocks()
    seen: set[str] = set()

    def _replace(match: re.Match[str]) -> str:
        label = match.group(1)
        if label not in blocks:
            raise SystemExit(f"error: unknown worked-example label {label!r}")
        seen.add(label)
        return blocks[label]

    updated = _BLOCK.sub(_replace, document)
    missing = sorted(set(blocks) - seen)
    if missing:
        raise SystemExit(f"error: docs/spec.md lacks blocks {missing}")
    return updated


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--update", action="store_true", help="rewrite the blocks in docs/spec.md")
    group.add_argument("--check", action="store_true", help="fail if docs/spec.md is stale")
    options = parser.parse_args()
    if not (options.update or options.check):
        sys.stdout.write("\n".join(render_blocks().values()))
        return 0
    current = SPEC.read_text(encoding="utf-8")
    updated = update(current)
    if options.check:
        if updated != current:
            print("docs/spec.md worked example is stale: run scripts/worked_example.py --update")
            return 1
        print("docs/spec.md worked example is up to date")
        return 0
    SPEC.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
