"""Benchmark 2: per-certificate verification cost, cold and with the chain cache warm.

Measured in process on the reference node's own verifier,
``reference_node.core.trust.TrustStore.verify_envelope`` (docs/spec.md
section 5.1 and 5.2: REQ-SIG-004..006 signatures, then REQ-PKI-001..005 for
the signer, with ``cryptography.x509.verification`` path validation):

- **cold**: the first envelope of a signer chain the node has not seen: a
  fresh ``TrustStore`` (empty path cache) and cleared DER parse caches, so
  the cost includes parsing the chain, path validation and the signature.
- **warm**: further envelopes signed under the same chain: the validated
  path and the parsed certificates come from the caches; what remains is
  the signature check, the validity-period and revocation checks.

For reference it also times the primitives alone with ``cryptography``:
one ECDSA P-256 verification over the PAE, DER parsing of the two chain
certificates, and one path validation with a freshly built verifier.

Figures are CPU time of the measuring thread per call (microseconds), so
that other load on the machine does not inflate them.

Run: ``python -m benchmarks.verification [--iterations N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

from benchmarks.common import (
    CERTIFICATE_TYPE,
    Signer,
    generate_pki,
    machine_info,
    make_certificate,
    pae,
    work_dir,
)
from wco.eco.v1 import envelope_pb2


def _clock() -> float:
    """CPU time of the calling thread, seconds.

    CPU time, not wall time: on a shared machine another process can take
    the core in the middle of a call, which would inflate a wall-clock
    figure but not the work the call itself does.
    """
    return time.thread_time()


def _time_each(fn: Callable[[int], object], n: int) -> list[float]:
    """Run ``fn(i)`` for i in 0..n-1 and return each call's CPU time in microseconds."""
    out: list[float] = []
    for i in range(n):
        t0 = _clock()
        fn(i)
        out.append((_clock() - t0) * 1e6)
    return out


