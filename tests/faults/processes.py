"""Real processes for the fault tests: redis-server, a PostgreSQL cluster, gunicorn, nginx.

Every process is started by the test on a free port in its own temporary folder and stopped
by it — never the shared Redis on 6379, the shared PostgreSQL on 5432 or the system nginx.
Each helper also says how to hurt it: SIGKILL (killed), SIGSTOP/SIGCONT (hung), stop/start.
"""

from __future__ import annotations

import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.wechat import url_signature

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fault-test-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGCONT)  # a hung (stopped) process cannot act on SIGTERM
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- Redis -------------------------------------------------------------------------------------


@dataclass
class Redis:
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)

    def hang(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        _stop(self.proc)


# -- PostgreSQL --------------------------------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(found[-1]).parent


@dataclass
class Postgres:
    """A throwaway cluster: initdb in a temporary folder, trust auth, one database `zwgk`."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="zwgk-pg-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/zwgk"

    def _as_owner(self) -> tuple[list[str], dict]:
        if os.geteuid() != 0:
            return [], {}
        return ["runuser", "-u", "postgres", "--"], {}

    def start(self) -> Postgres:
        bin_dir = _postgres_bin()
        data = self.folder / "data"
        prefix, _ = self._as_owner()
        if not data.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if prefix:  # as root the server runs as `postgres`, in a folder of its own under /tmp
                os.chown(self.folder, pwd.getpwnam("postgres").pw_uid, -1)
            subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                            "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=60)
        self.proc = subprocess.Popen(
            [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.folder),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port, 30)
        for _ in range(100):
            probe = subprocess.run([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                    "-tAc", "SELECT 1"], capture_output=True, text=True, timeout=10)
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc",
                        "CREATE DATABASE zwgk"], capture_output=True, timeout=10)
        return self

    def _pids(self) -> list[int]:
        """The postmaster and every backend: a hung server is all of them stopped."""
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-s", str(os.getsid(self.proc.pid))], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def hang(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        """A fast shutdown (SIGINT to the postmaster), as `pg_ctl stop -m fast`."""
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            _stop(self.proc, signal.SIGINT, 20)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# -- gunicorn and nginx ------------------------------------------------------------------------


@dataclass
class Gunicorn:
    folder: Path
    env: dict[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Gunicorn:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("WECHAT_", "ZWGK_", "REDIS_", "DATABASE_", "LOAD_SAMPLE", "SECRET_KEY",
                                    "USER_HASH", "BIND", "WEB_CONCURRENCY"))}
        env.update({"ZWGK_ENV": "production", "WECHAT_TOKEN": TOKEN, "WECHAT_MODE": "plain",
                    "SECRET_KEY": "fault-secret", "USER_HASH_SECRET": "fault-user-hash", "LOAD_SAMPLE_KB": "1",
                    "INSTANCE_PATH": str(self.folder / "instance"), "BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": str(self.workers), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
        env.update(self.env)
        self.log = open(self.folder / "gunicorn.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                      "app:app"], cwd=ROOT, env=env, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + (self.folder / "gunicorn.log").read_text()[-2000:])
            if len(self.worker_pids()) == self.workers:
                try:
                    if get(self.port, "/healthz", timeout=2)[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.1)
        raise TimeoutError("gunicorn did not become healthy")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return sorted(int(p) for p in out.stdout.split())

    def wait_for_workers(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.05)

    def fresh_workers(self, timeout: float = 30.0) -> None:
        """Replace every worker (SIGHUP to the master): no cache or connection of earlier tests."""
        assert self.proc is not None
        old = set(self.worker_pids())
        os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = set(self.worker_pids())
            if len(pids) == self.workers and not pids & old:
                return
            time.sleep(0.05)
        raise TimeoutError("gunicorn did not replace its workers")

    def stop(self) -> None:
        _stop(self.proc, signal.SIGTERM, 20)
        if getattr(self, "log", None):
            self.log.close()


@dataclass
class Nginx:
    """Debian's nginx with deploy/nginx.conf itself, minus TLS, on a free port, own prefix.

    Its folder is a fresh one under /tmp that nginx's unprivileged workers can write to (they
    buffer large or chunked bodies to `temp/`), whatever user runs the tests.
    """

    upstream_port: int
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="zwgk-nginx-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def config(self) -> str:
        site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
        main_server, _, _ = site.partition("\nserver {\n    listen 80;")  # the HTTP→HTTPS redirect is not needed
        lines = []
        for line in main_server.splitlines():
            stripped = line.strip()
            if stripped.startswith(("ssl_certificate", "listen [::]")):
                continue
            if stripped.startswith("listen 443"):
                line = f"    listen 127.0.0.1:{self.port};"
            elif stripped.startswith("server 127.0.0.1:8000"):
                line = f"    server 127.0.0.1:{self.upstream_port};"
            elif stripped.startswith("access_log"):
                line = f"    access_log {self.folder}/access.log zwgk;"
            lines.append(line)
        temp = self.folder / "temp"
        return (f"pid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log warn;\nworker_processes 1;\n"
                f"events {{ worker_connections 1024; }}\nhttp {{\n"
                f"client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fcgi;\n"
                f"uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n" + "\n".join(lines) + "\n}\n")

    def start(self) -> Nginx:
        os.chmod(self.folder, 0o755)
        (self.folder / "temp").mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder / "temp", 0o777)
        conf = self.folder / "nginx.conf"
        conf.write_text(self.config(), encoding="utf-8")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run([nginx, "-t", "-p", str(self.folder), "-c", str(conf)], capture_output=True,
                               text=True, timeout=10)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the deploy config: {check.stderr}")
        self.proc = subprocess.Popen([nginx, "-p", str(self.folder), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        _stop(self.proc, signal.SIGQUIT, 10)
        shutil.rmtree(self.folder, ignore_errors=True)


# -- WeChat's side -----------------------------------------------------------------------------


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def text_message(content: str, user: str, msg_id: str | None = None) -> bytes:
    msg_id = msg_id or str(uuid.uuid4().int % 10**18)
    return (f"<xml><ToUserName><![CDATA[gh_township]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def deliver(port: int, body: bytes, timeout: float = 6.0) -> tuple[int, str, float]:
    """POST one signed message as WeChat does; (status, reply body, seconds). WeChat gives up at 5 s."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    query = f"signature={url_signature(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", f"/wechat?{query}", body=body, headers={"Content-Type": "text/xml"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), time.monotonic() - started
    finally:
        conn.close()
