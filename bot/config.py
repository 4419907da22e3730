"""Every setting of the bot, read from environment variables in this one place.

Defaults are chosen so that `flask --app app run` works on a fresh machine (SQLite under
`instance/`, in-process state store, bundled sample knowledge base). The README's
configuration table lists the same names; keep the two in step.

Production fails closed. `ZWGK_ENV=production` (which `gunicorn.conf.py` sets unless told
otherwise) turns every default that is only safe on a developer's machine into a refusal to
start, with one Chinese+English sentence naming what to set: see `production_problems`.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.menu import DEFAULT_FILE as DEFAULT_MENU_FILE
from bot.menu import MenuError, load_menu

# Signs requests when WECHAT_TOKEN is unset, so `flask run` works out of the box; a server
# started with it warns (bot.startup), since anyone who knows it can forge messages.
DEV_TOKEN = "zwgk-dev-token"
WECHAT_MODES = ("plain", "compatible", "safe")
ENVIRONMENTS = ("development", "production")


class ConfigError(ValueError):
    """A setting has a value the bot cannot work with; the message names the variable."""


def environment(env: Mapping[str, str]) -> str:
    """`development` (the default: `flask run`, tests, CLI) or `production` (gunicorn.conf.py)."""
    raw = env.get("ZWGK_ENV", "").strip().lower() or "development"
    if raw not in ENVIRONMENTS:
        raise ConfigError(f"ZWGK_ENV must be development or production, got {raw!r}")
    return raw


def _index_dir(raw: str, instance_path: Path) -> Path | None:
    """INDEX_DIR: the folder of shared index builds (default <instance>/index); `memory` turns sharing off."""
    raw = raw.strip()
    if raw.lower() == "memory":
        return None
    return Path(raw).resolve() if raw else instance_path / "index"


def instance_path_from_env(env: Mapping[str, str]) -> str | None:
    """INSTANCE_PATH: where secrets, the SQLite database and the log spool live (default: ./instance)."""
    raw = env.get("INSTANCE_PATH", "").strip()
    return str(Path(raw).resolve()) if raw else None


def wechat_mode(env: Mapping[str, str]) -> str:
    """The console's message encryption mode; by default what the AES key allows."""
    raw = env.get("WECHAT_MODE", "").strip().lower()
    aes_key = env.get("WECHAT_AES_KEY", "").strip()
    if not raw:
        return "compatible" if aes_key else "plain"
    if raw not in WECHAT_MODES:
        raise ConfigError(f"WECHAT_MODE must be plain, compatible or safe, got {raw!r}")
    if raw != "plain" and not aes_key:
        raise ConfigError(f"WECHAT_MODE={raw} needs WECHAT_AES_KEY (the 43-character EncodingAESKey) "
                          f"/ {raw} 模式需要配置 WECHAT_AES_KEY（43 位消息加解密密钥）")
    return raw


def production_problems(env: Mapping[str, str]) -> list[str]:
    """Why a production start would be unsafe: one Chinese+English line per problem, or none.

    Checked from the environment alone, so gunicorn.conf.py can refuse before any worker
    starts (and `Settings.from_env` refuses again for any other way of starting production).
    """
    problems = []
    token = env.get("WECHAT_TOKEN", "").strip()
    if not token or token == DEV_TOKEN:
        problems.append("未设置 WECHAT_TOKEN 或仍为开发默认值，任何人都可伪造群众消息 / "
                        "WECHAT_TOKEN is unset or the public development default: anyone could forge messages")
    if not env.get("WECHAT_MODE", "").strip():
        problems.append("未设置 WECHAT_MODE（plain、compatible 或 safe，与公众平台“消息加解密方式”一致） / "
                        "WECHAT_MODE is unset: set plain, compatible or safe as chosen in the WeChat console")
    shared = bool(env.get("REDIS_URL", "").strip()) or not (
        env.get("DATABASE_URL", "").strip() or "sqlite:").startswith("sqlite:")
    for name in ("SECRET_KEY", "USER_HASH_SECRET"):
        if shared and not env.get(name, "").strip():
            problems.append(f"使用共享的数据库或 Redis 时必须显式设置 {name}，否则各实例的密钥（用户假名）不一致 / "
                            f"{name} must be set explicitly with a shared database or Redis: "
                            f"a per-instance generated secret would not agree between instances")
    workers = env.get("WEB_CONCURRENCY", "").strip() or "1"
    if not env.get("REDIS_URL", "").strip() and (not workers.isdigit() or int(workers) > 1):
        problems.append("多个工作进程必须配置 REDIS_URL（会话、重试去重和限流须共享），或设 WEB_CONCURRENCY=1 / "
                        "more than one worker needs REDIS_URL (sessions, retry folding and rate limits must be "
                        "shared), or set WEB_CONCURRENCY=1")
    return problems


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _log_level(raw: str) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return level


