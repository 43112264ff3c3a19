"""A stand-in OpenAI-compatible server on a loopback port, for tests that drive the real ChatOpenAI client.

Serves POST /v1/chat/completions (plain JSON, or Server-Sent Events when the request has "stream": true:
`data: {chunk}` lines, then `data: [DONE]`) and GET /v1/models. Replies are scripted per test:

    with FakeOpenAI() as llm:
        llm.script(Reply("男职工可享受25天护理假[1]。"))            # next request gets this
        llm.default = Reply("…", delay=5)                        # every request after the script runs out
        llm.responder = lambda body: Reply(...)                   # or decide from the request itself
        ... llm.requests[-1]["body"]["messages"] ...              # what the client sent

Every request is recorded (path, headers in lower case, JSON body); for streams, `sent_at` keeps when each chunk left.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted reply: the text, how it is cut into stream chunks, delays, or an HTTP error."""

    text: str = ""
    chunks: list[str] | None = None  # stream pieces; default: 4 characters each
    delay: float = 0.0  # seconds before the response starts
    chunk_delay: float = 0.0  # seconds between stream chunks
    status: int = 200  # anything else: an OpenAI-style error body with this status
    error_message: str = "scripted failure"
    sent_at: list[float] = field(default_factory=list)  # when each stream chunk was written

    def pieces(self) -> list[str]:
        return self.chunks if self.chunks is not None else [self.text[i:i + 4] for i in range(0, len(self.text), 4)]


class FakeOpenAI:
    """The stand-in server; a context manager that starts and stops it on a free loopback port."""

    def __init__(self, models: tuple[str, ...] = ("stand-in-model",)) -> None:
        self.models = models
        self.default = Reply("")
        self.responder: Callable[[dict], Reply] | None = None  # used when the script is empty
        self.requests: list[dict] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next requests, in order (a str is a plain Reply)."""
        with self._lock:
            self._script.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def reset(self) -> None:
        """Forget the script, the default reply and the recorded requests (between tests)."""
        with self._lock:
            self._script.clear()
            self.default = Reply("")
            self.responder = None
            self.requests.clear()

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next(self, body: dict) -> Reply:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return self.responder(body) if self.responder else self.default

    def __enter__(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _record(self, body: dict | None) -> None:
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body,
                                          "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "at": time.time()})

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._record(None)
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "stand-in"} for m in fake.models]})
                else:
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                self._record(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    if reply.status != 200:
                        self._json(reply.status, {"error": {"message": reply.error_message, "type": "server_error",
                                                            "code": reply.status}})
                    elif body.get("stream"):
                        self._stream(body, reply)
                    else:
                        self._json(200, {
                            "id": "chatcmpl-stand-in", "object": "chat.completion", "created": int(time.time()),
                            "model": body.get("model", ""),
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                                         "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass  # the client gave up (timeout tests)

            def _stream(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

                def event(delta: dict, finish: str | None = None) -> None:
                    chunk = {"id": "chatcmpl-stand-in", "object": "chat.completion.chunk",
                             "created": int(time.time()), "model": body.get("model", ""),
                             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()

                event({"role": "assistant", "content": ""})
                for piece in reply.pieces():
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    event({"content": piece})
                    reply.sent_at.append(time.time())
                event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
