"""AdapterClient against real adapter processes and a real AdapterService server.

docs/conformance.md "Adapter protocol": 4-byte big-endian length-prefixed protobuf over
stdin/stdout (spawn mode) and AdapterService over gRPC (attach mode).
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from conformance.adapter_client import (
    AdapterClient,
    AdapterCommandError,
    AdapterError,
    read_frame,
    write_frame,
)
from wco.eco.conformance.v1 import adapter_pb2, adapter_pb2_grpc

FAKE_ADAPTER = textwrap.dedent(
    """
    import struct, sys
    from wco.eco.conformance.v1 import adapter_pb2

    def read():
        header = sys.stdin.buffer.read(4)
        if len(header) < 4:
            return None
        (n,) = struct.unpack(">I", header)
        return sys.stdin.buffer.read(n)

    def write(msg):
        data = msg.SerializeToString()
        sys.stdout.buffer.write(struct.pack(">I", len(data)) + data)
        sys.stdout.buffer.flush()

    print("fake adapter started", file=sys.stderr, flush=True)
    while True:
        frame = read()
        if frame is None:
            break
        request = adapter_pb2.ExecuteRequest.FromString(frame)
        kind = request.WhichOneof("command")
        response = adapter_pb2.ExecuteResponse(command_id=request.command_id)
        if kind == "describe":
            response.describe.country = "XB"
            response.describe.issuing_authority_id = "xb-customs"
        elif kind == "configure_partner":
            response.error.code = 3
            response.error.message = "bad partner"
        elif kind == "deliver":
            print("fatal: delivery crashed", file=sys.stderr, flush=True)
            sys.exit(3)
        elif kind == "get_outbox":
            response.command_id = "someone-else"
        elif kind == "restart":
            response.error.code = 12  # UNIMPLEMENTED: this adapter cannot restart a node
        elif kind == "shutdown":
            response.done.SetInParent()
            write(response)
            break
        write(response)
    """
)


@pytest.fixture
def fake_adapter(tmp_path: Path) -> Iterator[AdapterClient]:
    script = tmp_path / "fake_adapter.py"
    root = Path(__file__).resolve().parents[2]
    # The generated stubs import from the repository root whether or not it is installed.
    header = f"import sys\nsys.path.insert(0, {str(root)!r})\n"
    script.write_text(header + FAKE_ADAPTER, encoding="utf-8")
    client = AdapterClient.spawn(
        [sys.executable, str(script)],
        log_path=tmp_path / "adapter.log",
        cwd=root,
    )
    yield client
    client.close()


def _describe() -> adapter_pb2.ExecuteRequest:
    return adapter_pb2.ExecuteRequest(describe=adapter_pb2.DescribeCommand())


def test_frames_are_big_endian_length_prefixed() -> None:
    buffer = io.BytesIO()
    write_frame(buffer, b"\x01\x02\x03")
    write_frame(buffer, b"")
    assert buffer.getvalue() == b"\x00\x00\x00\x03\x01\x02\x03\x00\x00\x00\x00"
    buffer.seek(0)
    assert read_frame(buffer) == b"\x01\x02\x03"
    assert read_frame(buffer) == b""
    assert read_frame(buffer) is None


def test_truncated_frame_is_a_clear_error() -> None:
    with pytest.raises(AdapterError, match="inside a frame"):
        read_frame(io.BytesIO(b"\x00\x00\x00\x05ab"))


def test_spawned_adapter_answers_in_order(fake_adapter: AdapterClient) -> None:
    for _ in range(3):
        response = fake_adapter.run(_describe())
        assert response.describe.country == "XB"
        assert response.describe.issuing_authority_id == "xb-customs"
    assert fake_adapter.log_path is not None
    assert "fake adapter started" in fake_adapter.log_tail()


def test_adapter_error_status_is_reported(fake_adapter: AdapterClient) -> None:
    request = adapter_pb2.ExecuteRequest(
        configure_partner=adapter_pb2.ConfigurePartnerCommand(country="XA")
    )
    response = fake_adapter.execute(request)
    assert response.error.code == 3
    with pytest.raises(AdapterCommandError) as raised:
        fake_adapter.run(request)
    assert raised.value.response.error.message == "bad partner"


def test_restart_unsupported_is_reported_as_false(fake_adapter: AdapterClient) -> None:
    assert fake_adapter.restart() is False
    assert fake_adapter.run(_describe()).describe.country == "XB"


def test_mismatched_command_id_is_refused(fake_adapter: AdapterClient) -> None:
    with pytest.raises(AdapterError, match="answered command"):
        fake_adapter.execute(adapter_pb2.ExecuteRequest(get_outbox=adapter_pb2.GetOutboxCommand()))


def test_dead_adapter_gives_exit_code_and_log(fake_adapter: AdapterClient) -> None:
    with pytest.raises(AdapterError) as raised:
        fake_adapter.execute(adapter_pb2.ExecuteRequest(deliver=adapter_pb2.DeliverCommand()))
    message = str(raised.value)
    assert "exit code 3" in message
    assert "fatal: delivery crashed" in message
    with pytest.raises(AdapterError, match="unusable"):
        fake_adapter.execute(_describe())


def test_missing_command_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="cannot start adapter"):
        AdapterClient.spawn([str(tmp_path / "no-such-adapter")], log_path=tmp_path / "a.log")


class _Servicer(adapter_pb2_grpc.AdapterServiceServicer):
    def Execute(
        self, request: adapter_pb2.ExecuteRequest, context: grpc.ServicerContext
    ) -> adapter_pb2.ExecuteResponse:
        response = adapter_pb2.ExecuteResponse(command_id=request.command_id)
        response.describe.country = "XD"
        return response


def test_attach_mode_over_grpc() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    adapter_pb2_grpc.add_AdapterServiceServicer_to_server(_Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with AdapterClient.attach(f"127.0.0.1:{port}") as client:
            assert client.run(_describe()).describe.country == "XD"
            assert client.log_path is None
    finally:
        server.stop(None)


def test_attach_to_nothing_is_a_clear_error() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    with AdapterClient.attach(f"127.0.0.1:{port}") as client, pytest.raises(AdapterError):
        client.execute(_describe(), timeout=2)
