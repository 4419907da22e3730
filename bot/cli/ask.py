"""`flask ask`: what a citizen would be told, without WeChat — for staff checks and benchmarks.

    flask --app app ask "低保怎么申请"          the reply as the citizen reads it
    flask --app app ask --json "低保怎么申请"   the reply, the answered decision and the hits
    flask --app app ask --json - < questions   one JSON object per input line, one process

Questions go through the same `Conversation` as WeChat messages, as one fixed CLI user, so
numbered choices and follow-ups work across invocations (`ask 低保`, then `ask 2`) when the
state store keeps sessions (Redis). Lines read from stdin are answered independently — each
starts without a session — because a batch of test questions is not a dialogue. The rate
limit does not apply here. Like a server, `ask` first prepares (`bot.startup.prepare`: schema,
the sample on a first start, the index), so it works on a fresh checkout.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
import uuid
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli.chinese import ChineseCommand
from bot.conversation import Conversation
from bot.runtime import get_runtime
from bot.startup import prepare
from bot.turn import Turn
from bot.wechat.messages import Message
from bot.wechat.replies import NewsReply, TextReply

CLI_USER = "cli-user"


def _conversation() -> Conversation:
    runtime = get_runtime()
    settings = dataclasses.replace(runtime.settings, rate_limit_per_minute=0)
    return runtime.conversation.sibling(runtime.kb, runtime.state, settings)


def _message(question: str) -> Message:
    return Message(
        to_user="cli",
        from_user=CLI_USER,
        create_time=int(time.time()),
        msg_type="text",
        msg_id=uuid.uuid4().hex,
        content=question,
    )


def reply_text(reply: TextReply | NewsReply | None) -> str | None:
    """The reply as the citizen reads it; a card shows its title, description and link."""
    if reply is None:
        return None
    if isinstance(reply, NewsReply):
        return "\n".join(part for part in (reply.title, reply.description, reply.url) if part)
    return reply.content + reply.tail


def turn_json(turn: Turn) -> dict[str, Any]:
    """The machine-readable form of a turn: reply, answered decision and ranked hits."""
    hits = turn.result.hits if turn.result is not None else ()
    return {
        "reply": reply_text(turn.reply),
        "answered": turn.answered,
        "kind": turn.kind,
        "hits": [
            {
                "kind": hit.doc.kind,
                "id": hit.doc.id,
                "title": hit.doc.title,
                "url": hit.doc.url,
                "score": round(float(hit.score), 4),
                "matched": list(hit.matched),
            }
            for hit in hits
        ],
    }


def _emit(turn: Turn, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(turn_json(turn), ensure_ascii=False))
    else:
        click.echo(reply_text(turn.reply) or "（不回复）")


@click.command("ask", cls=ChineseCommand)
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出回复、是否答复和检索结果。")
@with_appcontext
def command(question: str, as_json: bool) -> None:
    """按机器人的方式回答 QUESTION（写 "-" 则从标准输入逐行读取问题）。

    和服务器启动时一样，第一次使用会建立数据库并载入示例知识库。
    """
    prepare(current_app, announce=False)  # answers as a server would: schema, first-start sample, index
    conversation = _conversation()
    if question != "-":
        _emit(conversation.respond(_message(question)), as_json)
        return
    for line in sys.stdin:  # every line gets one output line, blank ones too, to stay aligned
        conversation.forget(CLI_USER)
        _emit(conversation.respond(_message(line.strip())), as_json)
        sys.stdout.flush()
