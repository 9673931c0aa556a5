"""Local stand-ins for a DynamoDB endpoint on a bad day, for the fault tests and ``bench/fault_bench.py``.

``FakeDynamo`` is a small HTTP server speaking enough of DynamoDB's JSON protocol for the route function's reads
(``GetItem`` of the pointer, ``Query`` of a version's chunks, ``BatchGetItem`` of metrics snapshots), with the
items serialized by the same PynamoDB models the code reads them with. Its ``mode`` makes it misbehave:

- ``ok``: answers; ``slow``: answers each request 0.5 s late (``delay_seconds``);
- ``blackhole``: accepts and reads the request, never answers (the socket stays open);
- ``gray``: every other request hangs like ``blackhole``, the others answer;
- ``http500``: ``InternalServerError`` (HTTP 500); ``throttle``: ``ProvisionedThroughputExceededException`` (400).

``refused_endpoint()`` is a port nobody listens on; ``SynDropped`` a listening socket whose accept backlog is full,
so the kernel drops further SYNs and a connect hangs (a non-routable address such as 10.255.255.1 is not reliable:
some sandboxes answer it). Nothing here talks to AWS.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "slow", "blackhole", "gray", "http500", "throttle")
ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"


def _wire(item: Mapping[str, Any]) -> dict[str, Any]:
    """PynamoDB's serialized item → DynamoDB JSON on the wire (binary values base64)."""
    out: dict[str, Any] = {}
    for name, value in item.items():
        (kind, raw), *_ = value.items()
        out[name] = {kind: base64.b64encode(raw).decode() if kind == "B" else raw}
    return out


class FakeDynamo:
    """A DynamoDB endpoint on localhost holding one published config version and some metrics snapshots."""

    def __init__(self, *, mode: str = "ok", delay_seconds: float = 0.5) -> None:
        self.mode = mode
        self.delay_seconds = delay_seconds
        self.requests: dict[str, int] = {}
        self.pointer: dict[str, Any] | None = None
        self.chunks: dict[str, list[dict[str, Any]]] = {}
        self.snapshots: dict[str, dict[str, Any]] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.connections: list[socket.socket] = []  # accepted, so ``stop`` can drop kept-alive ones too
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-dynamo", daemon=True)

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeDynamo:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release every hung request, stop serving and drop every open connection (then: connection refused)."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        for conn in self.connections:
            with contextlib.suppress(OSError):  # already closed by its client
                conn.shutdown(socket.SHUT_RDWR)

    def publish(self, document: Mapping[str, Any], version_id: str = "v000001") -> None:
        """Hold ``document`` as version ``version_id`` and point at it (items as ``DynamoConfigStore`` writes)."""
        from routing.common.models import ConfigItem
        from routing.config.store import encode_document

        content_hash, chunks, _ = encode_document(document)
        self.chunks[version_id] = [
            _wire(
                ConfigItem(
                    f"VERSION#{version_id}",
                    f"CHUNK#{i:04d}",
                    data=chunk,
                    content_hash=content_hash,
                    chunk_count=len(chunks),
                ).serialize()
            )
            for i, chunk in enumerate(chunks)
        ]
        self.pointer = _wire(
            ConfigItem(
                "POINTER",
                "ACTIVE",
                version_id=version_id,
                revision=1,
                updated_at="2026-11-24T00:00:00Z",
                updated_by="fault-bench",
            ).serialize()
        )

    def put_snapshot(self, queue_id: str, sampled_at: float, values: Mapping[str, Mapping[str, float]]) -> None:
        """Hold a metrics snapshot (as the poller writes it)."""
        from routing.common.models import QueueMetricsItem

        item = QueueMetricsItem(queue_id, sampled_at=sampled_at, values=json.dumps(values, sort_keys=True))
        self.snapshots[queue_id] = _wire(item.serialize())

    def answer(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """The reply to one request in the current mode (None: hang)."""
        with self._lock:
            self._count += 1
            self.requests[operation] = self.requests.get(operation, 0) + 1
            nth = self._count
        mode = self.mode
        if mode == "blackhole" or (mode == "gray" and nth % 2 == 1):
            return None
        if mode == "http500":
            return 500, {"__type": ERROR_PREFIX + "InternalServerError", "message": "Internal server error"}
        if mode == "throttle":
            return 400, {
                "__type": ERROR_PREFIX + "ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        if mode == "slow":
            time.sleep(self.delay_seconds)
        return 200, self._data(operation, body)

    def _data(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetItem":
            key = body.get("Key", {})
            is_pointer = key.get("pk", {}).get("S") == "POINTER" and self.pointer is not None
            return {"Item": self.pointer} if is_pointer else {}
        if operation == "Query":
            values = [v.get("S", "") for v in (body.get("ExpressionAttributeValues") or {}).values()]
            version = next((v.removeprefix("VERSION#") for v in values if v.startswith("VERSION#")), "")
            items = self.chunks.get(version, [])
            return {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if operation == "BatchGetItem":
            responses: dict[str, list[dict[str, Any]]] = {}
            for table, spec in (body.get("RequestItems") or {}).items():
                keys = [k["pk"]["S"] for k in spec.get("Keys", [])]
                responses[table] = [self.snapshots[k] for k in keys if k in self.snapshots]
            return {"Responses": responses, "UnprocessedKeys": {}}
        return {}

    def hang(self) -> None:
        """Hold a request open until ``stop``."""
        self._release.wait()


class _QuietServer(ThreadingHTTPServer):
    """Clients that give up (the gate's deadline, a socket timeout) reset their connection: expected, not news."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeDynamo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            fake.connections.append(self.connection)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            answer = fake.answer(operation, body)
            if answer is None:
                fake.hang()
                self.close_connection = True
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 — silence the default stderr log
            return

    return Handler


def refused_endpoint() -> str:
    """An endpoint whose port nobody listens on: every connect is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class SynDropped:
    """A listening socket that never accepts, its backlog filled: further connects hang in SYN retransmission."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._fillers: list[socket.socket] = []
        port = self._listener.getsockname()[1]
        for _ in range(4):  # the kernel queues backlog + 1 connections; a few more to be sure
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            self._fillers.append(filler)
        self.endpoint = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        """Close every socket."""
        for sock in (*self._fillers, self._listener):
            sock.close()


@contextmanager
def dynamo_endpoint(kind: str, document: Mapping[str, Any] | None = None) -> Iterator[tuple[str, FakeDynamo | None]]:
    """``(endpoint, fake)`` for a fault ``kind``: one of ``MODES``, ``refused`` or ``syn_dropped`` (no fake)."""
    if kind == "refused":
        yield refused_endpoint(), None
        return
    if kind == "syn_dropped":
        dropped = SynDropped()
        try:
            yield dropped.endpoint, None
        finally:
            dropped.close()
        return
    fake = FakeDynamo(mode=kind).start()
    if document is not None:
        fake.publish(document)
    try:
        yield fake.endpoint, fake
    finally:
        fake.stop()
