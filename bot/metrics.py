"""`/metrics` in Prometheus's text format: traffic, replies, the index, the log spool, errors.

Metrics are module-level prometheus-client objects, counted where things happen (a request, a
reply, a reload, a Redis or database error). Under gunicorn every worker is its own process:
with `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py sets and empties it at start) each
process writes its values to files there and `/metrics` adds up all workers' files, whichever
worker answers the scrape. Gauges say how they combine across workers (the served version is
the *lowest* a live worker serves, so a lagging worker shows).

Access: open to loopback by default. `METRICS_TOKEN` lets a scraper elsewhere in with
`Authorization: Bearer <token>`; `METRICS_ALLOW` lists other addresses or networks
(`10.0.0.0/8,192.168.1.5`). Anything else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event

if TYPE_CHECKING:  # bot.state counts its errors here, and bot.runtime imports bot.state
    from bot.config import Settings
    from bot.runtime import Runtime
    from knowledge.base import Snapshot

REQUESTS = Counter("zwgk_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "zwgk_http_request_duration_seconds", "Time to answer an HTTP request", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.5, 10.0),
)
REPLIES = Counter("zwgk_replies", "Replies to citizens by kind (answer_faq, choices, not_found, ...)", ["kind"])
KB_VERSION = Gauge("zwgk_kb_version_served", "Knowledge-base version served (lowest live worker)",
                   multiprocess_mode="livemin")
KB_STORED = Gauge("zwgk_kb_version_stored", "Knowledge-base version in the database", multiprocess_mode="livemax")
KB_DOCUMENTS = Gauge("zwgk_kb_documents", "Documents in the served index", multiprocess_mode="livemin")
RELOADS = Counter("zwgk_kb_reloads", "Index rebuilds after a change")
RELOAD_SECONDS = Histogram("zwgk_kb_reload_duration_seconds", "Time to rebuild the index",
                           buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0))
SPOOL = Gauge("zwgk_questionlog_spool_rows", "Question-log rows waiting in the spool for the database",
              multiprocess_mode="livemax")
ERRORS = Counter("zwgk_backend_errors", "Errors talking to a backend", ["backend"])


def count_error(backend: str) -> None:
    """One failed call to `backend` ("redis" or "database")."""
    ERRORS.labels(backend).inc()


def count_reply(kind: str) -> None:
    REPLIES.labels(kind).inc()


def _count_reload(snapshot: Snapshot) -> None:
    if snapshot.reload:
        RELOADS.inc()
        RELOAD_SECONDS.observe(snapshot.build_seconds)


def _spooled_rows(directory: Path) -> int:
    rows = 0
    for path in directory.glob("questionlog*.jsonl"):
        if "rejected" in path.name:
            continue
        try:
            with open(path, "rb") as spool:
                rows += sum(chunk.count(b"\n") for chunk in iter(lambda: spool.read(1 << 16), b""))
        except OSError:
            continue
    return rows


def allowed(settings: Settings, remote: str | None, authorization: str | None) -> bool:
    """May this caller read the metrics? Bearer token, else the caller's address."""
    if settings.metrics_token and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), settings.metrics_token):
            return True
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if address.is_loopback:
        return True
    return any(address in network for network in settings.metrics_allow)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def worker_started(runtime: Runtime) -> None:
    """Set this worker's index gauges (the master that preloaded the app never sets them: its
    values would stay at the preloaded version forever and pull the workers' minimum down)."""
    KB_VERSION.set(runtime.kb.version)
    KB_DOCUMENTS.set(runtime.kb.size)


def init_app(app: Flask, runtime: Runtime) -> None:
    runtime.kb.on_reload.append(_count_reload)

    def served(_snapshot: Snapshot) -> None:
        # Only a serving process reports the version it serves: the gunicorn master prepares
        # the app (builds the first index) but never reloads, and its value would stay behind.
        if runtime.reloader is None or runtime.reloader.running:
            worker_started(runtime)

    runtime.kb.on_reload.append(served)
    event.listen(runtime.db.engine, "handle_error", lambda _context: count_error("database"))
    spool_dir = runtime.settings.instance_path / "spool"

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUESTS.labels(rule, request.method, str(response.status_code)).inc()
        started = g.pop("metrics_started", None)
        if started is not None:
            LATENCY.labels(rule).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        if not allowed(runtime.settings, request.remote_addr, request.headers.get("Authorization")):
            return Response("无权访问监控指标\n", status=403, mimetype="text/plain")
        try:
            KB_STORED.set(runtime.kb.stored_version())
        except Exception:
            count_error("database")
        SPOOL.set(_spooled_rows(spool_dir))
        worker_started(runtime)
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
