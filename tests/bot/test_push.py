"""Late answers pushed through WeChat's customer-service API, one access token for all workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from bot import wording
from bot.push import REFRESH_MARGIN, LatePush, SharedTokenClient
from bot.runtime import get_runtime
from bot.wechat import TextReply
from tests.fake_wechat_api import APPID, SECRET, FakeWeChatApi
from tests.support import OTHER, add_knowledge, post, reply_fields, text_xml


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not condition():
        time.sleep(0.01)
    return condition()


@pytest.fixture
def pushing_app(make_app, wechat_api: FakeWeChatApi, redis_url: str, redis_prefix: str) -> Callable[..., Flask]:
    def factory(**env: str) -> Flask:
        return make_app(WECHAT_APPID=APPID, WECHAT_APPSECRET=SECRET, WECHAT_API_BASE=wechat_api.base,
                        REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix, **env)

    return factory


def client_for(wechat_api: FakeWeChatApi, redis_url: str, redis_prefix: str) -> SharedTokenClient:
    return SharedTokenClient(APPID, SECRET, api_base=wechat_api.base, redis_client=redis.Redis.from_url(redis_url),
                             prefix=redis_prefix)


def slow_down(app: Flask) -> threading.Event:
    """Make the app's turns wait for the returned event, past any deadline."""
    conversation = get_runtime(app).conversation
    original = conversation.respond
    release = threading.Event()

    def slow(message):
        release.wait(10)
        return original(message)

    conversation.respond = slow  # type: ignore[method-assign]
    return release


def test_a_late_answer_is_pushed_after_the_busy_reply(pushing_app, wechat_api: FakeWeChatApi) -> None:
    app = pushing_app(REPLY_DEADLINE="0.2")
    add_knowledge(get_runtime(app), faqs=OTHER)
    release = slow_down(app)
    reply = reply_fields(post(app.test_client(), text_xml("高龄津贴怎么申领", user="openid-late")).data)
    release.set()
    assert reply["Content"] == wording.BUSY_PUSHED
    assert wait_until(lambda: len(wechat_api.messages) == 1)
    sent = wechat_api.messages[0]
    assert (sent["touser"], sent["msgtype"]) == ("openid-late", "text")
    assert "年满80周岁" in sent["text"]["content"]


def test_an_answer_in_time_is_not_pushed(pushing_app, wechat_api: FakeWeChatApi) -> None:
    app = pushing_app()
    add_knowledge(get_runtime(app), faqs=OTHER)
    post(app.test_client(), text_xml("高龄津贴怎么申领"))
    get_runtime(app).questions.flush()
    assert wechat_api.messages == [] and wechat_api.fetches == 0


def test_without_an_appsecret_nothing_is_pushed_and_the_citizen_is_asked_to_resend(make_app) -> None:
    app = make_app(REPLY_DEADLINE="0.2", WECHAT_APPID=APPID)
    release = slow_down(app)
    reply = reply_fields(post(app.test_client(), text_xml("高龄津贴怎么申领")).data)
    release.set()
    assert get_runtime(app).wechat_api is None and reply["Content"] == wording.BUSY


def test_workers_share_one_token_through_redis(wechat_api: FakeWeChatApi, redis_url: str, redis_prefix: str) -> None:
    workers = [client_for(wechat_api, redis_url, redis_prefix) for _ in range(3)]
    for n, worker in enumerate(workers):
        assert LatePush(worker).send(f"openid-{n}", TextReply("答案"))
    assert (wechat_api.fetches, len(wechat_api.messages)) == (1, 3)


def test_concurrent_first_calls_fetch_the_token_once(wechat_api, redis_url: str, redis_prefix: str) -> None:
    workers = [client_for(wechat_api, redis_url, redis_prefix) for _ in range(6)]
    threads = [threading.Thread(target=lambda w=w: w.access_token) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wechat_api.fetches == 1


def test_the_shared_token_is_replaced_before_wechat_expires_it(wechat_api, redis_url: str, redis_prefix: str) -> None:
    client = client_for(wechat_api, redis_url, redis_prefix)
    assert client.access_token == "TOKEN-1"
    ttl = redis.Redis.from_url(redis_url).ttl(f"{redis_prefix}wechat:{APPID}_access_token")
    assert 0 < ttl <= wechat_api.expires_in - REFRESH_MARGIN


def test_an_expired_token_is_fetched_again_and_the_message_still_sent(wechat_api, redis_url, redis_prefix) -> None:
    client = client_for(wechat_api, redis_url, redis_prefix)
    assert LatePush(client).send("openid-a", TextReply("第一条"))
    wechat_api.expire_tokens()  # WeChat now answers 42001 to the stored token
    assert LatePush(client_for(wechat_api, redis_url, redis_prefix)).send("openid-b", TextReply("第二条"))
    assert (wechat_api.fetches, [m["touser"] for m in wechat_api.messages]) == (2, ["openid-a", "openid-b"])


def test_an_invalid_token_is_replaced_once_not_in_a_loop(wechat_api, redis_url: str, redis_prefix: str) -> None:
    client = client_for(wechat_api, redis_url, redis_prefix)
    client.session.set(client.access_token_key, "TOKEN-forged", 600)  # 40001 from WeChat
    assert LatePush(client).send("openid-a", TextReply("答案"))
    assert wechat_api.fetches == 1


def test_invalidating_leaves_a_token_another_worker_just_fetched(wechat_api, redis_url, redis_prefix) -> None:
    client = client_for(wechat_api, redis_url, redis_prefix)
    client.session.set(client.access_token_key, "TOKEN-new", 600)
    client.invalidate("TOKEN-old")
    assert client.session.get(client.access_token_key) == "TOKEN-new"


def test_an_api_error_is_logged_not_raised(wechat_api: FakeWeChatApi, redis_url: str, redis_prefix: str) -> None:
    client = client_for(wechat_api, redis_url, redis_prefix)
    wechat_api.fail_next(45015)  # the citizen's 48-hour window has closed
    assert LatePush(client).send("openid-a", TextReply("答案")) is False
    assert wechat_api.messages == []


def test_a_wrong_appsecret_is_an_error_not_a_crash(wechat_api: FakeWeChatApi, redis_url, redis_prefix) -> None:
    client = SharedTokenClient(APPID, "wrong", api_base=wechat_api.base, redis_client=redis.Redis.from_url(redis_url),
                               prefix=redis_prefix)
    assert LatePush(client).send("openid-a", TextReply("答案")) is False


def test_a_failed_late_turn_pushes_the_apology(pushing_app, wechat_api: FakeWeChatApi) -> None:
    app = pushing_app(REPLY_DEADLINE="0.2")
    release = threading.Event()

    def failing(_message):
        release.wait(10)
        raise RuntimeError("search crashed")

    get_runtime(app).conversation.respond = failing  # type: ignore[method-assign]
    post(app.test_client(), text_xml("高龄津贴怎么申领"))
    release.set()
    assert wait_until(lambda: len(wechat_api.messages) == 1)
    assert wechat_api.messages[0]["text"]["content"] == wording.INTERNAL_ERROR


