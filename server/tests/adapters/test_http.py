"""The outgoing HTTP adapter's address rule (what SSRF protection rests on) and its calls to a
real receiver: no redirects followed, the answer read up to a cap, a timeout."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accord_server.adapters import http
from support import free_port

BLOCKED = {
    "127.0.0.1": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1": "link-local",
    "fc00::1": "private",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "100.64.0.1": "not public",  # shared address space (carrier NAT)
    "240.0.0.1": "reserved",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:10.0.0.1": "private",
    "2002:a00:1::": "private",  # 6to4 of 10.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 of 169.254.169.254
}
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "reason"), sorted(BLOCKED.items()))
def test_non_public_addresses_are_blocked(address: str, reason: str) -> None:
    assert http.blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert http.blocked_reason(ipaddress.ip_address(address)) is None


def test_names_are_resolved_before_they_are_judged() -> None:
    with pytest.raises(http.RefusedURL, match=r"localhost resolves to .* loopback"):
        http.check_url("http://localhost:8080/x", allow_private=False)
    http.check_url("http://localhost:8080/x", allow_private=True)
    with pytest.raises(http.RefusedURL, match="cannot be resolved"):
        http.check_url("http://no-such-host.invalid/", allow_private=True)
    with pytest.raises(http.RefusedURL, match="only http and https"):
        http.check_url("file:///etc/passwd", allow_private=True)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(1_000_000))
            self.end_headers()
            self.wfile.write(b"x" * 1_000_000)
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            answer = self.headers["Host"].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    port = free_port()
    running = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield port
    running.shutdown()
    running.server_close()


def test_post_refuses_a_private_address_at_send_time(server: int) -> None:
    answer = http.post(f"http://localhost:{server}/", b"{}", {}, timeout=2, allow_private=False)
    assert answer.status is None and answer.error is not None
    assert answer.error.startswith("refused:")


def test_post_sends_to_the_resolved_address_with_the_name_as_host(server: int) -> None:
    answer = http.post(f"http://localhost:{server}/", b"{}", {}, timeout=2, allow_private=True)
    assert answer.ok and answer.body == f"localhost:{server}".encode()


def test_post_follows_no_redirect_and_caps_the_answer(server: int) -> None:
    moved = http.post(
        f"http://127.0.0.1:{server}/redirect", b"{}", {}, timeout=2, allow_private=True
    )
    assert (moved.status, moved.error, moved.ok) == (302, "HTTP 302", False)
    big = http.post(
        f"http://127.0.0.1:{server}/big", b"{}", {}, timeout=5, allow_private=True, read_cap=1000
    )
    assert big.ok and len(big.body) == 1000


def test_post_times_out(server: int) -> None:
    slow = http.post(f"http://127.0.0.1:{server}/slow", b"{}", {}, timeout=0.3, allow_private=True)
    assert slow.status is None and "timed out" in (slow.error or "")
