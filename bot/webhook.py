"""The /wechat endpoint: protocol in, conversation, protocol out — within WeChat's 5 seconds.

The order matters. Size, signature and timestamp are checked before anything is parsed;
decryption and XML parsing refuse hostile bodies without expanding them; then WeChat's retries
are folded onto the first delivery (`bot.retries`: one answer, one log row, byte-identical
replies, a dead delivery's claim taken over by the next retry), and the
conversation runs in a worker thread under a deadline so that a hanging Redis or database
costs the citizen a polite "please try again", never silence.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, request
from flask.globals import app_ctx
from werkzeug.exceptions import RequestEntityTooLarge

from bot import metrics, wording
from bot.push import LatePush
from bot.retries import RENEW_EVERY, RetryFolding
from bot.runtime import Runtime, get_runtime
from bot.turn import ReplyKind, Turn
from bot.turnstate import Delivery, TurnState
from bot.wechat import (
    SUCCESS,
    Message,
    MessageCrypto,
    TextReply,
    WeChatError,
    check_signature,
    check_timestamp,
    parse_message,
    render,
    sent_text,
)

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)

POLL_INTERVAL = 0.05


def _refuse(status: int, reason: str) -> Response:
    """A short plain-text refusal; the reason goes to the log, never a traceback to the caller."""
    log.warning("refused with %d: %s", status, reason)
    messages = {400: "请求格式有误", 403: "签名校验失败", 413: "请求内容过大"}
    return Response(messages.get(status, "请求无法处理"), status=status, mimetype="text/plain")


@dataclass(frozen=True)
class Envelope:
    """How the message arrived, so the reply goes back the same way."""

    timestamp: str
    nonce: str
    encrypted: bool


class Webhook:
    """Per-app state of the endpoint: the crypto and the worker pool that enforces the deadline."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.crypto = (
            MessageCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
            if settings.safe_mode_enabled
            else None
        )
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="turn")
        self.late = LatePush(runtime.wechat_api) if runtime.wechat_api is not None else None
        self.folding = RetryFolding(runtime.state, settings.user_hash_secret)
        self.turns = TurnState(runtime.state, self.folding, settings)

    # -- inbound ------------------------------------------------------------------------------

    def open_envelope(self, body: bytes) -> tuple[Message, Envelope]:
        settings = self.runtime.settings
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise _SafeModeNotConfigured
            xml: str | bytes = self.crypto.decrypt_message(body, args.get("msg_signature"), timestamp, nonce)
        else:
            check_signature(args.get("signature"), settings.wechat_token, timestamp, nonce)
            if not settings.accepts_plaintext:
                raise _PlaintextRefused  # after the signature: an unsigned probe learns nothing
            xml = body
        check_timestamp(timestamp, time.time(), settings.wechat_max_skew)
        return parse_message(xml), Envelope(str(timestamp), str(nonce), encrypted)

    def seal(self, reply_xml: str, envelope: Envelope) -> Response:
        if envelope.encrypted and self.crypto is not None and reply_xml != SUCCESS:
            reply_xml = self.crypto.encrypt_reply(reply_xml, envelope.timestamp, envelope.nonce)
        return Response(reply_xml, mimetype="application/xml" if reply_xml != SUCCESS else "text/plain")

    # -- one delivery ---------------------------------------------------------------------------

    def answer(self, message: Message, started: float) -> str:
        """The reply XML for this message: the stored one for a retry, else a fresh answer."""
        folding = self.folding
        deadline = started + self.runtime.settings.reply_deadline
        delivery = self.turns.open(message)  # one round trip: stored reply, or claim + counters + session
        if delivery.reply is not None:
            log.info("retry of %s answered from the stored reply", message.msg_type)
            return delivery.reply
        while not delivery.claimed:
            # Another delivery is answering right now: wait for its reply, or for its claim to
            # lapse (its worker died) and answer in its place.
            if time.monotonic() >= deadline:
                log.warning("retry arrived while the first delivery is still being answered; sent the busy reply")
                return render(TextReply(wording.BUSY), message, int(time.time()))
            time.sleep(POLL_INTERVAL)
            delivery = self.turns.open(message)
            if delivery.reply is not None:
                return delivery.reply
            if delivery.claimed:
                log.warning("the delivery that claimed this message stopped; this retry answers it")
        key = delivery.key
        future = self.pool.submit(self._turn_and_store, app_ctx.app, message, delivery, started)
        while True:
            remaining = deadline - time.monotonic()
            try:
                return future.result(timeout=max(0.05, min(RENEW_EVERY, remaining)))[0]
            except concurrent.futures.TimeoutError:
                if remaining > RENEW_EVERY:
                    self.turns.renew(delivery)  # still alive and working: keep the claim and the lock
                    continue
            log.warning("no answer within %.1f s; sent the busy reply", self.runtime.settings.reply_deadline)
            busy_text = wording.BUSY if self.late is None else wording.BUSY_PUSHED
            busy = render(TextReply(busy_text), message, int(time.time()))
            if folding.store_reply(key, busy):  # the first reply sent stays the canonical one
                self._log_busy(message, started, busy_text)
            if self.late is not None:  # send the answer through the customer-service API when ready
                future.add_done_callback(lambda done: self.pool.submit(self._push_late, message, done))
            return busy

    def _push_late(self, message: Message, done: concurrent.futures.Future[tuple[str, Turn]]) -> None:
        assert self.late is not None
        try:
            _xml, turn = done.result()
        except Exception:
            log.exception("the late turn failed; nothing to push")
            return
        if turn.reply is not None and self.late.send(message.from_user, turn.reply):
            log.info("late answer pushed through the customer-service API")

    def _turn_and_store(self, app: Flask, message: Message, delivery: Delivery,
                        started: float) -> tuple[str, Turn]:
        xml: str | None = None
        try:
            with app.app_context():
                conversation = self.runtime.conversation
                try:
                    with conversation.sessions.within(delivery):
                        turn = conversation.respond(message)
                except Exception:
                    log.exception("conversation failed for a %s message", message.msg_type)
                    turn = Turn(reply=TextReply(wording.INTERNAL_ERROR), kind=ReplyKind.ERROR)
                xml = SUCCESS if turn.reply is None else render(turn.reply, message, int(time.time()))
                # Logged before the reply can go out (the journal is fsync'd).
                self._log_turn(message, turn, started, None if turn.reply is None else sent_text(turn.reply))
                return xml, turn
        finally:
            # One round trip: the session saved, the citizen's lock released, the reply kept for
            # retries — stored only if none is yet: a busy reply already sent stays what they get.
            self.turns.close(delivery, xml)

    def _log_busy(self, message: Message, started: float, busy_text: str) -> None:
        """Log the question as given the busy reply, before that reply goes out.

        The answer is still being computed and may never finish (the worker can die); the row
        is what the citizen got. If the answer does finish, its row is a duplicate and ignored.
        """
        question = self.runtime.conversation.question_of(message)
        if question:
            self.runtime.questions.record(openid=message.from_user, message_key=message.dedupe_key,
                                          question=question, result=None, answered=False, reply_kind=ReplyKind.BUSY,
                                          latency_ms=(time.monotonic() - started) * 1000, reply_text=busy_text)

    def _log_turn(self, message: Message, turn: Turn, started: float, sent: str | None) -> None:
        questions = self.runtime.questions
        metrics.count_reply(turn.kind)
        try:
            if turn.question is not None:
                questions.record(
                    openid=message.from_user,
                    message_key=message.dedupe_key,
                    question=turn.question,
                    result=turn.result,
                    answered=turn.answered,
                    reply_kind=turn.kind,
                    latency_ms=(time.monotonic() - started) * 1000,
                    reply_text=sent,
                )
            if turn.feedback is not None:
                questions.record_feedback(*turn.feedback, hashed=True)
            if turn.choice is not None and self.runtime.learning is not None:  # never waits (bot.learning)
                self.runtime.learning.record(message.from_user, message.dedupe_key, turn.choice)
        except Exception:
            log.exception("could not log the question")


