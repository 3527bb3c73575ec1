"""A small OpenAI-compatible server on loopback for the provider tests.

It speaks ``POST /v1/chat/completions`` with ``stream: true`` (server-sent
events, one ``chat.completion.chunk`` per delta, then ``data: [DONE]``), plays
a script of replies in order (text, a tool call, or a hang) and records every
request body, so tests can assert what the model was sent.

It also speaks ``POST /v1/embeddings``: a deterministic vector per input text, from
``concepts`` (word -> dimension: words of one concept get the same direction, so a
synonym the full-text index cannot match is still near) plus a faint trace of every
other word; ``embeddings_status`` other than 200 makes it fail.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted completion: text chunks, tool calls, or a silence of ``hang_s``."""

    text_chunks: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, args json
    hang_s: float = 0.0
    status: int = 200
    chunk_delay_s: float = 0.0


class FakeLLM:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # set to end every hang early at teardown
        self.concepts: dict[str, int] = {}
        self.embeddings_status = 200
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def vector(self, text: str, dimensions: int = 16) -> list[float]:
        values = [0.0] * dimensions
        for word in re.findall(r"\w+", text.lower()):
            if word in self.concepts:
                values[self.concepts[word] % dimensions] += 1.0
            else:
                values[zlib.crc32(word.encode()) % dimensions] += 0.001
        return values

    def next_reply(self) -> Reply:
        return self.script.pop(0) if self.script else Reply(text_chunks=["(script exhausted)"])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests assert on ``fake.requests`` instead."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {"path": self.path, "body": body, "headers": dict(self.headers)}
                )
                if self.path == "/v1/embeddings":
                    self._embeddings(body)
                    return
                if self.path != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                # The client may give up first (a timeout or a cancel under test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._reply(fake.next_reply(), body)

            def _reply(self, reply: Reply, body: dict[str, Any]) -> None:
                if reply.hang_s:
                    fake.release.wait(reply.hang_s)
                    return
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": "scripted failure"}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in _chunks(reply, body.get("model", "")):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if reply.chunk_delay_s:
                        time.sleep(reply.chunk_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _embeddings(self, body: dict[str, Any]) -> None:
                if fake.embeddings_status != 200:
                    self._json(fake.embeddings_status, {"error": {"message": "scripted failure"}})
                    return
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [
                    {"object": "embedding", "index": i, "embedding": fake.vector(text)}
                    for i, text in enumerate(texts)
                ]
                usage = {"prompt_tokens": 0, "total_tokens": 0}
                self._json(200, {"object": "list", "data": data, "model": "m", "usage": usage})

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _chunks(reply: Reply, model: str) -> list[dict[str, Any]]:
    chunks = [_chunk(model, {"role": "assistant", "content": ""})]
    chunks += [_chunk(model, {"content": text}) for text in reply.text_chunks]
    for index, (call_id, name, arguments) in enumerate(reply.tool_calls):
        half = len(arguments) // 2  # arguments arrive in pieces, as real servers send them
        first = {"index": index, "id": call_id, "type": "function"}
        first["function"] = {"name": name, "arguments": arguments[:half]}
        chunks.append(_chunk(model, {"tool_calls": [first]}))
        rest = {"index": index, "function": {"arguments": arguments[half:]}}
        chunks.append(_chunk(model, {"tool_calls": [rest]}))
    chunks.append(_chunk(model, {}, "tool_calls" if reply.tool_calls else "stop"))
    return chunks