def _fmt(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
    return (
        f"  {name:<44} median {statistics.median(samples):8.1f} us  "
        f"mean {statistics.fmean(samples):8.1f} us  p99 {p99:8.1f} us  (n={len(samples)})"
    )


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the benchmark; print and return the figures (microseconds)."""
    # Imported here so that a missing or broken node fails this benchmark
    # with a clear traceback and not the import of the other benchmarks.
    from reference_node.core import intake, receipts, signing, trust  # noqa: PLC0415
    from reference_node.core.codelists import default_codelists  # noqa: PLC0415
    from reference_node.core.limits import Limits  # noqa: PLC0415

    info = machine_info()
    print(f"machine: {info}")
    figures: dict[str, object] = {"machine": info}
    with work_dir(args.keep) as root:
        sender, _receiver = generate_pki(root / "pki")
        signer = Signer.load(
            chain_pem=sender.path("authority.pem"), key_pem=sender.path("authority.key")
        )
        anchors = x509.load_pem_x509_certificates(sender.path("anchors.pem").read_bytes())
        now = dt.datetime.now(dt.UTC)
        n = args.iterations
        envelopes: dict[int, list[envelope_pb2.Envelope]] = {}
        for items in (10, 100):
            envelopes[items] = [
                signer.sign(
                    CERTIFICATE_TYPE,
                    make_certificate(
                        number=f"V{items}-{i:06d}",
                        items=items,
                        exporting=sender.country,
                        importing="XB",
                        authority_id=sender.authority_id,
                        issue_date=now.date(),
                    ).SerializeToString(),
                )
                for i in range(n)
            ]

        def fresh_store() -> trust.TrustStore:
            return trust.TrustStore(anchors={sender.country: anchors})

        def clear_parse_caches() -> None:
            for module, name in (
                (signing, "parse_certificate"),
                (signing, "_leaf_info"),
                (trust, "_chain_facts"),
            ):
                cached = getattr(module, name, None)
                clear = getattr(cached, "cache_clear", None)
                if clear is not None:
                    clear()

        results: dict[str, list[float]] = {}
        # Sanity: the verifier accepts our envelopes (it raises otherwise).
        verified = fresh_store().verify_envelope(envelopes[10][0], at=now)
        print(f"  verifier accepts the benchmark envelopes: signer {verified.identity.uri}")

        for items in (10, 100):
            envs = envelopes[items]
            cold: list[float] = []
            for i in range(n):
                store = fresh_store()
                clear_parse_caches()
                t0 = _clock()
                store.verify_envelope(envs[i], at=now)
                cold.append((_clock() - t0) * 1e6)
            results[f"node verify_envelope cold, {items} items"] = cold
            warm_store = fresh_store()
            warm_store.verify_envelope(envs[0], at=now)
            warm: list[float] = []
            for i in range(n):
                t0 = _clock()
                warm_store.verify_envelope(envs[i], at=now)
                warm.append((_clock() - t0) * 1e6)
            results[f"node verify_envelope warm, {items} items"] = warm

        # The whole pure pipeline of a submission (section 5.4 steps 2, 4-8)
        # and the receipt (REQ-PUSH-003), warm: the CPU floor per certificate
        # before gRPC and storage.
        limits = Limits()
        codelists = default_codelists()
        node_signer = signing.SigningIdentity.from_pem(
            key_pem=_receiver.path("node-signer.key").read_bytes(),
            chain_pem=_receiver.path("node-signer.pem").read_bytes(),
        )
        # Request ids are made before timing: building them is the client's work.
        request_ids = [str(uuid.UUID(int=i + 1, version=4)) for i in range(n)]
        for items in (10, 100):
            envs = envelopes[items]
            sizes = [len(e.SerializeToString()) for e in envs]
            pipeline_store = fresh_store()
            subs: list[intake.VerifiedSubmission] = []

            def verify(
                i: int,
                envs: list[envelope_pb2.Envelope] = envs,
                sizes: list[int] = sizes,
                subs: list[intake.VerifiedSubmission] = subs,
                pipeline_store: trust.TrustStore = pipeline_store,
            ) -> None:
                subs.append(
                    intake.verify_submission(
                        request_id=request_ids[i],
                        envelope_bytes_len=sizes[i],
                        envelope=envs[i],
                        caller_country=sender.country,
                        node_country="XB",
                        trust=pipeline_store,
                        codelists=codelists,
                        limits=limits,
                        now=now,
                    )
                )

            results[f"node verify_submission warm, {items} items"] = _time_each(verify, n)

            def receipt(
                i: int, subs: list[intake.VerifiedSubmission] = subs
            ) -> envelope_pb2.Envelope:
                return receipts.build_receipt(
                    verified=subs[i],
                    sender_country=sender.country,
                    receiver_country="XB",
                    sequence=i + 1,
                    received_time=now,
                    signer=node_signer,
                )

            results[f"node build_receipt (sign), {items} items"] = _time_each(receipt, n)

        # Primitives, for comparison.
        env = envelopes[10][0]
        sig = env.signatures[0]
        leaf = x509.load_der_x509_certificate(sig.certificate_chain[0])
        inter = x509.load_der_x509_certificate(sig.certificate_chain[1])
        public_key = leaf.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        data = pae(env.payload_type, env.payload)
        results["primitive ECDSA P-256 verify (10 items)"] = _time_each(
            lambda _i: public_key.verify(sig.signature, data, ec.ECDSA(hashes.SHA256())), n
        )
        results["primitive parse 2 DER certificates"] = _time_each(
            lambda _i: [x509.load_der_x509_certificate(d) for d in sig.certificate_chain], n
        )
        anchor_store = Store(anchors)

        # A document-signing leaf has no EKU, so the leaf policy is relaxed
        # (the node adapts the policy the same way, REQ-PKI-002).
        ca_policy = ExtensionPolicy.webpki_defaults_ca()
        ee_policy = ExtensionPolicy.permit_all()

        def path_validation(_i: int) -> None:
            verifier = (
                PolicyBuilder()
                .store(anchor_store)
                .time(now)
                .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
                .build_client_verifier()
            )
            verifier.verify(leaf, [inter])

        results["primitive path validation (new verifier)"] = _time_each(path_validation, n)

        print("per-certificate verification cost (CPU time):")
        for name, samples in results.items():
            print(_fmt(name, samples))
        figures["microseconds"] = {
            name: {
                "median": statistics.median(s),
                "mean": statistics.fmean(s),
            }
            for name, s in results.items()
        }
        cold10 = statistics.median(results["node verify_envelope cold, 10 items"])
        warm10 = statistics.median(results["node verify_envelope warm, 10 items"])
        ecdsa = statistics.median(results["primitive ECDSA P-256 verify (10 items)"])
        pipeline = statistics.median(results["node verify_submission warm, 10 items"]) + (
            statistics.median(results["node build_receipt (sign), 10 items"])
        )
        print()
        print(
            f"SUMMARY verification: cold {cold10:.0f} us/cert, warm {warm10:.0f} us/cert "
            f"(x{cold10 / warm10:.1f} saved by the chain cache; bare ECDSA verify {ecdsa:.0f} us)"
            f"; whole core pipeline with receipt {pipeline:.0f} us/cert "
            f"(at most {1e6 / pipeline:.0f} cert/s per core before gRPC and storage)"
        )
    return figures


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=300, help="samples per measurement")
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = p.parse_args()
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
