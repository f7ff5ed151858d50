"""A real, local OpenAI-compatible HTTP server for tests (loopback only, no network).

The AI assistant is tested through the real ``openai`` SDK over real HTTP: this server speaks
enough of the Chat Completions API for that. It runs a stdlib ``ThreadingHTTPServer`` on
``127.0.0.1`` (a free port) in a daemon thread and implements:

* ``POST /v1/chat/completions`` — a plain JSON reply, or with ``"stream": true`` Server-Sent
  Events (``data: {chunk}\\n\\n`` … ``data: [DONE]\\n\\n``), as OpenAI sends them;
* ``GET /v1/models`` — one model, for a "test the connection" button.

Every request is recorded in ``server.requests`` (method, path, headers, parsed JSON body), in
arrival order, including the ones the SDK retries.

What the server does for each chat request is scripted: behaviours are queued with
``server.script(...)`` and consumed one per request; once the queue is empty the ``default``
behaviour (a plain ``Reply("OK")``) answers. Behaviours:

``Reply(text, chunks=None, delay_s=0.0, ...)``
    Answers with ``text``. If the request asked for ``stream=True`` it is sent as chunks (``chunks``
    when given, else ``text`` split after each space), sleeping ``delay_s`` between chunks, so a
    GUI test can watch increments arrive and press Stop. ``hold`` (a ``threading.Event``) makes the
    stream pause after ``hold_after`` chunks until the event is set. ``drop_after=N`` closes the
    connection after N chunks (a broken stream).
``Status(code, message="...", headers={...})``
    An OpenAI-style error body with that status: ``Status(401)``, ``Status(500)``,
    ``Status(429, headers={"retry-after-ms": "10"})`` (the SDK honours ``retry-after-ms`` and
    ``retry-after`` between 0 and 60 s; other delays fall back to its 0.5 s·2ⁿ backoff).
``Hang(seconds)``
    Waits ``seconds`` (longer than the client's timeout) before answering; woken at shutdown.
``Drop()``
    Reads the request and closes the connection without any answer.

Usage (the ``openai_server`` fixture is registered in ``tests/conftest.py``)::

    def test_something(openai_server):
        openai_server.script(Status(429, headers={"retry-after-ms": "10"}), Reply("Hello"))
        client = OpenAI(api_key="test", base_url=openai_server.base_url)
        ...
        assert openai_server.requests[-1].body["model"] == "gpt-4o-mini"
        assert openai_server.chat_requests[-1].messages[0]["role"] == "system"

Shortcuts: ``reply(text)``, ``stream(chunks, delay_s=...)``, ``fail(code, times=1, headers=...)``,
``hang(seconds)``, ``drop(times=1)``; ``wait_for_requests(n, timeout=5)`` blocks until ``n``
requests arrived (for GUI tests). ``server.close()`` (done by the fixture) stops it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace

MODEL = "gpt-4o-mini"
#: The API key the GUI tests give the app (the local server accepts any).
TEST_KEY = "sk-test-0123456789abcdef"


# ----------------------------------------------------------------------------- behaviours


@dataclass(frozen=True)
class Reply:
    """Answer with ``text`` (streamed in ``chunks`` when the request asks for a stream)."""

    text: str = "OK"
    chunks: Sequence[str] | None = None
    delay_s: float = 0.0
    hold: threading.Event | None = None
    hold_after: int = 1
    drop_after: int | None = None
    finish_reason: str = "stop"
    prompt_tokens: int = 11
    completion_tokens: int = 7

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self.text.split(" ")
        return [word + " " for word in words[:-1]] + [words[-1]] if self.text else []


@dataclass(frozen=True)
class Status:
    """An error status with OpenAI's error body (``{"error": {"message", "type", "code"}}``)."""

    code: int
    message: str = "scripted error"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Sleep before answering (``then``, a plain reply by default): the client should time out."""

    seconds: float = 30.0
    then: Reply = field(default_factory=Reply)


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Behaviour = Reply | Status | Hang | Drop


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


# ----------------------------------------------------------------------------- server


class OpenAIServer:
    """The scripted server; see the module docstring."""

    def __init__(self, *, default: Behaviour | None = None) -> None:
        self.default: Behaviour = default or Reply("OK")
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-test-server",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url`` (or Caliber's ``ai.base_url`` setting)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this server's script and record, to serve it on another
        socket too (``tests/support/tls_proxy.py`` answers ``api.openai.com`` with it)."""
        return _handler_for(self)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # ------------------------------------------------------------------ scripting
    def script(self, *behaviours: Behaviour) -> OpenAIServer:
        """Queue behaviours, one per coming chat request (then the default answers)."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def reply(self, text: str) -> OpenAIServer:
        return self.script(Reply(text))

    def stream(self, chunks: Sequence[str], *, delay_s: float = 0.0) -> OpenAIServer:
        return self.script(Reply("".join(chunks), chunks=list(chunks), delay_s=delay_s))

    def fail(
        self, code: int, *, times: int = 1, headers: Mapping[str, str] | None = None
    ) -> OpenAIServer:
        return self.script(*[Status(code, headers=dict(headers or {}))] * times)

    def hang(self, seconds: float = 30.0) -> OpenAIServer:
        return self.script(Hang(seconds))

    def drop(self, *, times: int = 1) -> OpenAIServer:
        return self.script(*[Drop()] * times)

    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        with self._lock:
            return len(self._queue)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests arrived in total; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True

    def close(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _record(self, request: RecordedRequest) -> Behaviour:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()
            return self._queue.popleft() if self._queue else self.default

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``server.requests`` instead."""

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self._json(404, _error_body(f"No route {self.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        request = RecordedRequest(
            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.owner._record(request)
            self._json(404, _error_body(f"No route {self.path}", "not_found"))
            return
        behaviour = self.owner._record(request)
        try:
            self._perform(behaviour, request)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (Stop, timeout): fine

    def _perform(self, behaviour: Behaviour, request: RecordedRequest) -> None:
        if isinstance(behaviour, Hang):
            self.owner._sleep(behaviour.seconds)
            behaviour = behaviour.then
        if isinstance(behaviour, Drop):
            self.close_connection = True
            return
        if isinstance(behaviour, Status):
            self._json(
                behaviour.code,
                _error_body(behaviour.message, _error_type(behaviour.code)),
                behaviour.headers,
            )
            return
        model = str(request.body.get("model") or MODEL)
        if request.stream:
            self._stream(behaviour, model)
        else:
            self._json(200, _completion(behaviour, model))

    def _json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _stream(self, reply: Reply, model: str) -> None:
        self.close_connection = True  # no length: the end of the body is the end of the stream
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for index, piece in enumerate(_chunks(reply, model)):
            if reply.drop_after is not None and index >= reply.drop_after:
                return
            if reply.hold is not None and index == reply.hold_after:
                reply.hold.wait(10)
            if index and reply.delay_s:
                self.owner._sleep(reply.delay_s)
            if self.owner._stopping.is_set():
                return
            self.wfile.write(b"data: " + json.dumps(piece).encode("utf-8") + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _chunks(reply: Reply, model: str) -> Iterator[dict[str, Any]]:
    created = int(time.time())
    for index, piece in enumerate(reply.pieces()):
        delta: dict[str, Any] = {"content": piece}
        if index == 0:
            delta["role"] = "assistant"
        yield _chunk(model, created, delta, None)
    yield _chunk(model, created, {}, reply.finish_reason)


def _chunk(model: str, created: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text, "refusal": None},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _error_type(code: int) -> str:
    return {
        400: "invalid_request_error",
        401: "invalid_api_key",
        403: "permission_denied",
        404: "not_found",
        429: "rate_limit_exceeded",
    }.get(code, "server_error")


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


# ----------------------------------------------------------------------------- fixture


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh scripted OpenAI-compatible server on loopback, closed after the test."""
    server = OpenAIServer()
    try:
        yield server
    finally:
        server.close()


def use_server(
    workspace: Workspace, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, *, key: bool
) -> None:
    """Point the workspace's assistant at ``server``, with the test key in the environment or
    with no key at all."""
    monkeypatch.delenv("CALIBER_OPENAI_BASE_URL", raising=False)
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    else:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    workspace.settings.ai.base_url = server.base_url
    workspace.bind(workspace.user)
