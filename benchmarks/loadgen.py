"""Load generator: submits pre-signed certificates over mutual TLS and times them.

It runs as its own process (so its CPU is not the server's), opens
``--channels`` separate HTTP/2 connections (each channel uses its own
subchannel pool), and submits the serialized ``SubmitDocumentRequest``s of a
file written by :func:`benchmarks.common.write_requests`:

- ``--mode unary``: ``--inflight`` concurrent ``SubmitDocument`` calls per
  channel; latency is the time of each call.
- ``--mode stream``: one ``SubmitDocumentStream`` per channel at a time, in
  batches of ``--stream-batch`` documents (below the node's
  ``max_stream_documents``), with at most ``--inflight`` unanswered
  documents per stream; latency is from writing a document to reading its
  response (REQ-PUSH-005: one response per request, in order).

Requests are sent as pre-serialized bytes, so the client spends no time
building or signing messages during timing. A response counts as success
only when it carries a receipt; every refusal is counted by status code and
``ErrorInfo.reason`` (REQ-ERR-001). The result is one JSON line on stdout.
With ``--marks`` the generator prints ``mark start`` and waits for a line on
stdin before timing, and prints ``mark end`` after, so the caller can read
the server's CPU counters exactly around the timed phase.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from benchmarks.common import percentile, read_requests
from wco.eco.v1 import exchange_service_pb2

_SUBMIT = "/wco.eco.v1.ExchangeService/SubmitDocument"
_SUBMIT_STREAM = "/wco.eco.v1.ExchangeService/SubmitDocumentStream"
_MAX_MESSAGE = 4 * 1024 * 1024 + 64 * 1024


@dataclass(slots=True)
class Tally:
    """Latencies of the successes and the count of each kind of failure."""

    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)


def _reason_of(status: status_pb2.Status) -> str:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return "-"


def _describe(exc: grpc.aio.AioRpcError) -> str:
    reason = "-"
    metadata: Any = exc.trailing_metadata() or ()
    for key, value in metadata:
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            reason = _reason_of(status_pb2.Status.FromString(value))
    return f"{exc.code().name}/{reason}"


def _channel(target: str, credentials: grpc.ChannelCredentials) -> grpc.aio.Channel:
    return grpc.aio.secure_channel(
        target,
        credentials,
        options=[
            ("grpc.use_local_subchannel_pool", 1),
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
        ],
    )


async def run_unary(
    channels: Sequence[grpc.aio.Channel], requests: Sequence[bytes], inflight: int, tally: Tally
) -> None:
    """Submit ``requests`` with ``inflight`` concurrent unary calls per channel."""
    source: Iterator[bytes] = iter(requests)

    async def worker(channel: grpc.aio.Channel) -> None:
        call = channel.unary_unary(_SUBMIT, request_serializer=None, response_deserializer=None)
        for request in source:
            t0 = time.perf_counter()
            try:
                await call(request)
            except grpc.aio.AioRpcError as exc:
                tally.errors[_describe(exc)] += 1
            else:
                tally.latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker(ch) for ch in channels for _ in range(inflight)))


async def _one_stream(
    channel: grpc.aio.Channel, batch: Sequence[bytes], inflight: int, tally: Tally
) -> None:
    call = channel.stream_stream(
        _SUBMIT_STREAM, request_serializer=None, response_deserializer=None
    )(None)
    window = asyncio.Semaphore(inflight)
    sent: collections.deque[float] = collections.deque()

    async def writer() -> None:
        for request in batch:
            await window.acquire()
            sent.append(time.perf_counter())
            await call.write(request)
        await call.done_writing()

    write_task = asyncio.ensure_future(writer())
    try:
        for _ in batch:
            raw = await call.read()
            if raw is grpc.aio.EOF:  # type: ignore[attr-defined]
                tally.errors["STREAM_ENDED_EARLY/-"] += 1
                break
            assert isinstance(raw, bytes)
            t0 = sent.popleft()
            window.release()
            response = exchange_service_pb2.SubmitDocumentStreamResponse.FromString(raw)
            if response.WhichOneof("result") == "receipt":
                tally.latencies.append(time.perf_counter() - t0)
            else:
                code = grpc.StatusCode.UNKNOWN.name
                for status_code in grpc.StatusCode:
                    if status_code.value[0] == response.error.code:
                        code = status_code.name
                tally.errors[f"{code}/{_reason_of(response.error)}"] += 1
        await write_task
        final = await call.code()
        if final != grpc.StatusCode.OK:
            tally.errors[f"{final.name}/stream"] += 1
    except grpc.aio.AioRpcError as exc:
        tally.errors[_describe(exc)] += 1
        write_task.cancel()


async def run_stream(
    channels: Sequence[grpc.aio.Channel],
    requests: Sequence[bytes],
    inflight: int,
    batch_size: int,
    tally: Tally,
) -> None:
    """Submit ``requests`` in streams of ``batch_size``, one stream per channel at a time."""
    batches = iter([requests[i : i + batch_size] for i in range(0, len(requests), batch_size)])

    async def worker(channel: grpc.aio.Channel) -> None:
        for batch in batches:
            await _one_stream(channel, batch, inflight, tally)

    await asyncio.gather(*(worker(ch) for ch in channels))


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    """Run warm-up and the timed phase; return the result record."""
    requests = read_requests(args.requests)[args.offset :]
    needed = args.warmup + args.count
    if args.cycle and requests:
        # Only for servers that store nothing (the echo baseline): the same
        # payloads are sent again.
        requests = (requests * (needed // len(requests) + 1))[:needed]
    if len(requests) < needed:
        raise SystemExit(f"{args.requests} holds {len(requests)} requests, {needed} needed")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=args.ca.read_bytes(),
        private_key=args.key.read_bytes(),
        certificate_chain=args.cert.read_bytes(),
    )
    channels = [_channel(args.target, credentials) for _ in range(args.channels)]
    for ch in channels:
        await asyncio.wait_for(ch.channel_ready(), 30)

    async def phase(batch: Sequence[bytes], tally: Tally) -> None:
        if args.mode == "unary":
            await run_unary(channels, batch, args.inflight, tally)
        else:
            await run_stream(channels, batch, args.inflight, args.stream_batch, tally)

    warm = Tally()
    await phase(requests[: args.warmup], warm)
    timed = requests[args.warmup : needed]
    if args.marks:
        print("mark start", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    tally = Tally()
    cpu0, t0 = time.process_time(), time.perf_counter()
    await phase(timed, tally)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if args.marks:
        print("mark end", flush=True)
    for ch in channels:
        await ch.close(None)
    ms = [x * 1000.0 for x in tally.latencies]
    return {
        "mode": args.mode,
        "channels": args.channels,
        "inflight": args.inflight,
        "ok": len(tally.latencies),
        "errors": dict(tally.errors),
        "warmup_errors": dict(warm.errors),
        "seconds": seconds,
        "rate": len(tally.latencies) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "client_cpu_s": cpu,
        "request_bytes": sum(len(r) for r in timed) / max(1, len(timed)),
    }


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="host:port of the server")
    p.add_argument("--ca", type=Path, required=True, help="PEM CA of the server certificate")
    p.add_argument("--cert", type=Path, required=True, help="PEM client certificate")
    p.add_argument("--key", type=Path, required=True, help="PEM client key")
    p.add_argument("--requests", type=Path, required=True, help="pre-generated requests file")
    p.add_argument("--mode", choices=("unary", "stream"), default="unary")
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--inflight", type=int, default=8, help="unanswered requests per channel")
    p.add_argument("--stream-batch", type=int, default=1000, help="documents per stream")
    p.add_argument("--offset", type=int, default=0, help="skip this many requests of the file")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--cycle", action="store_true", help="reuse requests (echo baseline only)")
    p.add_argument("--marks", action="store_true", help="synchronise with the caller")
    args = p.parse_args()
    result = asyncio.run(main_async(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
