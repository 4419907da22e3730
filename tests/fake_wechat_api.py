"""A local stand-in for WeChat's API server (api.weixin.qq.com/cgi-bin/), for tests only.

It issues access tokens for one AppID/AppSecret, checks the token on every call, answers
with WeChat's error codes (40001 invalid, 42001 expired, 40125 bad secret) and records the
customer-service messages and menus it receives. Tests drive it: `expire_tokens()`,
`fail_next(errcode)`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

APPID = "wx5823bf96d3bd56c7"
SECRET = "test-app-secret"


@dataclass
class FakeWeChatApi:
    expires_in: int = 7200
    fetches: int = 0
    valid: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def expire_tokens(self) -> None:
        with self.lock:
            self.expired |= self.valid
            self.valid.clear()

    def fail_next(self, errcode: int) -> None:
        self.failures.append(errcode)

    def app(self) -> Flask:
        app = Flask("fake_wechat_api")

        @app.get("/cgi-bin/token")
        def token():
            args = request.args
            if args.get("grant_type") != "client_credential" or args.get("appid") != APPID:
                return jsonify(errcode=40013, errmsg="invalid appid")
            if args.get("secret") != SECRET:
                return jsonify(errcode=40125, errmsg="invalid appsecret")
            with self.lock:
                self.fetches += 1
                issued = f"TOKEN-{self.fetches}"
                self.valid = {issued}  # a new token retires the old ones
            return jsonify(access_token=issued, expires_in=self.expires_in)

        def checked() -> Any:
            token = request.args.get("access_token", "")
            with self.lock:
                if token in self.expired:
                    return jsonify(errcode=42001, errmsg="access_token expired")
                if token not in self.valid:
                    return jsonify(errcode=40001, errmsg="invalid credential")
                if self.failures:
                    code = self.failures.pop(0)
                    return jsonify(errcode=code, errmsg="fake failure")
            return None

        @app.post("/cgi-bin/message/custom/send")
        def custom_send():
            refused = checked()
            if refused is not None:
                return refused
            self.messages.append(request.get_json(force=True))
            return jsonify(errcode=0, errmsg="ok")

        @app.post("/cgi-bin/menu/create")
        def menu_create():
            refused = checked()
            if refused is not None:
                return refused
            self.menus.append(request.get_json(force=True))
            return jsonify(errcode=0, errmsg="ok")

        return app


class FakeServer:
    """Serves a `FakeWeChatApi` on a free loopback port in a thread."""

    def __init__(self) -> None:
        self.api = FakeWeChatApi()
        self.server = make_server("127.0.0.1", 0, self.api.app(), threaded=True)
        self.api.base = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeWeChatApi:
        self.thread.start()
        return self.api

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join()
