"""Redis never holds a citizen's identity or numbers: keys are pseudonyms, values masked or sealed."""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Flask

from bot.privacy import pseudonymise
from bot.redis_state import RedisStore
from bot.runtime import get_runtime
from tests.support import DIBAO, OTHER, add_knowledge, ask, event_xml, post

OPENID = "oWx7Kz_citizen_Zhang3_9QmP"
PERSONAL = [
    "13812345678", "1381234", "110101199003077777", "19900307", "zhang.san@example.com", "zhang.san",
    "6222021234567890123", "010-12345678", "12345678", "张三",
]
CONVERSATION = [
    "我叫张三，电话13812345678，低保怎么申请",
    "身份证110101199003077777，低保",
    "2",
    "需要什么材料？我的邮箱 zhang.san@example.com",
    "满意",
    "银行卡6222021234567890123发了高龄津贴吗 座机010-12345678",
    "帮助",
    "人工",
]


def test_no_key_or_value_in_redis_holds_the_openid_or_personal_numbers(
    make_app: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    app = make_app(REDIS_URL=redis_url)
    runtime = get_runtime(app)
    backend = runtime.state.backend
    assert isinstance(backend, RedisStore)
    backend.prefix = redis_prefix
    add_knowledge(runtime, faqs=[*DIBAO, *OTHER])
    client = app.test_client()
    for line in CONVERSATION:
        ask(client, line, user=OPENID)
    post(client, event_xml("CLICK", key="MENU_DIBAO", user=OPENID))
    runtime.questions.flush()

    server = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = list(server.scan_iter(f"{redis_prefix}*"))
    dump = []
    for key in keys:
        kind = server.type(key)
        value = server.get(key) if kind == "string" else server.dump(key)
        dump.append(f"{key}\t{value if isinstance(value, str) else repr(value)}")
    text = "\n".join(dump)

    user = pseudonymise(OPENID, "test-user-hash-secret")
    assert any(user in key for key in keys), "the session is kept under the citizen's pseudonym"
    assert any(":wx:reply:" in key for key in keys) and any(":session:" in key for key in keys)
    assert OPENID not in text and "Zhang3" not in text
    for secret in PERSONAL:
        assert secret not in text, secret