class _SafeModeNotConfigured(WeChatError):
    status = 400


class _PlaintextRefused(WeChatError):
    """WECHAT_MODE=safe: a plaintext body is a downgrade around the AES layer."""

    status = 403


def _webhook() -> Webhook:
    return current_app.extensions["zwgk.webhook"]


@bp.get("/wechat")
def verify_url() -> Response:
    """WeChat's URL check when the township saves the server settings in the console."""
    settings = get_runtime().settings
    try:
        args = request.args
        check_signature(args.get("signature"), settings.wechat_token, args.get("timestamp"), args.get("nonce"))
        check_timestamp(args.get("timestamp"), time.time(), settings.wechat_max_skew)
    except WeChatError as err:
        return _refuse(err.status, f"URL verification: {type(err).__name__}: {err}")
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


def _read_body(limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes — with or without Content-Length.

    A chunked body has no length to check up front, and a stream capped at the limit would
    silently cut it there and answer a truncated message; so read one byte past the limit.
    """
    if request.content_length is not None:
        if request.content_length > limit:
            return None
        try:
            return request.get_data(cache=False)
        except RequestEntityTooLarge:
            return None
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return b""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


@bp.post("/wechat")
def receive() -> Response:
    started = time.monotonic()
    hook = _webhook()
    body = _read_body(get_runtime().settings.max_body_bytes)
    if body is None:
        return _refuse(413, "body over the size limit")
    if not body.strip():
        return _refuse(400, "empty body")
    try:
        message, envelope = hook.open_envelope(body)
    except _SafeModeNotConfigured:
        return _refuse(400, "encrypted message but WECHAT_AES_KEY is not configured")
    except WeChatError as err:
        return _refuse(err.status, f"{type(err).__name__}: {err}")
    except Exception:  # a protocol-layer bug must still not become a 500 with a traceback
        log.exception("unexpected error while reading a request")
        return _refuse(400, "unreadable request")
    log.info("received %s%s", message.msg_type, f"/{message.event}" if message.event else "")
    try:
        return hook.seal(hook.answer(message, started), envelope)
    except Exception:  # last guard: WeChat gets "success" rather than an error page
        log.exception("could not answer a %s message", message.msg_type)
        return Response(SUCCESS, mimetype="text/plain")


def init_app(app: Flask, runtime: Runtime) -> None:
    app.extensions["zwgk.webhook"] = Webhook(runtime)
    app.register_blueprint(bp)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_err: RequestEntityTooLarge) -> Response:
        return _refuse(413, "body over the size limit")
