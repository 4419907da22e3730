"""The /wechat endpoint as WeChat and attackers see it: statuses, replies, retries, deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot import retries, wording
from bot import webhook as webhook_module
from bot.questionlog_table import QuestionLogRow as QuestionLog
from bot.redis_state import RedisStore
from bot.retries import RetryFolding
from bot.runtime import get_runtime
from bot.turn import ReplyKind, Turn
from bot.wechat import Message, TextReply, msg_signature, parse_message
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.support import add_knowledge, event_xml, post, reply_fields, signed_args, text_xml

FAQ = (
    "最低生活保障怎么申请",
    "申请最低生活保障，由本人向户籍所在地的镇人民政府提出书面申请，并提供家庭收入和财产状况证明。",
)
OTHER_FAQS = [
    ("农村危房改造补助标准是多少", "农村危房改造补助按改造方式分档，具体标准以县住建局当年公布的文件为准。"),
    ("临时救助向哪里申请", "临时救助向户籍所在地或居住地的镇人民政府申请，急难情形可先行救助。"),
    ("政府信息公开申请多久答复", "能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内答复。"),
    ("社保卡丢了怎么补办", "社保卡遗失后先挂失，再携带身份证到社保经办网点或合作银行网点补办。"),
    ("新生儿怎么办理户口登记", "新生儿出生后一个月内，由监护人持出生医学证明和户口簿到派出所申报户口。"),
]


@pytest.fixture
def bot(app: Flask) -> Flask:
    add_knowledge(get_runtime(app), faqs=[FAQ, *OTHER_FAQS])
    return app


def logged_questions(app: Flask) -> int:
    runtime = get_runtime(app)
    runtime.questions.flush()
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(QuestionLog)) or 0


# -- URL verification ----------------------------------------------------------------------


def test_url_verification_echoes_echostr(app: Flask) -> None:
    response = app.test_client().get("/wechat", query_string={**signed_args(), "echostr": "4711 echo"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "4711 echo")


def test_url_verification_with_wrong_signature_is_forbidden(app: Flask) -> None:
    response = app.test_client().get("/wechat", query_string={**signed_args(token="forged"), "echostr": "x"})
    assert response.status_code == 403


# -- answering -----------------------------------------------------------------------------


def test_signed_text_gets_an_answer_from_the_knowledge_base(bot: Flask) -> None:
    response = post(bot.test_client(), text_xml("低保怎么申请"))
    assert "户籍所在地的镇人民政府" in reply_fields(response.data)["Content"]


def logged_replies(app: Flask) -> list[tuple[str, str | None]]:
    runtime = get_runtime(app)
    runtime.questions.flush()
    with runtime.db.session() as session:
        return list(session.execute(select(QuestionLog.question, QuestionLog.reply_text).order_by(QuestionLog.id)))


def test_the_question_log_keeps_the_reply_exactly_as_sent_with_numbers_masked(bot: Flask) -> None:
    response = post(bot.test_client(), text_xml("低保怎么申请 我电话13912345678"))
    sent = reply_fields(response.data)["Content"]
    [(question, reply)] = logged_replies(bot)
    assert reply is not None and "户籍所在地的镇人民政府" in reply and "13912345678" not in question
    assert reply == sent


def test_the_log_keeps_the_busy_reply_when_that_is_what_the_citizen_got(make_app: Callable[..., Flask]) -> None:
    app = make_app(REPLY_DEADLINE="0.2")
    release = threading.Event()

    def slow(_message: object) -> Turn:
        release.wait(5)
        return Turn(reply=TextReply("迟到的答案"), kind=ReplyKind.ANSWER_FAQ, question="低保", answered=True)

    get_runtime(app).conversation.respond = slow  # type: ignore[method-assign,assignment]
    assert reply_fields(post(app.test_client(), text_xml("低保")).data)["Content"] == wording.BUSY
    release.set()
    webhook = app.extensions["zwgk.webhook"]
    webhook.pool.shutdown(wait=True)
    assert logged_replies(app) == [("低保", wording.BUSY)]


def test_reply_swaps_sender_and_receiver(bot: Flask) -> None:
    fields = reply_fields(post(bot.test_client(), text_xml("低保怎么申请", user="openid-x")).data)
    assert (fields["ToUserName"], fields["FromUserName"]) == ("openid-x", "gh_township")


def test_reply_carries_a_current_create_time(bot: Flask) -> None:
    fields = reply_fields(post(bot.test_client(), text_xml("低保怎么申请")).data)
    assert abs(int(fields["CreateTime"]) - time.time()) < 60


# Parameters are plain values and the XML is built in the test: a body stamped with the time
# at collection would give each pytest-xdist worker different test ids.
@pytest.mark.parametrize(
    ("event", "key"),
    [("unsubscribe", None), ("VIEW", "https://example.gov.cn"), ("TEMPLATESENDJOBFINISH", None),
     ("kf_close_session", None)],
)
def test_silent_events_are_acknowledged_with_success(bot: Flask, event: str, key: str | None) -> None:
    assert post(bot.test_client(), event_xml(event, key=key)).get_data(as_text=True) == "success"


def test_subscribe_gets_a_welcome(bot: Flask) -> None:
    fields = reply_fields(post(bot.test_client(), event_xml("subscribe", key="qrscene_123")).data)
    assert fields["MsgType"] == "text" and fields["Content"]


def test_image_gets_a_text_saying_what_the_bot_can_do(bot: Flask) -> None:
    body = text_xml("x").replace("<MsgType><![CDATA[text]]></MsgType>", "<MsgType><![CDATA[image]]></MsgType>")
    fields = reply_fields(post(bot.test_client(), body).data)
    assert fields["MsgType"] == "text" and fields["Content"]


def test_a_failing_conversation_gets_an_apology_not_a_500(bot: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(_message: object) -> Turn:
        raise RuntimeError("boom")

    monkeypatch.setattr(get_runtime(bot).conversation, "respond", explode)
    response = post(bot.test_client(), text_xml("低保怎么申请"))
    assert (response.status_code, reply_fields(response.data)["Content"]) == (200, wording.INTERNAL_ERROR)


def test_refusals_and_replies_carry_a_request_id(bot: Flask) -> None:
    response = post(bot.test_client(), text_xml("低保"), signature="0" * 40)
    assert len(response.headers["X-Request-Id"]) >= 8


# -- hostile input ---------------------------------------------------------------------------

XXE = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>"""

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>"
    "<Content>&lol9;</Content></xml>"
)


