"""/metrics: Prometheus text with the bot's counters, open to loopback, else by configuration."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bot.runtime import get_runtime
from tests.conftest import base_env
from tests.support import DIBAO, OTHER, add_knowledge, ask, post, text_xml

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(app: Flask, **kwargs) -> dict[tuple[str, tuple], float]:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_metrics_is_prometheus_text_open_to_loopback(app: Flask) -> None:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "zwgk_kb_version_served" in response.get_data(as_text=True)


def test_metrics_refuses_other_addresses_by_default(app: Flask) -> None:
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 403


def test_metrics_accepts_the_configured_bearer_token(make_app: Callable[..., Flask]) -> None:
    app = make_app(METRICS_TOKEN="s3cret-token")
    client = app.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    wrong = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer nope"})
    right = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret-token"})
    assert (wrong.status_code, right.status_code) == (403, 200)


def test_metrics_accepts_an_allowed_network(make_app: Callable[..., Flask]) -> None:
    app = make_app(METRICS_ALLOW="10.0.0.0/8, 192.168.1.5")
    client = app.test_client()
    codes = [client.get("/metrics", environ_base={"REMOTE_ADDR": a}).status_code
             for a in ("10.20.30.40", "192.168.1.5", "192.168.1.6")]
    assert codes == [200, 200, 403]


def test_requests_are_counted_by_route_and_status_with_their_latency(app: Flask) -> None:
    before = sample("zwgk_http_requests_total", route="/healthz", method="GET", status="200")
    latency = sample("zwgk_http_request_duration_seconds_count", route="/healthz")
    app.test_client().get("/healthz")
    assert sample("zwgk_http_requests_total", route="/healthz", method="GET", status="200") == before + 1
    assert sample("zwgk_http_request_duration_seconds_count", route="/healthz") == latency + 1


def test_refused_webhook_calls_are_counted_with_their_status(app: Flask) -> None:
    before = sample("zwgk_http_requests_total", route="/wechat", method="POST", status="403")
    app.test_client().post("/wechat", data=b"<xml/>")
    assert sample("zwgk_http_requests_total", route="/wechat", method="POST", status="403") == before + 1


def test_answers_lists_and_not_found_are_counted(app: Flask) -> None:
    add_knowledge(get_runtime(app), faqs=[*DIBAO, *OTHER])
    kinds = ("answer_faq", "choices", "not_found")
    before = {k: sample("zwgk_replies_total", kind=k) for k in kinds}
    client = app.test_client()
    for question in ("高龄津贴怎么申领", "低保", "火星移民签证怎么办"):
        ask(client, question)
    assert {k: sample("zwgk_replies_total", kind=k) - before[k] for k in kinds} == dict.fromkeys(kinds, 1)


def test_reloads_are_counted_and_the_served_version_and_size_reported(app: Flask) -> None:
    runtime = get_runtime(app)
    reloads = sample("zwgk_kb_reloads_total")
    add_knowledge(runtime, faqs=OTHER)
    values = scrape(app)
    assert sample("zwgk_kb_reloads_total") == reloads + 1
    assert values[("zwgk_kb_version_served", ())] == runtime.kb.version == values[("zwgk_kb_version_stored", ())]
    assert values[("zwgk_kb_documents", ())] == len(OTHER)


def test_spooled_question_log_rows_are_reported(app: Flask) -> None:
    spool = get_runtime(app).settings.instance_path / "spool"
    spool.mkdir(exist_ok=True)
    (spool / "questionlog.jsonl").write_text('{"op": 1}\n{"op": 2}\n{"op": 3}\n', encoding="utf-8")
    assert scrape(app)[("zwgk_questionlog_spool_rows", ())] == 3


def test_redis_errors_are_counted(make_app: Callable[..., Flask]) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT="0.2")
    before = sample("zwgk_backend_errors_total", backend="redis")
    post(app.test_client(), text_xml("低保怎么申请"))
    assert sample("zwgk_backend_errors_total", backend="redis") > before


def test_database_errors_are_counted(app: Flask) -> None:
    before = sample("zwgk_backend_errors_total", backend="database")
    with pytest.raises(DatabaseError), get_runtime(app).db.engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert sample("zwgk_backend_errors_total", backend="database") == before + 1


# -- several gunicorn workers ---------------------------------------------------------------------


def test_gunicorn_workers_add_up_in_one_scrape(tmp_path: Path, unused_port: int) -> None:
    """Two real workers: whichever answers the scrape reports every worker's requests."""
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {**os.environ, **base_env(instance), "BIND": f"127.0.0.1:{unused_port}", "WEB_CONCURRENCY": "2",
           "GUNICORN_THREADS": "2", "ZWGK_ENV": "development", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         f"bot:create_app(instance_path={str(instance)!r})"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{unused_port}"
    try:
        sent = 0
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                sent += 1
                break
            except OSError:
                time.sleep(0.1)
        for _ in range(20):
            sent += 1
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
        totals = set()
        for _ in range(6):  # several scrapes, answered by either worker
            body = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
            families = {f.name: f for f in text_string_to_metric_families(body)}
            totals.add(sum(s.value for s in families["zwgk_http_requests"].samples
                           if s.name == "zwgk_http_requests_total" and s.labels["route"] == "/healthz"))
    finally:
        server.terminate()
        server.wait(30)
    assert totals == {sent}
