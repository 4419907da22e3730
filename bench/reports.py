"""Scale benchmark of the reports: a year of 1,000,000 logged questions, each report timed.

    python -m bench.reports                               # SQLite in a throwaway directory
    python -m bench.reports --rows 200000                 # smaller, quicker
    python -m bench.reports --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

The log is synthetic but shaped like a township's: ~60 topics with several intents each
(申请/材料/标准/时间/地点…), each asked in many wordings (怎么/咋/如何, 请问/你好, with or
without a village name, punctuation, full-width digits), seasonal topics (春耕 in spring, 医保缴费
in autumn), weekday/hour rhythm, a long tail of one-off questions, ~30 % unanswered and a
little feedback. Questions are analysed with the real TextProcessor (once per distinct
wording) so that the grouping sees what it sees in production. Rows are bulk-inserted
(executemany on SQLite, COPY on PostgreSQL) with the production schema and indexes.

Target: every report ≤ 5 s for a quarter and for the whole year on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.questionlog import QuestionLog
from bot.questionlog_days import rebuild
from bot.reports import (
    Period,
    build_report,
    by_category,
    by_entry,
    daily,
    rising_topics,
    summary,
    top_groups,
    top_terms,
    unanswered_groups,
)
from bot.reports.queries import LOCAL_OFFSET
from knowledge.store import Store

BEIJING = LOCAL_OFFSET
YEAR = Period(datetime.date(2025, 1, 1), datetime.date(2026, 1, 1))
QUARTER = Period(datetime.date(2025, 10, 1), datetime.date(2026, 1, 1))
VILLAGES = ["金贵村", "通昌村", "联星村", "汉佐村", "关渠村", "银光村", "红星村", "新平村"]
ASK = ["怎么", "咋", "如何", "怎样"]
OPEN = ["", "", "", "请问", "你好，", "想问一下", "您好，请问"]
CLOSE = ["", "", "？", "?", "呢", "啊", "！", "。"]

# topic: (category, weight, peak month or 0, in the knowledge base?, intents "{q}" = a question word)
TOPICS: dict[str, tuple[str, float, int, bool, list[str]]] = {
    "低保": ("社会救助", 9, 0, True, ["低保{q}申请", "申请低保需要什么材料", "低保标准是多少", "低保金什么时候发",
                                 "低保在哪里办", "低保户{q}认定", "低保被取消了{q}办"]),
    "特困供养": ("社会救助", 3, 0, True, ["特困供养{q}申请", "五保户有什么补助", "特困人员供养标准是多少"]),
    "临时救助": ("社会救助", 3, 0, True, ["临时救助{q}申请", "家里出事了能申请临时救助吗", "临时救助能给多少钱"]),
    "养老金": ("社会保障", 8, 1, True, ["养老金{q}领取", "养老金什么时候涨", "养老保险{q}交", "养老保险交多少年能领",
                                   "城乡居民养老保险缴费标准"]),
    "医保缴费": ("社会保障", 8, 10, True, ["医保{q}交", "医保缴费截止时间", "今年医保交多少钱", "医保在手机上{q}交",
                                     "医保没交能补交吗"]),
    "医保报销": ("社会保障", 6, 0, True, ["医保{q}报销", "住院报销比例是多少", "异地就医{q}备案", "门诊能报销吗"]),
    "社保卡": ("社会保障", 4, 0, True, ["社保卡{q}办", "社保卡丢了{q}补办", "社保卡{q}激活"]),
    "公积金": ("住房", 3, 0, True, ["公积金{q}提取", "公积金贷款{q}办理", "公积金缴存比例"]),
    "危房改造": ("住房", 5, 4, True, ["危房改造{q}申请", "危房改造补助多少钱", "危房改造需要什么条件"]),
    "宅基地": ("自然资源", 7, 3, False, ["宅基地{q}审批", "宅基地{q}申请", "农村盖房要办什么手续", "宅基地确权{q}办"]),
    "春耕补贴": ("农业农村", 6, 3, True, ["春耕补贴什么时候发", "耕地地力保护补贴标准", "种粮补贴{q}领",
                                     "补贴没到账{q}办"]),
    "农机补贴": ("农业农村", 2, 4, True, ["农机购置补贴{q}申请", "买拖拉机有补贴吗"]),
    "土地流转": ("农业农村", 3, 0, False, ["土地流转{q}办", "土地流转费标准", "承包地能流转吗"]),
    "养殖": ("农业农村", 2, 0, False, ["养牛有补贴吗", "养殖场{q}备案", "牛羊防疫{q}登记"]),
    "户口": ("户籍", 5, 7, True, ["户口迁移{q}办", "孩子上户口需要什么", "户口本丢了{q}补办"]),
    "身份证": ("户籍", 3, 7, True, ["身份证{q}补办", "身份证到期了在哪换", "临时身份证{q}办"]),
    "结婚登记": ("民政", 2, 5, True, ["结婚登记去哪办", "结婚登记需要什么材料"]),
    "生育": ("卫生健康", 3, 0, True, ["生育登记{q}办", "生孩子有补贴吗", "生育保险{q}报销"]),
    "残疾人": ("残疾人服务", 3, 0, True, ["残疾证{q}办理", "残疾人两项补贴{q}申请", "残疾人补贴标准"]),
    "高龄津贴": ("社会救助", 3, 0, True, ["高龄津贴{q}领", "80岁老人有什么补贴", "高龄补贴多少钱"]),
    "就业": ("就业创业", 4, 2, True, ["有什么招工信息", "就业培训{q}报名", "失业登记{q}办", "失业金{q}领"]),
    "创业贷款": ("就业创业", 2, 0, True, ["创业担保贷款{q}申请", "创业贷款能贷多少"]),
    "入学": ("教育", 4, 8, False, ["孩子上学{q}报名", "幼儿园{q}报名", "上学要什么证明", "校车什么时候开"]),
    "助学": ("教育", 2, 9, True, ["助学金{q}申请", "大学生生源地贷款{q}办"]),
    "疫苗": ("卫生健康", 3, 0, False, ["疫苗在哪里打", "孩子打疫苗要预约吗", "狂犬疫苗去哪打"]),
    "路灯": ("基础设施", 3, 11, False, ["路灯坏了找谁", "村里路灯不亮{q}办", "路灯什么时候修"]),
    "道路": ("基础设施", 4, 6, False, ["村里的路什么时候修", "道路坑洼{q}反映", "硬化路{q}申请"]),
    "自来水": ("基础设施", 3, 7, False, ["自来水停水了{q}办", "水费{q}交", "水管爆了找谁"]),
    "垃圾": ("人居环境", 3, 7, False, ["垃圾没人拉{q}办", "垃圾清运时间", "垃圾乱倒找谁"]),
    "污染": ("人居环境", 2, 6, False, ["养殖场臭味太大{q}办", "工厂排污{q}举报", "秸秆焚烧{q}举报"]),
    "政务公开": ("政务公开", 4, 0, True, ["怎么申请政府信息公开", "依申请公开多久答复", "政府信息公开收费吗",
                                     "在哪里查镇政府的文件", "村务公开{q}查看"]),
    "信访": ("信访", 2, 0, True, ["信访{q}反映", "12345热线管用吗", "投诉{q}处理"]),
    "拆迁": ("自然资源", 2, 0, False, ["拆迁补偿标准是多少", "拆迁款什么时候发"]),
    "退役军人": ("退役军人", 2, 0, True, ["退役军人优待证{q}办", "退役军人有什么补助"]),
    "防汛": ("应急管理", 2, 7, True, ["防汛值班电话", "暴雨预警{q}防范"]),
    "取暖": ("民生", 3, 11, False, ["冬季取暖补贴{q}领", "煤改电补贴多少", "暖气不热找谁"]),
}
TAIL_WORDS = ["隔壁", "邻居", "村委会", "补助", "钱", "手续", "证明", "材料", "到底", "去年", "今年", "孩子", "老人",
              "房子", "地", "车", "工资", "合同", "电话", "窗口", "网上", "周末", "晚上", "排队", "盖章", "签字"]


def _topic_weights(month: int) -> list[float]:
    weights = []
    for _category, weight, peak, _in_kb, _intents in TOPICS.values():
        if peak:  # seasonal: up to 4x in the peak month, tapering over two months either side
            distance = min(abs(month - peak), 12 - abs(month - peak))
            weight *= 1 + 3 * max(0.0, 1 - distance / 2.5)
        weights.append(weight)
    return weights


def _wording(rng: random.Random, template: str) -> str:
    question = template.replace("{q}", rng.choice(ASK))
    if rng.random() < 0.15:
        question = rng.choice(VILLAGES) + question
    return rng.choice(OPEN) + question + rng.choice(CLOSE)


def _tail(rng: random.Random) -> str:
    words = rng.sample(TAIL_WORDS, rng.randint(2, 4))
    if rng.random() < 0.5:
        words.insert(1, f"{rng.randint(2015, 2025)}年")
    if rng.random() < 0.3:
        words.append(f"{rng.randint(1, 50) * 100}元")
    return "".join(words) + rng.choice(["怎么办", "找谁", "是怎么回事", "？", "吗"])


def generate(rows: int, seed: int = 7, start: datetime.datetime = datetime.datetime(2025, 1, 1)) -> Iterator[tuple]:
    """Yield `rows` question-log tuples (see COLUMNS) over the year from `start` (local), one analysis per wording."""
    from knowledge.base import shared_processor

    processor = shared_processor()
    rng = random.Random(seed)
    names = list(TOPICS)
    analysed: dict[str, str] = {}
    hits_json = {name: json.dumps([
        {"kind": "faq", "id": i + 1, "title": f"{name}相关问答（示例标题，约二十个字）", "score": 7.5},
        {"kind": "item", "id": 1000 + i, "title": f"关于{name}的公开文件", "score": 4.1},
        {"kind": "faq", "id": 500, "title": "其他", "score": 2.0}], ensure_ascii=False) for i, name in enumerate(names)}
    day_weights = [(1.3 if (start + datetime.timedelta(days=d)).weekday() < 5 else 0.6) for d in range(365)]
    days = rng.choices(range(365), weights=day_weights, k=rows)
    days.sort()
    users = [hashlib.sha256(f"user{u}".encode()).hexdigest() for u in range(60_000)]
    month_weights = {m: _topic_weights(m) for m in range(1, 13)}
    for n, day in enumerate(days):
        local = start + datetime.timedelta(days=day, hours=rng.choice(range(7, 23)), minutes=rng.randint(0, 59))
        topic_index = rng.choices(range(len(names)), weights=month_weights[local.month])[0]
        name = names[topic_index]
        category, _weight, _peak, in_kb, intents = TOPICS[name]
        if rng.random() < 0.12:
            question, answered, top = _tail(rng), rng.random() < 0.1, None
        else:
            question = _wording(rng, rng.choice(intents))
            answered = in_kb and rng.random() < 0.9
            top = name
        terms = analysed.get(question)
        if terms is None:
            terms = analysed[question] = " ".join(processor.analyze(question))
        feedback = None
        if answered and rng.random() < 0.06:
            feedback = "satisfied" if rng.random() < 0.8 else "unsatisfied"
        yield (
            local - BEIJING, rng.choice(users), hashlib.sha256(f"m{n}".encode()).hexdigest(), question, terms,
            hits_json[top] if top else "[]", "faq" if top else None, topic_index + 1 if top else None,
            f"{top}相关问答（示例标题，约二十个字）" if top else None, category if top else None,
            7.5 if top else None, answered, "answer_faq" if answered else "not_found", rng.uniform(15, 400), feedback,
        )


COLUMNS = ("asked_at", "user_hash", "message_key", "question", "terms", "hits_json", "top_kind", "top_id",
           "top_title", "top_category", "top_score", "answered", "reply_kind", "latency_ms", "feedback")


def load(store: Store, rows: int, start: datetime.datetime = datetime.datetime(2025, 1, 1)) -> float:
    """Bulk-insert the synthetic log (a year from `start`); returns seconds spent (generation included)."""
    started = time.perf_counter()
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            cursor.execute("SET statement_timeout = 0")  # a million rows on a busy machine: no limit
            with cursor.copy(f"COPY question_log ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in generate(rows, start=start):
                    copy.write_row(row)
        else:
            cursor.execute("PRAGMA cache_size=-400000")  # 400 MB: random-key index inserts stay in memory
            sql = f"INSERT INTO question_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            batch: list[tuple] = []
            for row in generate(rows, start=start):
                batch.append((row[0].isoformat(sep=" ", timespec="microseconds"), *row[1:]))  # as SQLAlchemy writes
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            cursor.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    # Written around the question log's write path, as by a release before the per-day
    # summary: build it the way `Store.migrate` does for such a log.
    with store.session() as session:
        rebuild(session)
    # Statistics, and on PostgreSQL the visibility map that index-only scans need: what
    # autovacuum maintains on its own for an append-mostly table in production.
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE question_log, question_day" if store.engine.dialect.name == "postgresql"
                          else "ANALYZE"))
    return time.perf_counter() - started


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(first wall time, best wall time, CPU time of this process in the best run).

    Other work on a shared machine inflates wall time; this process's CPU time does not (for
    SQLite it is the whole cost; PostgreSQL's own work is not in it).
    """
    runs = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    best = min(runs)
    return runs[0][0], best[0], best[1]


