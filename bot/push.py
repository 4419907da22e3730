"""Messages the bot sends on its own through WeChat's API: late answers, the custom menu.

WeChat waits 5 seconds for a reply. A question that misses `REPLY_DEADLINE` gets the "busy"
reply at once; when its answer is ready it is sent through the customer-service message API
(客服消息, allowed within 48 hours of the citizen's message). This needs the account's
AppSecret (`WECHAT_APPSECRET`); without it nothing is pushed.

The API client is wechatpy's `WeChatClient`, with its access token kept in Redis so that every
worker on every machine uses one token:

* WeChat allows a limited number of token fetches a day and a new token retires the old one,
  so one process fetches (under a Redis lock) and the others read what it stored;
* the token is stored for `expires_in - REFRESH_MARGIN` seconds, so it is refreshed before
  WeChat expires it, not after calls start failing;
* an API error 40001 / 40014 / 42001 (token invalid or expired, e.g. someone fetched one with
  the same AppSecret elsewhere) deletes the stored token — only if it is still the failing
  one, so a token another worker just fetched survives — fetches anew and retries once.

Without Redis the token is shared by the threads of this process only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import redis
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from bot.config import Settings
from bot.wechat.replies import TEXT_LIMIT_BYTES, NewsReply, Reply, TextReply, fit_text

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300  # seconds before WeChat's expiry that the shared token is replaced
TOKEN_ERRORS = {40001, 40014, 42001}
_COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class SharedTokenClient(WeChatClient):
    """`WeChatClient` whose access token is fetched by one process and shared through Redis."""

    def __init__(self, appid: str, secret: str, *, api_base: str, redis_client: redis.Redis | None,
                 prefix: str, timeout: float = 5.0) -> None:
        self._redis = redis_client
        self._prefix = f"{prefix}wechat"
        session = RedisStorage(redis_client, prefix=self._prefix) if redis_client is not None else MemoryStorage()
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base
        self._local_lock = threading.Lock()
        self.fetches = 0  # tokens this process fetched (tests, logs)

    # -- the token --------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if token:
            return token
        self.fetch_access_token()
        token = self.session.get(self.access_token_key)
        if not token:
            raise WeChatClientException(None, "no access token", client=self)
        return token

    @contextlib.contextmanager
    def _refresh_lock(self) -> Iterator[None]:
        if self._redis is None:
            with self._local_lock:
                yield
            return
        lock = self._redis.lock(f"{self._prefix}:token-lock", timeout=15, blocking_timeout=10)
        if not lock.acquire():
            raise WeChatClientException(None, "timed out waiting for another process to fetch the token", client=self)
        try:
            yield
        finally:
            with contextlib.suppress(redis.RedisError):
                lock.release()

    def fetch_access_token(self) -> dict[str, Any]:
        """Fetch a token unless another process did while this one waited for the lock."""
        with self._refresh_lock():
            token = self.session.get(self.access_token_key)
            if token:
                return {"access_token": token}
            result = self._fetch_access_token(
                url=f"{self.API_BASE_URL}token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )
            expires_in = int(result.get("expires_in", 7200))
            self.session.set(self.access_token_key, result["access_token"], max(60, expires_in - REFRESH_MARGIN))
            self.expires_at = None  # the stored token's time to live is the only clock
            self.fetches += 1
            log.info("fetched a WeChat access token (valid %d s)", expires_in)
            return result

    def invalidate(self, token: str | None) -> None:
        """Forget `token` if it is still the stored one (WeChat said it is no longer valid)."""
        if self._redis is not None:
            # RedisStorage keeps values as JSON; compare and delete in one step.
            key = self.session.key_name(self.access_token_key)
            self._redis.eval(_COMPARE_AND_DELETE, 1, key, json.dumps(token))
        elif self.session.get(self.access_token_key) == token:
            self.session.delete(self.access_token_key)

    # -- calls --------------------------------------------------------------------------------

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", None) or {})
        token = params.setdefault("access_token", self.access_token)
        try:
            return super()._request(method, url_or_endpoint, params=dict(params), **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeChat refused the access token (%s); fetching a new one", exc.errcode)
            self.invalidate(token)
            params["access_token"] = self.access_token
            return super()._request(method, url_or_endpoint, params=params, **kwargs)  # once, no loop


def make_client(settings: Settings) -> SharedTokenClient | None:
    """The API client when `WECHAT_APPSECRET` (and the AppID) are configured, else None."""
    if not settings.wechat_appsecret or not settings.wechat_appid:
        return None
    redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=5) if settings.redis_url else None
    return SharedTokenClient(settings.wechat_appid, settings.wechat_appsecret, api_base=settings.wechat_api_base,
                             redis_client=redis_client, prefix=settings.redis_prefix)


class LatePush:
    """Sends a late answer to the citizen through the customer-service message API."""

    def __init__(self, client: SharedTokenClient) -> None:
        self.client = client

    def send(self, openid: str, reply: Reply) -> bool:
        """True when WeChat accepted the message; failures are logged, never raised."""
        try:
            if isinstance(reply, TextReply):
                self.client.message.send_text(openid, fit_text(reply.content, TEXT_LIMIT_BYTES, reply.tail))
            elif isinstance(reply, NewsReply):
                article = {"title": reply.title, "description": reply.description, "url": reply.url,
                           "image": reply.pic_url}
                self.client.message.send_articles(openid, [article])
            else:
                return False
        except WeChatClientException as exc:
            log.warning("could not push a late answer: WeChat error %s %s", exc.errcode, exc.errmsg)
            return False
        except (redis.RedisError, OSError) as exc:
            log.warning("could not push a late answer: %s", exc)
            return False
        return True
