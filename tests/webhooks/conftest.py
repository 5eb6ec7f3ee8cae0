"""A real HTTP receiver on 127.0.0.1 in a thread: it records every request (headers, body) and
answers with the statuses a test queues (after an optional delay, to provoke a timeout)."""

import http.server
import threading
import time
from dataclasses import dataclass, field

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


@dataclass
class Receiver:
    url: str
    # (status, delay in seconds, response body) per request; once empty, `default` answers.
    script: list = field(default_factory=list)
    default: tuple = (200, 0, b'{"ok": true}')
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers):
        """Queue answers: a status, or (status, delay) or (status, delay, body)."""
        for answer in answers:
            if isinstance(answer, int):
                answer = (answer, 0)
            if len(answer) == 2:
                answer = (*answer, b"{}")
            self.script.append(answer)

    def next_answer(self):
        with self.lock:
            return self.script.pop(0) if self.script else self.default


@pytest.fixture
def receiver():
    state = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            target = state["receiver"]
            target.requests.append(
                Received(self.path, {k: v for k, v in self.headers.items()}, body, time.time())
            )
            status, delay, content = target.next_answer()
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the platform gave up waiting (timeout)

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address
    state["receiver"] = Receiver(url=f"http://{host}:{port}/hooks/integrity?source=test")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the queued deliveries) of the block: `with capture(…)`."""
    return django_capture_on_commit_callbacks
