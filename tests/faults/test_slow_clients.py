"""Slow clients against the documented deployment: Debian's nginx with deploy/nginx.conf in
front of gunicorn (gunicorn.conf.py), both started by the test on free ports.

Fifty connections trickle a request body one byte at a time (each would hold one of
gunicorn's threads for as long as it likes); citizens asking at the same time must still be
answered, quickly. The same trickle straight at gunicorn is measured too, for the README.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.citizens import Outcomes, ask_many
from tests.faults.processes import Gunicorn, Nginx, Redis, deliver, text_message

pytestmark = pytest.mark.fault
SLOW_CONNECTIONS = 50


class Trickle:
    """Connections that send headers, then one body byte every 0.5 s, and never finish."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets: list[socket.socket] = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.sendall(b"POST /wechat?signature=x&timestamp=1&nonce=n HTTP/1.1\r\nHost: zwgk\r\n"
                         b"Content-Type: text/xml\r\nContent-Length: 4000\r\n\r\n<")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    def alive(self) -> int:
        """How many of the slow connections the server still holds open."""
        count = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                count += sock.recv(1) != b""  # data: the server answered (an error page), still open
            except BlockingIOError:
                count += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return count

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for sock in self.sockets:
            sock.close()


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, Nginx]]:
    folder: Path = tmp_path_factory.mktemp("slow")
    cache = Redis(folder / "redis").start()
    app = Gunicorn(folder / "gunicorn", {"REDIS_URL": cache.url,
                                         "DATABASE_URL": f"sqlite:///{folder / 'zwgk.sqlite3'}"})
    nginx = None
    try:
        app.start()
        nginx = Nginx(app.port).start()
        yield app, nginx
    finally:
        if nginx is not None:
            nginx.stop()
        app.stop()
        cache.stop()


def test_fifty_slow_clients_do_not_keep_citizens_from_their_answers(front: tuple[Gunicorn, Nginx]) -> None:
    _app, nginx = front
    trickle = Trickle(nginx.port, SLOW_CONNECTIONS)
    try:
        time.sleep(1.0)  # the slow bodies are under way
        citizens = Outcomes(f"through nginx, {SLOW_CONNECTIONS} slow connections open")
        ask_many(nginx.port, citizens, 24, parallel=4, timeout=10)
        held = trickle.alive()
    finally:
        trickle.close()
    print(citizens.summary(), f"(slow connections still held by nginx: {held})")
    assert citizens.failed == [] and citizens.busy == 0
    assert max(citizens.latencies) < 4.0  # generous (WeChat gives up at 5 s); the figure is printed


def test_the_same_slow_clients_straight_at_gunicorn_for_comparison(front: tuple[Gunicorn, Nginx]) -> None:
    """Not the deployment: shows what nginx is for. Only printed, then the bot must recover."""
    app, _ = front
    trickle = Trickle(app.port, SLOW_CONNECTIONS)
    try:
        time.sleep(1.0)
        direct = Outcomes(f"straight at gunicorn, {SLOW_CONNECTIONS} slow connections open")
        ask_many(app.port, direct, 8, parallel=8, timeout=3)
    finally:
        trickle.close()
    print(direct.summary(), f"-> {len(direct.failed)} of 8 citizens got nothing within 3 s")
    recovered = Outcomes("gunicorn after the slow clients left")
    ask_many(app.port, recovered, 4, timeout=10)
    assert recovered.failed == []


def _chunked(port: int, size: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        body = text_message("低保", "o_chunk").replace(b"</xml>", b"<!--" + b"x" * size + b"--></xml>")
        conn.putrequest("POST", "/wechat?signature=x&timestamp=1&nonce=n")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "text/xml")
        conn.endheaders()
        for start in range(0, len(body), 8192):
            piece = body[start:start + 8192]
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.send(b"0\r\n\r\n")
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_chunked_body_over_the_limit_gets_413_from_gunicorn_and_from_nginx(front: tuple[Gunicorn, Nginx]) -> None:
    app, nginx = front
    assert _chunked(app.port, 70_000) == 413
    assert _chunked(nginx.port, 70_000) == 413
    assert deliver(nginx.port, text_message("怎么申请政府信息公开", "o_after_chunk"))[0] == 200
