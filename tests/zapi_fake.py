"""A real HTTP fake of Z-API on loopback, for end-to-end and fault tests.

It answers the send endpoints like Z-API does (`zaapId`, `messageId`, `id`)
and records every request it answers, so a test can see exactly what Theo
sent. Faults are set by the test: a latency, answers with a given status
(`fail(503, times=3)`), connections that hang, or the whole server down
(`down()`: connection refused) and back (`up()`, same port).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeZApiServer:
    """`with FakeZApiServer() as zapi:` serves on 127.0.0.1 at `zapi.base_url`."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []
        self.refused: list[dict] = []  # requests answered with a fault status
        self.latency = 0.0
        self.hang_seconds = 0.0  # > 0: every request waits this long before any answer
        self._faults: list[tuple[int, dict]] = []  # planned (status, extra headers), in order
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = self._serve(port)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeZApiServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()

    # -- faults --
    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` sends with `status` (and a Retry-After header if given)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._faults += [(status, headers)] * times

    def down(self) -> None:
        """Stop listening: sends get "connection refused" until `up()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self._server = self._serve(self.port)

    # -- what was sent --
    def settled(self, before: int, *, quiet: float = 0.4, timeout: float = 15.0) -> list[dict]:
        """The requests after the first `before`, once they have stopped arriving.

        Theo answers the webhook first and sends afterwards: a test waits for the sends.
        """
        deadline = time.monotonic() + timeout
        seen, last_change = before, time.monotonic()
        while time.monotonic() < deadline:
            with self._lock:
                count = len(self.requests)
            if count != seen:
                seen, last_change = count, time.monotonic()
            elif count > before and time.monotonic() - last_change >= quiet:
                break
            time.sleep(0.02)
        with self._lock:
            return list(self.requests[before:])

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[dict]:
        """Wait until at least `count` sends were answered with success; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        with self._lock:
            return list(self.requests)

    def texts(self, phone: str | None = None) -> list[str]:
        """The text messages sent (to `phone`), in order; PDFs are in `documents`."""
        with self._lock:
            return [
                r["body"].get("message", "")
                for r in self.requests
                if (phone is None or r["body"].get("phone") == phone) and not is_document(r)
            ]

    def documents(self, phone: str | None = None) -> list[str]:
        """The file names of the PDFs sent (to `phone`), in order."""
        with self._lock:
            return [
                r["body"].get("fileName", "")
                for r in self.requests
                if (phone is None or r["body"].get("phone") == phone) and is_document(r)
            ]

    # -- serving --
    def _serve(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def _next_fault(self) -> tuple[int, dict] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _record(self, path: str, headers: dict, body: dict) -> str:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            return f"FAKE{next(self._ids):016d}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if fake.hang_seconds:
                    time.sleep(fake.hang_seconds)  # the client times out first
                    return
                time.sleep(fake.latency)
                fault = fake._next_fault()
                if fault is not None:
                    fake.refused.append({"path": self.path, "body": body, "status": fault[0]})
                    self._answer(fault[0], {"error": "fake fault"}, fault[1])
                    return
                message_id = fake._record(self.path, dict(self.headers), body)
                answer = {"zaapId": "Z" + message_id, "messageId": message_id, "id": message_id}
                self._answer(200, answer, {})

            def _answer(self, status: int, data: dict, headers: dict) -> None:
                answer = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output quiet

        return Handler


def is_document(request: dict) -> bool:
    """A send-document call (a PDF), not a text message."""
    return "send-document" in request["path"]


def texts_of(requests: list[dict]) -> list[str]:
    """The texts of the text messages among recorded requests."""
    return [r["body"]["message"] for r in requests if not is_document(r)]