def run(store: Store, rows: int, repeat: int) -> list[tuple[str, str, float, float, float]]:
    reports: dict[str, Callable[[Store, Period], object]] = {
        "summary 概览/回答率/满意度": summary,
        "daily 每日提问量": daily,
        "top_groups 热门问题": top_groups,
        "unanswered_groups 未能回答": unanswered_groups,
        "top_terms 热词": top_terms,
        "rising_topics 上升话题": rising_topics,
        "by_category 按分类": by_category,
        "by_entry 按匹配条目": by_entry,
        "build_report 整份报表": build_report,
    }
    results = []
    for label, period in (("季度", QUARTER), ("全年", YEAR)):
        for name, fn in reports.items():
            first, best, cpu = _time(functools.partial(fn, store, period), repeat)
            results.append((label, name, first, best, cpu))
            print(f"  {label} {name:<32} 首次 {first:6.2f} s   最快 {best:6.2f} s   CPU {cpu:6.2f} s", flush=True)
    with tempfile.TemporaryDirectory() as spool:
        log = QuestionLog(store, "bench", Path(spool), background=False)
        def cold_hot_topics() -> list[str]:
            log._hot_cache.clear()
            return log.hot_topics()

        first, best, cpu = _time(cold_hot_topics, repeat)
        results.append(("近30天", "hot_topics 热门条目（缓存前）", first, best, cpu))
    return results


