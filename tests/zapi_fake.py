"""A real HTTP fake of Z-API on loopback, for end-to-end tests.

It answers the send endpoints like Z-API does (`zaapId`, `messageId`, `id`)
and records every request, so a test can see exactly what Theo sent.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeZApiServer:
    """`with FakeZApiServer() as zapi:` serves on 127.0.0.1 at `zapi.base_url`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeZApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

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

    def texts(self) -> list[str]:
        with self._lock:
            return [r["body"].get("message", "") for r in self.requests]

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
                message_id = fake._record(self.path, dict(self.headers), body)
                answer = json.dumps(
                    {"zaapId": "Z" + message_id, "messageId": message_id, "id": message_id}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output quiet

        return Handler
