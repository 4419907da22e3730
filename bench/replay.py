"""Replay real citizen messages through the bot, then write the question reports.

    python -m bench.replay                         # → ./replay-report/
    python -m bench.replay --out /tmp/replay --kb extra_faq.jsonl --database-url postgresql+psycopg://…

Each message title of /work/shared/datasets/citizen_messages_2816.jsonl (2,816 real messages
to a city government, 2011–2020, with their timestamps) becomes a WeChat text message from
its own citizen, is parsed by the real parser (`parse_message`), answered by the real
`Conversation` and logged by the real `QuestionLog` with the fields the webhook logs —
only the time is the message's own instead of now. The app is built by `create_app` on a
throwaway instance folder with the bundled sample knowledge base (a township's 政务公开
FAQ and notices), or with `--kb` files instead. Then two reports are written to `--out` as
HTML and text: the whole span, and the last 365 days of it (whose rising topics compare
with the year before).

The dataset is read-only reference material outside the repository; nothing of it is copied.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from bot import create_app
from bot.questionlog import from_settings
from bot.reports import Period, build_report
from bot.reports.html import render_html
from bot.reports.queries import LOCAL_TZ
from bot.reports.render import render_table
from bot.runtime import get_runtime
from bot.startup import prepare
from bot.wechat.messages import parse_message

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "citizen_messages_2816.jsonl"
BEIJING = LOCAL_TZ
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)


def parse_time(raw: str) -> datetime.datetime:
    """`2019/4/25 9:32:09` (local time) or an Excel serial day number, as Beijing time."""
    raw = raw.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        moment = _EXCEL_EPOCH + datetime.timedelta(days=float(raw))
    else:
        for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"):
            try:
                moment = datetime.datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unreadable time {raw!r}")
    return moment.replace(microsecond=0, tzinfo=BEIJING)


def text_message_xml(openid: str, msg_id: str, content: str, created: datetime.datetime) -> str:
    """The body WeChat would POST for a text message (after decryption)."""
    return (
        "<xml><ToUserName><![CDATA[gh_replay]]></ToUserName>"
        f"<FromUserName>{escape(openid)}</FromUserName><CreateTime>{int(created.timestamp())}</CreateTime>"
        f"<MsgType>text</MsgType><Content>{escape(content)}</Content><MsgId>{escape(msg_id)}</MsgId></xml>"
    )


def replay(app, messages: list[dict]) -> dict[str, float]:
    """Send every message through parse → Conversation.respond → QuestionLog.record."""
    runtime = get_runtime(app)
    questions = getattr(runtime, "questions", None) or from_settings(runtime.db, runtime.settings)
    conversation = getattr(runtime, "conversation", None)
    latencies = []
    kinds: dict[str, int] = {}
    for n, raw in enumerate(messages):
        asked_at = parse_time(str(raw["msg_time"]))
        title = str(raw.get("title") or "").strip()
        if not title:
            continue
        openid = f"o-replay-{raw.get('msg_id', n)}"
        message = parse_message(text_message_xml(openid, str(raw.get("msg_id", n)), title, asked_at))
        started = time.monotonic()
        with app.app_context():
            if conversation is not None:
                turn = conversation.respond(message)
                question, result, answered, kind = turn.question, turn.result, turn.answered, turn.kind
            else:  # before the conversation existed: the search alone
                result = runtime.kb.search(title)
                question, answered, kind = title, result.answered, "answer" if result.answered else "not_found"
        latency = (time.monotonic() - started) * 1000
        latencies.append(latency)
        kinds[kind] = kinds.get(kind, 0) + 1
        if question is not None:
            questions.record(openid=message.from_user, message_key=message.dedupe_key, question=question,
                             result=result, answered=answered, reply_kind=kind, latency_ms=latency,
                             asked_at=asked_at)
    questions.flush(timeout=120)
    latencies.sort()
    return {"messages": len(latencies), "p50_ms": latencies[len(latencies) // 2],
            "p95_ms": latencies[int(len(latencies) * 0.95)], **{f"kind:{k}": v for k, v in sorted(kinds.items())}}


def write_reports(app, first: datetime.date, last: datetime.date, out: Path) -> list[Path]:
    store = get_runtime(app).db
    out.mkdir(parents=True, exist_ok=True)
    periods = {"all": Period(first, last + datetime.timedelta(days=1)),
               "last-year": Period(last - datetime.timedelta(days=364), last + datetime.timedelta(days=1))}
    written = []
    for name, period in periods.items():
        report = build_report(store, period, limit=25)
        for suffix, content in (("html", render_html(report)), ("txt", render_table(report))):
            path = out / f"replay-{name}.{suffix}"
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, default=DATASET)
    parser.add_argument("--out", type=Path, default=Path("replay-report"))
    parser.add_argument("--kb", type=Path, nargs="*", help="knowledge-base files to import instead of the sample")
    parser.add_argument("--database-url", help="throwaway database (default: SQLite in a temporary instance)")
    parser.add_argument("--limit", type=int, help="replay only the first N messages")
    args = parser.parse_args(argv)
    if not args.messages.exists():
        print(f"找不到留言数据 {args.messages}（/work/shared 不随代码库分发）", file=sys.stderr)
        return 2
    messages = [json.loads(line) for line in args.messages.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = messages[: args.limit] if args.limit else messages
    with tempfile.TemporaryDirectory() as instance:
        env = {
            "DATABASE_URL": args.database_url or f"sqlite:///{Path(instance) / 'replay.sqlite3'}",
            "LOAD_SAMPLE_KB": "0" if args.kb else "1",
            "WECHAT_TOKEN": "replay",
            "SECRET_KEY": "replay",
            "USER_HASH_SECRET": "replay",
            "RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        app = create_app(env, instance_path=instance)
        prepare(app, announce=False)
        if args.kb:
            from knowledge.importers import import_paths

            result = import_paths(get_runtime(app).db, args.kb, editor="replay")
            print(f"知识库导入：{result}", file=sys.stderr)
            get_runtime(app).kb.maybe_reload(wait=True)
        started = time.monotonic()
        stats = replay(app, messages)
        print(f"回放 {stats['messages']} 条留言，用时 {time.monotonic() - started:.1f} s；"
              f"每条 p50 {stats['p50_ms']:.0f} ms，p95 {stats['p95_ms']:.0f} ms", file=sys.stderr)
        print("回复类型：" + "，".join(f"{k[5:]} {v}" for k, v in stats.items() if k.startswith("kind:")),
              file=sys.stderr)
        days = sorted(parse_time(str(m["msg_time"])).date() for m in messages)
        for path in write_reports(app, days[0], days[-1], args.out):
            print(f"已写出 {path}", file=sys.stderr)
        print((args.out / "replay-all.txt").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