def _pg_schema(url: str) -> tuple[str, str]:
    schema = f"bench_reports_{random.randrange(16**8):08x}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema, f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", help="also run against this PostgreSQL URL (tables are created and dropped)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database at this path")
    args = parser.parse_args(argv)

    targets: list[tuple[str, str]] = []
    tmp = tempfile.TemporaryDirectory()
    sqlite_path = args.keep or Path(tmp.name) / "bench.sqlite3"
    for stale in (sqlite_path, Path(f"{sqlite_path}-wal"), Path(f"{sqlite_path}-shm")):
        stale.unlink(missing_ok=True)  # --keep from an earlier run
    targets.append(("SQLite", f"sqlite:///{sqlite_path}"))
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    summary_rows = []
    for backend, url in targets:
        schema = None
        if backend == "PostgreSQL":  # a schema of our own, dropped afterwards: never touches real tables
            schema, url = _pg_schema(url)
        store = Store(url)
        try:
            store.migrate()
            print(f"{backend}: 生成并写入 {args.rows:,} 条提问记录 …", flush=True)
            seconds = load(store, args.rows)
            print(f"{backend}: 写入用时 {seconds:.1f} s（{args.rows / seconds:,.0f} 条/秒）", flush=True)
            for result in run(store, args.rows, args.repeat):
                summary_rows.append((backend, *result))
        finally:
            store.engine.dispose()
            if schema:
                _drop_schema(args.postgres, schema)
    print()
    print(f"| 数据库 | 期间 | 报表 | 首次 (s) | 最快 (s) | 本进程 CPU (s) |   ({args.rows:,} 条，{YEAR.label()})")
    print("|---|---|---|---:|---:|---:|")
    for backend, label, name, first, best, cpu in summary_rows:
        print(f"| {backend} | {label} | {name} | {first:.2f} | {best:.2f} | {cpu:.2f} |")
    worst = max(r[3] for r in summary_rows)
    print(f"\n最慢一项（首次）：{worst:.2f} s；目标 ≤ 5 s：{'达到' if worst <= 5 else '未达到'}")
    print(f"中位数（首次）：{statistics.median(r[3] for r in summary_rows):.2f} s")
    tmp.cleanup()
    return 0 if worst <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