@pytest.mark.parametrize(
    ("case", "body", "args", "status"),
    [
        ("missing signature", text_xml("低保"), {"signature": ""}, 403),
        ("forged signature", text_xml("低保"), {"signature": "0" * 40}, 403),
        ("malformed xml", "<xml><ToUserName>a</xml", {}, 400),
        ("not xml", "低保怎么申请", {}, 400),
        ("xxe entity", XXE, {}, 400),
        ("billion laughs", LAUGHS, {}, 400),
        ("missing sender", "<xml><MsgType>text</MsgType><Content>hi</Content></xml>", {}, 400),
        ("empty body", "", {}, 400),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
def test_hostile_input_is_refused(bot: Flask, case: str, body: str, args: dict, status: int) -> None:
    response = post(bot.test_client(), body, **args)
    assert response.status_code == status, case


def test_refusal_never_shows_a_traceback(bot: Flask) -> None:
    text = post(bot.test_client(), XXE).get_data(as_text=True)
    assert "Traceback" not in text and "passwd" not in text


def test_timestamp_outside_the_window_is_refused(bot: Flask) -> None:
    stale = signed_args(timestamp=int(time.time()) - 3600)
    response = bot.test_client().post("/wechat", query_string=stale, data=text_xml("低保"))
    assert response.status_code == 403


def test_zero_skew_disables_the_timestamp_window(make_app: Callable[..., Flask]) -> None:
    app = make_app(WECHAT_MAX_SKEW="0")
    stale = signed_args(timestamp=int(time.time()) - 3600)
    assert app.test_client().post("/wechat", query_string=stale, data=text_xml("低保")).status_code == 200


def test_body_over_64_kib_is_refused_as_too_large(bot: Flask) -> None:
    body = text_xml("低" * 30000)
    assert len(body.encode()) > 64 * 1024
    assert post(bot.test_client(), body).status_code == 413


def test_refusal_is_logged_with_the_request_id(bot: Flask, caplog: pytest.LogCaptureFixture) -> None:
    response = post(bot.test_client(), text_xml("低保"), signature="0" * 40)
    refusal = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refusal and refusal[0].__dict__["request_id"] == response.headers["X-Request-Id"]


# -- safe mode -------------------------------------------------------------------------------


@pytest.fixture
def safe_bot(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)
    add_knowledge(get_runtime(app), faqs=[FAQ, *OTHER_FAQS])
    return app


def post_encrypted(app: Flask, xml: str, *, appid: str = APPID, encrypt_override: str | None = None):
    peer = WeChatCrypto(TOKEN, AES_KEY, appid)
    timestamp, nonce = str(int(time.time())), "nonce123"
    envelope = reply_fields(peer.encrypt_message(xml, nonce, timestamp))
    encrypt = encrypt_override or envelope["Encrypt"]
    query = {
        "encrypt_type": "aes",
        "timestamp": timestamp,
        "nonce": nonce,
        "msg_signature": msg_signature(TOKEN, timestamp, nonce, encrypt),
    }
    body = f"<xml><ToUserName><![CDATA[gh_township]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return app.test_client().post("/wechat", query_string=query, data=body)


def test_safe_mode_message_from_wechatpy_is_answered_and_wechatpy_reads_the_reply(safe_bot: Flask) -> None:
    response = post_encrypted(safe_bot, text_xml("低保怎么申请"))
    envelope = reply_fields(response.data)
    peer = WeChatCrypto(TOKEN, AES_KEY, APPID)
    plain = peer.decrypt_message(response.data, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    assert "户籍所在地的镇人民政府" in reply_fields(plain)["Content"]


def test_safe_mode_message_for_another_appid_is_forbidden(safe_bot: Flask) -> None:
    response = post_encrypted(safe_bot, text_xml("低保"), appid="wx0000000000000000")
    assert response.status_code == 403


def test_safe_mode_broken_base64_after_a_valid_signature_is_a_bad_request(safe_bot: Flask) -> None:
    response = post_encrypted(safe_bot, text_xml("低保"), encrypt_override="not*base64!!")
    assert response.status_code == 400


def test_encrypted_message_without_a_configured_key_is_a_bad_request(bot: Flask) -> None:
    response = post_encrypted(bot, text_xml("低保"))
    assert response.status_code == 400


# -- WeChat's retries --------------------------------------------------------------------------


def test_three_sequential_deliveries_get_identical_replies_and_one_log_row(bot: Flask) -> None:
    body = text_xml("低保怎么申请", msg_id="1234567890")
    client = bot.test_client()
    replies = {post(client, body).data for _ in range(3)}
    assert (len(replies), logged_questions(bot)) == (1, 1)


@pytest.fixture
def two_workers(make_app: Callable[..., Flask], redis_url: str, redis_prefix: str) -> Iterator[list[Flask]]:
    """Two apps sharing Redis and the database, like two gunicorn workers."""
    apps = [make_app(REDIS_URL=redis_url) for _ in range(2)]
    for app in apps:
        backend = get_runtime(app).state.backend
        assert isinstance(backend, RedisStore)
        backend.prefix = redis_prefix
    add_knowledge(get_runtime(apps[0]), faqs=[FAQ, *OTHER_FAQS])
    get_runtime(apps[1]).kb.maybe_reload(wait=True)
    yield apps


def test_concurrent_retries_across_workers_get_identical_replies_and_one_log_row(two_workers: list[Flask]) -> None:
    first = get_runtime(two_workers[0]).conversation
    original = first.respond

    def slow_respond(message: Message) -> Turn:
        time.sleep(0.5)  # the retries arrive while the first delivery is still being answered
        return original(message)

    first.respond = slow_respond  # type: ignore[method-assign]
    body = text_xml("低保怎么申请", msg_id="998877")
    replies: list[bytes] = []

    def deliver(app: Flask, delay: float) -> None:
        time.sleep(delay)
        replies.append(post(app.test_client(), body).data)

    threads = [
        threading.Thread(target=deliver, args=(two_workers[0], 0.0)),
        threading.Thread(target=deliver, args=(two_workers[1], 0.1)),
        threading.Thread(target=deliver, args=(two_workers[1], 0.2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(replies), len(set(replies)), logged_questions(two_workers[0])) == (3, 1, 1)


def test_a_retry_takes_over_the_claim_of_a_delivery_that_died(
    two_workers: list[Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first delivery's worker was killed after claiming: it never renews, never answers."""
    monkeypatch.setattr(retries, "CLAIM_TTL", 1)
    body = text_xml("低保怎么申请", msg_id="55443322")
    dead = RetryFolding(get_runtime(two_workers[0]).state, "test-user-hash-secret")
    assert dead.claim(dead.key(parse_message(body).dedupe_key))
    time.sleep(0.2)  # WeChat's retry comes later, while the dead claim is still there
    fields = reply_fields(post(two_workers[1].test_client(), body).data)
    assert "户籍所在地的镇人民政府" in fields["Content"]
    assert logged_questions(two_workers[1]) == 1


def test_a_live_delivery_keeps_its_claim_past_the_claim_lifetime(
    two_workers: list[Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retries, "CLAIM_TTL", 1)
    monkeypatch.setattr(retries, "RENEW_EVERY", 0.3)
    monkeypatch.setattr(webhook_module, "RENEW_EVERY", 0.3)
    first = get_runtime(two_workers[0]).conversation
    original = first.respond
    calls: list[object] = []

    def slow_respond(message: Message) -> Turn:
        calls.append(message)
        time.sleep(1.8)  # longer than a claim lives: only renewal keeps the retry waiting
        return original(message)

    first.respond = slow_respond  # type: ignore[method-assign]
    get_runtime(two_workers[1]).conversation.respond = slow_respond  # type: ignore[method-assign]
    body = text_xml("低保怎么申请", msg_id="66554433")
    replies: list[bytes] = []

    def deliver(app: Flask, delay: float) -> None:
        time.sleep(delay)
        replies.append(post(app.test_client(), body).data)

    threads = [threading.Thread(target=deliver, args=(two_workers[0], 0.0)),
               threading.Thread(target=deliver, args=(two_workers[1], 0.2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(calls), len(set(replies)), logged_questions(two_workers[0])) == (1, 1, 1)


# -- the deadline -------------------------------------------------------------------------------


def test_a_hanging_answer_gets_the_busy_reply_instead_of_silence(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(REPLY_DEADLINE="0.3")
    release = threading.Event()

    def hang(_message: object) -> Turn:
        release.wait(5)
        return Turn(reply=TextReply("late"), kind=ReplyKind.ANSWER_FAQ)

    monkeypatch.setattr(get_runtime(app).conversation, "respond", hang)
    try:
        fields = reply_fields(post(app.test_client(), text_xml("低保")).data)
    finally:
        release.set()
    assert fields["Content"] == wording.BUSY


def test_a_question_given_the_busy_reply_is_logged_before_the_reply(make_app: Callable[..., Flask]) -> None:
    app = make_app(REPLY_DEADLINE="0.3")
    runtime = get_runtime(app)
    release = threading.Event()

    def hang(message: Message) -> Turn:
        release.wait(5)  # the worker could die here: the row must already exist
        raise RuntimeError("never answered")

    runtime.conversation.respond = hang  # type: ignore[method-assign]
    try:
        post(app.test_client(), text_xml("低保怎么申请"))
        assert runtime.questions.flush()
        with runtime.db.session() as session:
            kinds = list(session.scalars(select(QuestionLog.reply_kind)))
    finally:
        release.set()
    assert kinds == ["busy"]


@pytest.fixture
def hanging_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: Redis at its worst."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_hanging_redis_still_gets_the_citizen_an_answer(make_app: Callable[..., Flask], hanging_redis: str) -> None:
    app = make_app(REDIS_URL=hanging_redis, REDIS_TIMEOUT="0.2")
    add_knowledge(get_runtime(app), faqs=[FAQ, *OTHER_FAQS])
    fields = reply_fields(post(app.test_client(), text_xml("低保怎么申请")).data)
    assert "户籍所在地的镇人民政府" in fields["Content"]


# -- arbitrary bodies ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(lambda t: f"<xml>{t}</xml>")))
def test_any_signed_body_gets_200_or_400_never_a_server_error(bot: Flask, body: bytes | str) -> None:
    assert post(bot.test_client(), body).status_code in {200, 400}


# -- chunked bodies ------------------------------------------------------------------------------


def _chunked(app: Flask, body: bytes):
    import io

    return app.test_client().post(
        "/wechat", query_string=signed_args(), input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "text/xml"},
    )


def test_a_chunked_body_over_the_limit_is_refused_not_cut(bot: Flask) -> None:
    padding = "<!--" + "x" * 70_000 + "-->"
    body = text_xml("低保怎么申请").replace("</xml>", padding + "</xml>").encode("utf-8")
    assert _chunked(bot, body).status_code == 413


def test_a_chunked_body_within_the_limit_is_answered(bot: Flask) -> None:
    response = _chunked(bot, text_xml("低保怎么申请").encode("utf-8"))
    assert response.status_code == 200 and "户籍所在地的镇人民政府" in reply_fields(response.data)["Content"]
