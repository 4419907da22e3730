"""Production server settings: `gunicorn -c gunicorn.conf.py app:app`.

The app is created once in the master (`preload_app`) and prepared there before any worker
forks (`on_starting` → `bot.startup.prepare`): the schema upgrade and the first-start sample
import run once, and jieba's dictionary and the index are shared copy-on-write by the workers.
Each worker then drops the database connections it inherited, which must never be shared
across processes.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
timeout = 30
accesslog = "-"
# WeChat puts the OpenID in the query string; keep it out of the access log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def on_starting(server):
    from bot.startup import prepare

    prepare(server.app.wsgi())


def post_fork(server, worker):  # gunicorn calls every hook with both
    from bot.runtime import get_runtime

    get_runtime(worker.app.wsgi()).db.engine.dispose(close=False)
