"""Production server settings: `gunicorn -c gunicorn.conf.py app:app`, behind nginx.

Starting through this file *is* what makes a start "production": it sets `ZWGK_ENV=production`
(unless the environment already says otherwise), so a missing or default `WECHAT_TOKEN`, a
missing `WECHAT_MODE`, generated secrets with a shared database or Redis, or several workers
without Redis stop the start with one Chinese+English line each, before any worker forks.

gunicorn listens on 127.0.0.1 only: nginx (deploy/nginx.conf) is the front that buffers
whole request bodies, so a slow or stalled client holds an nginx connection (cheap, evented)
and never one of gunicorn's threads. The limits below bound gunicorn by itself as well.

The app is created once in the master (`preload_app`) and prepared there before any worker
forks (`on_starting` → `bot.startup.prepare`): the schema upgrade and the first-start sample
import run once, and jieba's dictionary and the index are shared copy-on-write by the workers.
Each worker then drops the database connections it inherited, which must never be shared
across processes.
"""

import gc
import os
import sys
import tempfile
from pathlib import Path

# Metrics from every worker: prometheus-client keeps each process's values in files under this
# folder and /metrics adds them up. It must be set before prometheus-client is imported (the
# production check below imports the bot package), and a restart starts from an empty folder.
metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="zwgk-metrics-")))
metrics_dir.mkdir(parents=True, exist_ok=True)
for stale in metrics_dir.glob("*.db"):
    stale.unlink()

os.environ.setdefault("ZWGK_ENV", "production")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
os.environ["WEB_CONCURRENCY"] = str(workers)  # the start-up check counts the same workers

if os.environ["ZWGK_ENV"] == "production":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bot.config import production_problems

    _problems = production_problems(os.environ)
    if _problems:
        sys.stderr.write("拒绝以不安全的配置启动生产环境 / refusing an unsafe production start:\n")
        sys.stderr.writelines(f"  - {problem}\n" for problem in _problems)
        sys.exit(1)

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
timeout = 30  # a worker silent this long (stuck in C code) is killed and replaced
graceful_timeout = 10
keepalive = 2  # nginx keeps its upstream connections short; an idle one must not pin a thread
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
control_socket_disable = True  # several instances per host must not share one control socket path
accesslog = "-"
# WeChat puts the OpenID in the query string; keep it out of the access log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def on_starting(server):
    from bot.runtime import get_runtime
    from bot.startup import prepare

    app = server.app.wsgi()
    # The master's pages are shared by the workers it forks: its index build runs in a child
    # process, so the build's temporary objects never bloat them.
    get_runtime(app).kb.every_build_in_child = True
    prepare(app)
    # Everything the master holds now (jieba's dictionary, the processor, the mapped index's
    # objects) lives as long as the workers: moved out of the collector's sight, a worker's
    # full collection neither walks it (~0.1 s per collection) nor writes into its pages, which
    # would copy them out of the memory shared with the master and the other workers.
    gc.freeze()


def post_fork(server, worker):  # gunicorn calls every hook with both
    from bot.runtime import get_runtime

    runtime = get_runtime(worker.app.wsgi())
    runtime.db.engine.dispose(close=False)
    # A worker that replaces a killed one replays the journal the dead one left.
    runtime.questions.start_recovery()


def post_worker_init(worker):
    # Threads do not survive the fork: each worker starts its own knowledge-base watcher, so
    # a staff edit reaches every worker within a second or two without any citizen traffic.
    from bot import metrics
    from bot.runtime import get_runtime

    runtime = get_runtime(worker.app.wsgi())
    metrics.worker_started(runtime)
    if runtime.reloader is not None:
        runtime.reloader.ensure_started()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