def _pairs(raw: str) -> dict[str, str]:
    """Parse `KEY=value;KEY2=value2` (used for menu EventKeys → topics)."""
    pairs: dict[str, str] = {}
    for part in raw.replace("\n", ";").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip() and value.strip():
                pairs[key.strip()] = value.strip()
    return pairs


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse `10.0.0.0/8, 192.168.1.5` (METRICS_ALLOW) into networks."""
    networks = []
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"METRICS_ALLOW: {part.strip()!r} is not an address or network") from None
    return tuple(networks)


def _menu_file(raw: str) -> Path | None:
    """The custom-menu file (its CLICK keys become `menu_topics`); checked now, not at the first tap."""
    path = Path(raw.strip()) if raw.strip() else DEFAULT_MENU_FILE
    if not path.is_file():
        if raw.strip():
            raise ConfigError(f"WECHAT_MENU_FILE: no such file {raw.strip()!r}")
        return None
    try:
        load_menu(path)
    except MenuError as exc:
        raise ConfigError(f"WECHAT_MENU_FILE {path}: {exc}") from None
    return path


def _api_base(raw: str) -> str:
    """WeChat's API root (a local fake in tests, or a forwarding proxy), always ending in '/'."""
    base = raw.strip() or "https://api.weixin.qq.com/cgi-bin/"
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"WECHAT_API_BASE must be an http(s) URL, got {raw!r}")
    return base if base.endswith("/") else base + "/"


def _public_base_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_BASE_URL must start with https:// (or http://), got {raw!r}")
    return url


