"""The HTTP face of the sandbox: a loopback-only ThreadingHTTPServer, and a handle for tests.

running = start_in_thread(DatasetConfig(...), ServerConfig(...))
running.base_url   # e.g. "http://127.0.0.1:41231"
running.stop()
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from meta_ads_sandbox import admin, errors, protocol
from meta_ads_sandbox.api import Sandbox
from meta_ads_sandbox.batch import run_batch, www_authenticate
from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.messages import API_VERSION, ApiRequest, Outcome, Reply, error_reply
from meta_ads_sandbox.rng import hex_digest

JSON_TYPE = "application/json; charset=UTF-8"
JSONP_TYPE = "text/javascript; charset=UTF-8"
_ROOT = re.compile(r"^/(v\d+\.\d+/?)?$")
HTML_PAGES = {
    "html_502": (502, "Bad Gateway"),
    "html_503": (503, "Service Unavailable"),
    "html_200": (200, "OK"),  # a malformed batch answer (malformed.py)
}


def check_loopback(host: str) -> None:
    """Refuse to bind anything but a loopback address."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to bind {host!r}: the sandbox only listens on loopback addresses")


class SandboxServer(ThreadingHTTPServer):
    """ThreadingHTTPServer holding the sandbox state."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 refuses connections under a few shards' bursts;
    # Meta's front ends never do.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.sandbox = sandbox
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"
        self.rev = "10" + hex_digest(sandbox.dataset.seed, "rev", length=8).translate(
            str.maketrans("abcdef", "123456")
        )


class Handler(BaseHTTPRequestHandler):
    """One HTTP request."""

    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _params(self) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        merged = dict(query)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            raw = self.rfile.read(length)
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if isinstance(body, dict):
                    merged.update(
                        {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
                    )
            else:
                merged.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return split.path, query, merged

    def _handle(self, method: str) -> None:
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a sandbox bug: answer like Meta's unknown error, and say so on stderr
            traceback.print_exc(file=sys.stderr)
            reply = error_reply(errors.unknown_error(), self.server.sandbox.trace_id())
            body = json.dumps(reply.body, separators=(",", ":")).encode()
            self._send(reply.status, body, self._graph_headers(reply))

    def _dispatch(self, method: str) -> None:
        sb = self.server.sandbox
        path, query, params = self._params()
        if path.startswith(admin.PREFIX):
            status, body = admin.handle(sb, method, path, params)
            self._send(status, json.dumps(body).encode(), {"Content-Type": JSON_TYPE})
            return
        started = time.monotonic()
        if sb.config.latency_ms:
            time.sleep(sb.config.latency_ms / 1000)
        req = ApiRequest(
            method=method,
            path=path,
            query=query,
            params=params,
            authorization=self.headers.get("Authorization"),
            base_url=self.server.base_url,
            method_override=self.headers.get("X-HTTP-Method-Override"),
        )
        root = _ROOT.match(path)
        if root and method == "POST" and "batch" in params:
            version = root.group(1).strip("/") if root.group(1) else None
            outcome = sb.malformer.apply_batch(req, run_batch(sb, req, version))
        else:
            outcome = sb.serve(req)
        self._answer(outcome, None if sb.config.new_app else protocol.callback(req))
        sb.note_call(method, path, started, time.monotonic(), int(self.client_address[1]))

    def _answer(self, outcome: Outcome, callback: str | None = None) -> None:
        if outcome.fault == "drop":
            self.close_connection = True
            return
        if outcome.fault in HTML_PAGES:
            status, title = HTML_PAGES[outcome.fault]
            page = (
                f"<!DOCTYPE html><html><head><title>{status} {title}</title></head>"
                f"<body><h1>{title}</h1><p>Sorry, something went wrong.</p></body></html>"
            ).encode()
            self._send(status, page, {"Content-Type": "text/html; charset=utf-8"})
            return
        reply = outcome.reply
        assert reply is not None
        if outcome.fault == "slow":
            time.sleep(outcome.delay)
        body = json.dumps(reply.body, separators=(",", ":")).encode()
        headers = self._graph_headers(reply)
        if callback is not None:  # JSONP: the JSON wrapped in a call of the callback
            body = b"/**/ " + callback.encode() + b"(" + body + b");"
            headers["Content-Type"] = JSONP_TYPE
        if outcome.fault == "truncate":
            self._send(reply.status, body, headers, truncate=True)
            return
        self._send(reply.status, body, headers)

    def _graph_headers(self, reply: Reply) -> dict[str, str]:
        sb = self.server.sandbox
        trace = reply.trace or sb.trace_id()
        headers = {
            "Content-Type": JSON_TYPE,
            "facebook-api-version": reply.version or API_VERSION,
            "x-fb-trace-id": trace,
            "x-fb-rev": self.server.rev,
            "x-fb-debug": hex_digest(trace, "debug", length=64),
            "Cache-Control": "private, no-cache, no-store, must-revalidate",
        }
        headers.update(sb.version_headers(reply.version or API_VERSION))
        headers.update(reply.headers)
        auth = www_authenticate(reply)
        if auth:
            headers["WWW-Authenticate"] = auth
        return headers

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], truncate: bool = False
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@dataclass
class RunningSandbox:
    """A sandbox serving in a background thread."""

    base_url: str
    sandbox: Sandbox
    server: SandboxServer
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(dataset_config: DatasetConfig, server_config: ServerConfig) -> SandboxServer:
    """Bind (loopback only) and build the server, without serving yet."""
    check_loopback(server_config.host)
    sandbox = Sandbox(dataset_config, server_config)
    return SandboxServer((server_config.host, server_config.port), sandbox)


def start_in_thread(
    dataset_config: DatasetConfig | None = None, server_config: ServerConfig | None = None
) -> RunningSandbox:
    """Start a sandbox on a free loopback port in a daemon thread."""
    server = make_server(dataset_config or DatasetConfig(), server_config or ServerConfig())
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="meta-ads-sandbox",
        daemon=True,
    )
    thread.start()
    return RunningSandbox(server.base_url, server.sandbox, server, thread)
