"""`/readyz`: may a load balancer send citizens here? 200 when every part works, else 503.

Checked on each call: the database answers, Redis answers (when configured: without it,
sessions and retry folding would silently become per-process), the index is loaded, and it is
current. "Current" allows a rebuild in progress: only an index that has stayed behind the
stored version for longer than `STALE_AFTER` seconds fails, so that one staff edit does not
take every instance out of the balancer at the same moment. The body names the failing parts.
(`/healthz` is the liveness probe: it answers while the process runs.)
"""

from __future__ import annotations

import time

from flask import Flask

from bot.metrics import count_error
from bot.runtime import Runtime

STALE_AFTER = 30.0


class Readiness:
    def __init__(self, runtime: Runtime, *, clock=time.monotonic) -> None:
        self.runtime = runtime
        self.clock = clock
        self._behind_since: float | None = None

    def check(self) -> tuple[dict, int]:
        runtime = self.runtime
        checks: dict[str, str] = {}
        stored: int | None = None
        try:
            runtime.db.ping()
            stored = runtime.kb.stored_version()
            checks["database"] = "ok"
        except Exception as exc:
            count_error("database")
            checks["database"] = f"数据库无法访问：{type(exc).__name__}"
        if runtime.settings.redis_url:
            checks["redis"] = "ok" if runtime.state.ping() else "Redis 无法访问"
        checks["index"] = "ok" if runtime.kb.loaded else "知识库索引尚未加载"
        served = runtime.kb.version
        if stored is None or served >= stored:
            self._behind_since = None
            checks["index_current"] = "ok" if stored is not None else "无法读取知识库版本"
        else:
            now = self.clock()
            self._behind_since = self._behind_since if self._behind_since is not None else now
            behind = now - self._behind_since
            late = f"知识库索引落后（提供 v{served}，库中 v{stored}，已 {behind:.0f} 秒）"
            checks["index_current"] = "ok" if behind <= STALE_AFTER else late
        failing = [name for name, status in checks.items() if status != "ok"]
        body = {
            "status": "ready" if not failing else "not ready",
            "failing": failing,
            "checks": checks,
            "kb_version": served,
            "kb_version_stored": stored,
        }
        return body, 200 if not failing else 503


def init_app(app: Flask, runtime: Runtime) -> Readiness:
    readiness = Readiness(runtime)
    app.extensions["zwgk.readiness"] = readiness

    @app.get("/readyz")
    def readyz() -> tuple[dict, int]:
        return readiness.check()

    return readiness