def _instance_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in `instance/`, so restarts keep pseudonyms and sessions stable."""
    path = instance_path / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = secrets.token_hex(32)
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(value, encoding="utf-8")
        path.chmod(0o600)
        return value


@dataclass(frozen=True)
class Township:
    """Who answers, and where citizens can ask when the bot cannot: all shown in replies."""

    name: str = "金贵镇人民政府"
    short_name: str = "金贵镇"
    phone: str = ""
    address: str = ""
    office_hours: str = "工作日 上午9:00—12:00，下午13:30—17:30"
    disclosure_channels: str = "贺兰县人民政府门户网站“依申请公开”栏目、本公众号，或到镇政府当面提交书面申请"
    staff_contact: str = ""
    portal_url: str = ""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    secret_key: str
    database_url: str
    redis_url: str | None
    db_statement_timeout: float
    redis_timeout: float
    redis_prefix: str
    wechat_token: str
    wechat_appid: str
    wechat_aes_key: str
    wechat_max_skew: int
    wechat_mode: str
    environment: str
    max_body_bytes: int
    reply_deadline: float
    load_sample_kb: bool
    session_ttl: int
    rate_limit_per_minute: int
    rate_limit_global_per_minute: int
    user_hash_secret: str
    log_retention_days: int
    answer_threshold: float | None
    kb_reload_interval: float
    log_level: str
    menu_topics: dict[str, str] = field(default_factory=dict)
    metrics_token: str = ""
    menu_file: Path | None = None
    wechat_appsecret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    township: Township = field(default_factory=Township)
    # The staff workspace (/admin): idle logout, lockout after failed logins, HTTPS-only cookie.
    admin_idle_minutes: int = 30
    admin_lockout_attempts: int = 5
    admin_lockout_minutes: int = 15
    admin_cookie_secure: bool = False
    public_base_url: str = ""  # where citizens reach this bot, for "查看全文" links (bot/fulltext.py)
    admin_upload_max_bytes: int = 20 * 1024 * 1024  # imports by upload; larger files get 413
    # Learning from citizens' choices (bot/learning.py): how long after a pick a 不满意 or a new
    # question still says "not this one", and whether suggestions skip staff's approval.
    learn_window: int = 120
    learn_auto_approve: bool = False
    # Four eyes on what citizens read: an editor's saves wait in 待审核 until a reviewer publishes
    # them. Off (ADMIN_REVIEW=0) for a one-person office, where editors publish at once.
    admin_review: bool = True
    # Where this machine's processes share index builds (knowledge/shared.py); None: each
    # process builds its own index in memory (INDEX_DIR=memory).
    index_dir: Path | None = None

    @property
    def safe_mode_enabled(self) -> bool:
        return bool(self.wechat_aes_key) and self.wechat_mode != "plain"

    @property
    def accepts_plaintext(self) -> bool:
        """`safe` mode refuses unencrypted bodies: a downgrade would skip the AES layer."""
        return self.wechat_mode != "safe"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, instance_path: Path, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        instance_path = Path(instance_path)
        aes_key = env.get("WECHAT_AES_KEY", "").strip()
        if aes_key and len(aes_key) != 43:
            raise ConfigError("WECHAT_AES_KEY must be the 43-character EncodingAESKey from the WeChat console")
        mode = wechat_mode(env)
        stage = environment(env)
        if stage == "production":
            problems = production_problems(env)
            if problems:
                raise ConfigError("拒绝以不安全的配置启动生产环境 / refusing an unsafe production start:\n  "
                                  + "\n  ".join(problems))
        token = env.get("WECHAT_TOKEN", "").strip() or DEV_TOKEN  # warned about at server start
        menu_file = _menu_file(env.get("WECHAT_MENU_FILE", ""))
        default_db = f"sqlite:///{(instance_path / 'zwgk.sqlite3').as_posix()}"
        township = Township(
            name=env.get("TOWNSHIP_NAME", Township.name),
            short_name=env.get("TOWNSHIP_SHORT_NAME", Township.short_name),
            phone=env.get("TOWNSHIP_PHONE", Township.phone),
            address=env.get("TOWNSHIP_ADDRESS", Township.address),
            office_hours=env.get("TOWNSHIP_OFFICE_HOURS", Township.office_hours),
            disclosure_channels=env.get("TOWNSHIP_DISCLOSURE_CHANNELS", Township.disclosure_channels),
            staff_contact=env.get("TOWNSHIP_STAFF_CONTACT", Township.staff_contact),
            portal_url=env.get("TOWNSHIP_PORTAL_URL", Township.portal_url),
        )
        return cls(
            instance_path=instance_path,
            secret_key=env.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
            database_url=env.get("DATABASE_URL", "").strip() or default_db,
            redis_url=env.get("REDIS_URL", "").strip() or None,
            db_statement_timeout=_float(env, "DB_STATEMENT_TIMEOUT", 30.0) or 0.0,
            redis_timeout=_float(env, "REDIS_TIMEOUT", 0.5) or 0.5,
            redis_prefix=env.get("REDIS_KEY_PREFIX", "").strip() or "zwgk:",
            wechat_token=token,
            wechat_appid=env.get("WECHAT_APPID", "").strip(),
            wechat_aes_key=aes_key,
            wechat_max_skew=_int(env, "WECHAT_MAX_SKEW", 300),
            wechat_mode=mode,
            environment=stage,
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024, minimum=1024),
            reply_deadline=_float(env, "REPLY_DEADLINE", 4.5) or 4.5,
            # The bundled sample is demo content: loaded by default only in development.
            load_sample_kb=_bool(env, "LOAD_SAMPLE_KB", stage == "development"),
            session_ttl=_int(env, "SESSION_TTL", 1800, minimum=60),
            rate_limit_per_minute=_int(env, "RATE_LIMIT_PER_MINUTE", 20),
            rate_limit_global_per_minute=_int(env, "RATE_LIMIT_GLOBAL_PER_MINUTE", 3000),
            user_hash_secret=env.get("USER_HASH_SECRET") or _instance_secret(instance_path, "user_hash_secret"),
            log_retention_days=_int(env, "LOG_RETENTION_DAYS", 365, minimum=1),
            answer_threshold=_float(env, "ANSWER_THRESHOLD", None),
            kb_reload_interval=_float(env, "KB_RELOAD_INTERVAL", 1.0) or 1.0,
            log_level=_log_level(env.get("LOG_LEVEL", "INFO")),
            menu_file=menu_file,
            menu_topics={**(load_menu(menu_file).topics if menu_file else {}),
                         **_pairs(env.get("WECHAT_MENU_TOPICS", ""))},
            metrics_token=env.get("METRICS_TOKEN", "").strip(),
            wechat_appsecret=env.get("WECHAT_APPSECRET", "").strip(),
            wechat_api_base=_api_base(env.get("WECHAT_API_BASE", "")),
            metrics_allow=_networks(env.get("METRICS_ALLOW", "")),
            admin_idle_minutes=_int(env, "ADMIN_IDLE_MINUTES", 30, minimum=1),
            admin_lockout_attempts=_int(env, "ADMIN_LOCKOUT_ATTEMPTS", 5, minimum=1),
            admin_lockout_minutes=_int(env, "ADMIN_LOCKOUT_MINUTES", 15, minimum=1),
            admin_cookie_secure=_bool(env, "ADMIN_COOKIE_SECURE", False),
            admin_upload_max_bytes=_int(env, "ADMIN_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024),
            admin_review=_bool(env, "ADMIN_REVIEW", True),
            township=township,
            public_base_url=_public_base_url(env.get("PUBLIC_BASE_URL", "")),
            learn_window=_int(env, "LEARN_WINDOW", 120, minimum=10),
            learn_auto_approve=_bool(env, "LEARN_AUTO_APPROVE", False),
            index_dir=_index_dir(env.get("INDEX_DIR", ""), instance_path),
        )
