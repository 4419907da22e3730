"""Two app instances (think: two machines) sharing PostgreSQL and Redis behave as one bot."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from bot.questionlog_table import QuestionLogRow as QuestionLog
from bot.runtime import Runtime, get_runtime
from knowledge.editor import FaqData, KbEditor
from tests.support import DIBAO, OTHER, add_knowledge, ask, post, text_xml


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not condition():
        time.sleep(0.02)
    return condition()


def two_instances(instances: Callable[..., Flask]) -> tuple[Flask, Flask]:
    first, second = instances(), instances()
    add_knowledge(get_runtime(first), faqs=[*DIBAO, *OTHER])
    get_runtime(second).kb.maybe_reload(wait=True)
    return first, second


def logged(runtime: Runtime) -> int:
    runtime.questions.flush()
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(QuestionLog)) or 0


def test_a_list_shown_by_one_instance_is_answered_by_the_other(instances: Callable[..., Flask]) -> None:
    first, second = two_instances(instances)
    listed = ask(first.test_client(), "低保", user="o-roaming")
    second_title = next(line.split(". ", 1)[1] for line in listed.splitlines() if line.startswith("2. "))
    assert ask(second.test_client(), "2", user="o-roaming").startswith(f"【{second_title}】")


def test_wechat_retries_landing_on_different_instances_get_one_answer(instances: Callable[..., Flask]) -> None:
    first, second = two_instances(instances)
    slow = get_runtime(first).conversation
    original = slow.respond

    def respond_slowly(message):
        time.sleep(0.5)  # the retries arrive at the other instance while this one is answering
        return original(message)

    slow.respond = respond_slowly  # type: ignore[method-assign]
    body = text_xml("低保怎么申请", msg_id="5566778899")
    replies: list[bytes] = []

    def deliver(app: Flask, delay: float) -> None:
        time.sleep(delay)
        replies.append(post(app.test_client(), body).data)

    threads = [threading.Thread(target=deliver, args=(app, delay))
               for app, delay in ((first, 0.0), (second, 0.1), (second, 0.2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(replies), len(set(replies))) == (3, 1)
    get_runtime(second).questions.flush()
    assert logged(get_runtime(first)) == 1  # one shared table: one row for the three deliveries


def test_an_edit_saved_on_one_instance_is_live_on_both(instances: Callable[..., Flask]) -> None:
    first, second = two_instances(instances)
    for app in (first, second):
        reloader = get_runtime(app).reloader
        assert reloader is not None
        reloader.ensure_started()
    new = FaqData(question="独生子女父母奖励金怎么领？", answer="持光荣证到村委会登记，每年发放一次。")
    KbEditor(get_runtime(first).db, editor="test").save_faq(new)
    users = (f"o-edit-{n}" for n in itertools.count())  # one citizen asking every 20 ms is rate-limited
    assert wait_until(lambda: all("持光荣证到村委会登记" in ask(app.test_client(), new.question, user=next(users))
                                  for app in (first, second)))
