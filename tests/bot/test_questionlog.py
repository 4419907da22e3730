"""The question log: pseudonymised and masked everywhere, idempotent, and never losing a row."""

from __future__ import annotations

import datetime
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.privacy import MaskingFilter
from bot.questionlog import QuestionLog
from bot.questionlog_days import purge
from bot.questionlog_table import QuestionLogRow as LogRow
from knowledge.document import Document, Hit, SearchResult
from knowledge.store import Store

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PERSONAL = {
    "phone": "13812345678",
    "landline": "0951-5012345",
    "id": "110105199001011234",
    "card": "6222 0212 3456 7890 123",
    "email": "zhang.san@example.com",
}
RAW_PIECES = ["13812345678", "5012345", "110105199001011234", "6222021234567890123", "0212 3456 7890",
              "zhang.san", "zhang", OPENID]
FAQ = Document(kind="faq", id=7, title="低保怎么申请？", body="……", category="社会救助")


def result_for(question: str, terms: tuple[str, ...], *, answered: bool = True) -> SearchResult:
    hits = (Hit(FAQ, 4.2, terms[:1]),) if answered else ()
    return SearchResult(question, terms, hits, answered)


def rows(store: Store) -> list[LogRow]:
    with store.session() as session:
        return list(session.scalars(select(LogRow).order_by(LogRow.id)))


def record(log: QuestionLog, key: str | None = "m:1", question: str = "低保怎么申请", **overrides) -> None:
    terms = overrides.pop("terms", ("最低生活保障", "如何", "申请"))
    answered = overrides.pop("answered", True)
    log.record(openid=overrides.pop("openid", OPENID), message_key=key, question=question,
               result=result_for(question, terms, answered=answered), answered=answered,
               reply_kind="answer_faq" if answered else "not_found", latency_ms=12.3, **overrides)


class FlakyStore(Store):
    """A real store that can be switched off, as a database that is down or locked."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.down = False
        self.attempts = 0
        self.threads: set[int] = set()  # every thread that opened a session

    def session(self):
        self.attempts += 1
        self.threads.add(threading.get_ident())
        if self.down:
            raise OperationalError("INSERT", {"q": "电话13812345678"}, Exception("database is locked"))
        return super().session()


@pytest.fixture
def flaky(tmp_path: Path) -> FlakyStore:
    store = FlakyStore(f"sqlite:///{tmp_path / 'flaky.sqlite3'}")
    store.migrate()
    return store


@pytest.fixture
def masked_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog with the masking filter installed, as the app installs it on the root handlers."""
    masking = MaskingFilter()
    caplog.handler.addFilter(masking)
    caplog.set_level(logging.DEBUG)
    yield caplog
    caplog.handler.removeFilter(masking)


def test_personal_data_never_reaches_the_database(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    question = "我叫张三，电话{phone}，座机{landline}，身份证{id}，卡号{card}，邮箱{email}，低保怎么申请".format(
        **PERSONAL)
    # Terms as the search would cut the unmasked text: digits and e-mail parts included.
    terms = ("张三", "电话", "13812345678", "座机", "0951", "5012345", "身份证", "110105199001011234", "卡号",
             "6222", "0212", "3456", "7890", "123", "邮箱", "zhang", "san", "example", "com", "最低生活保障")
    log.record(openid=OPENID, message_key=f"m:{OPENID}:123", question=question,
               result=result_for(question, terms), answered=True, reply_kind="answer_faq", latency_ms=5)
    (row,) = rows(store)
    stored = json.dumps({c.name: str(getattr(row, c.name)) for c in LogRow.__table__.columns}, ensure_ascii=False)
    for piece in RAW_PIECES:
        assert piece not in stored, piece
    assert "138****5678" in row.question and "最低生活保障" in row.terms.split()


def test_the_user_is_pseudonymous_but_countable(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    record(log, "m:1")
    record(log, "m:2")
    first, second = rows(store)
    assert first.user_hash == second.user_hash and len(first.user_hash) == 64 and OPENID not in first.user_hash


def test_a_wechat_retry_is_logged_once(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    record(log, f"m:{OPENID}:42")
    record(log, f"m:{OPENID}:42")
    assert len(rows(store)) == 1


def test_top_hits_and_answer_details_are_stored(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    asked = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    record(log, asked_at=asked)
    (row,) = rows(store)
    assert (row.top_kind, row.top_id, row.top_title, row.top_category) == ("faq", 7, FAQ.title, "社会救助")
    assert json.loads(row.hits_json) == [{"kind": "faq", "id": 7, "title": FAQ.title, "score": 4.2}]
    assert (row.answered, row.reply_kind, row.latency_ms) == (True, "answer_faq", 12.3)
    assert row.asked_at == datetime.datetime(2026, 3, 1, 1, 30)  # naive UTC


def test_feedback_attaches_to_the_question_with_that_message_key(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    record(log, f"m:{OPENID}:1")
    record(log, f"m:{OPENID}:2")
    log.record_feedback(f"m:{OPENID}:2", "unsatisfied")
    assert [r.feedback for r in rows(store)] == [None, "unsatisfied"]


def test_unknown_feedback_value_is_refused(tmp_path: Path, flaky: FlakyStore) -> None:
    with pytest.raises(ValueError):
        QuestionLog(flaky, "secret", tmp_path / "spool", background=False).record_feedback("m:1", "meh")


def test_a_failed_write_is_spooled_masked_and_replayed_on_the_next_write(
    flaky: FlakyStore, tmp_path: Path, masked_logs: pytest.LogCaptureFixture
) -> None:
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=0)
    flaky.down = True
    record(log, "m:1", question="电话13812345678 低保怎么申请")
    log.record_feedback("m:1", "satisfied")
    spooled = (tmp_path / "spool" / "questionlog.jsonl").read_text(encoding="utf-8")
    assert len(spooled.splitlines()) == 2
    assert "13812345678" not in spooled and OPENID not in spooled
    assert "spooled" in masked_logs.text and "13812345678" not in masked_logs.text
    flaky.down = False
    record(log, "m:2", question="宅基地怎么审批", terms=("宅基地", "审批"), answered=False)
    stored = rows(flaky)
    assert [r.question for r in stored] == ["电话138****5678 低保怎么申请", "宅基地怎么审批"]
    assert stored[0].feedback == "satisfied"
    assert not log.spool.pending()


def test_an_interrupted_replay_loses_nothing_and_duplicates_nothing(flaky: FlakyStore, tmp_path: Path) -> None:
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=0)
    flaky.down = True
    for i in range(5):
        record(log, f"m:{i}")
    flaky.down = False
    log._apply([json.loads(line) for line in log.spool.path.read_text().splitlines()[:2]])  # half replayed
    with log.spool.path.open("a") as spool:
        spool.write('{"op": "insert", "row": {"asked_')  # a line cut short by a crash
    assert log.flush_spool() == 5
    assert len(rows(flaky)) == 5


def test_the_reply_never_waits_for_a_slow_database(flaky: FlakyStore, tmp_path: Path) -> None:
    # The caller's thread never opens a database session: the background writer does, so a
    # slow database cannot hold up the reply (measured by thread, not by a clock).
    log = QuestionLog(flaky, "secret", tmp_path / "spool")  # background writer, as in production
    flaky.threads.clear()  # forget the fixture's own migration
    record(log, "m:1")
    record(log, "m:2")
    assert log.flush(timeout=10)
    writers = set(flaky.threads)
    assert len(rows(flaky)) == 2
    assert writers and threading.get_ident() not in writers


def test_while_the_database_is_down_rows_go_straight_to_the_spool(flaky: FlakyStore, tmp_path: Path) -> None:
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=60)
    flaky.down = True
    record(log, "m:1")
    attempts = flaky.attempts
    record(log, "m:2")
    record(log, "m:3")
    assert flaky.attempts == attempts
    assert len(log.spool.path.read_text().splitlines()) == 3


def test_a_crashed_replayer_leaves_a_file_the_next_replay_takes(flaky: FlakyStore, tmp_path: Path) -> None:
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=0)
    flaky.down = True
    record(log, "m:1")
    flaky.down = False
    orphan = log.spool.directory / "questionlog.999.deadbeef.replaying"
    log.spool.path.rename(orphan)
    assert log.flush_spool() == 1 and not orphan.exists()


def test_concurrent_writers_lose_no_row(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool")
    def write(n: int) -> None:
        for i in range(25):
            record(log, f"m:{n}:{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log.flush(timeout=20)
    assert len(rows(store)) == 100


def test_hot_topics_are_the_most_answered_entries_and_cached(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    other = Document(kind="item", id=3, title="2026年春耕补贴公示", body="", category="农业")
    for i in range(3):
        record(log, f"m:a{i}")
    log.record(openid=OPENID, message_key="m:b", question="春耕补贴", result=SearchResult(
        "春耕补贴", ("春耕", "补贴"), (Hit(other, 3.0, ("补贴",)),), True), answered=True, reply_kind="answer_item",
        latency_ms=1)
    record(log, "m:c", question="没答上的", answered=False)
    assert log.hot_topics(days=30, limit=3) == [FAQ.title, other.title]
    for i in range(5):
        log.record(openid=OPENID, message_key=f"m:d{i}", question="春耕补贴", result=SearchResult(
            "春耕补贴", ("春耕", "补贴"), (Hit(other, 3.0, ("补贴",)),), True), answered=True,
            reply_kind="answer_item", latency_ms=1)
    assert log.hot_topics(days=30, limit=3) == [FAQ.title, other.title]  # still the cached answer


def test_hot_topics_survive_a_database_outage(flaky: FlakyStore, tmp_path: Path) -> None:
    flaky.down = True
    assert QuestionLog(flaky, "secret", tmp_path / "spool", background=False).hot_topics() == []


def test_purge_deletes_only_questions_past_retention(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    now = datetime.datetime(2026, 6, 1, 12, 0)
    record(log, "m:old", asked_at=now - datetime.timedelta(days=400))
    record(log, "m:edge", asked_at=now - datetime.timedelta(days=364))
    record(log, "m:new", asked_at=now - datetime.timedelta(days=1))
    assert purge(store, 365, now=now) == 1
    assert len(rows(store)) == 2


def test_a_row_the_database_refuses_is_set_aside_and_does_not_block_the_spool(
    flaky: FlakyStore, tmp_path: Path
) -> None:
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=0)
    flaky.down = True
    record(log, "m:1")
    with log.spool.path.open("a") as spool:
        spool.write(json.dumps({"op": "insert", "row": {"no_such_column": 1}}) + "\n")
    record(log, "m:2")
    flaky.down = False
    assert log.flush_spool() == 2
    assert len(rows(flaky)) == 2
    assert "no_such_column" in (log.spool.directory / "questionlog.rejected.jsonl").read_text()


def test_our_own_log_lines_carry_no_personal_data_even_without_the_filter(
    flaky: FlakyStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = QuestionLog(flaky, "secret", tmp_path / "spool", background=False, retry_after=0)
    flaky.down = True  # the database error quotes a phone number: the log line must not
    record(log, f"m:{OPENID}:1", question="电话13812345678，身份证110105199001011234，邮箱zhang.san@example.com")
    flaky.down = False
    record(log, f"m:{OPENID}:2")
    assert "database write failed" in caplog.text and "replayed" in caplog.text
    for piece in RAW_PIECES:
        assert piece not in caplog.text, piece


# -- the journal: durable before the reply ------------------------------------------------------


class StalledStore(FlakyStore):
    """A database whose writes hang until released, as a locked SQLite or a hung PostgreSQL."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.release = threading.Event()
        self.release.set()
        self.migrate()
        self.release.clear()

    def session(self):
        self.release.wait(10)
        return super().session()


def test_a_recorded_row_is_in_the_journal_before_record_returns(tmp_path: Path) -> None:
    stalled = StalledStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    log = QuestionLog(stalled, "secret", tmp_path / "spool")
    try:
        for n in range(5):
            record(log, key=f"m:{n}", question=f"电话13812345678 第{n}个问题")
        journal = b"".join(p.read_bytes() for p in (tmp_path / "spool").glob("journal.*.jsonl"))
        lines = journal.decode("utf-8").splitlines()
        assert len(lines) == 5 and "13812345678" not in journal.decode("utf-8")
    finally:
        stalled.release.set()
        assert log.flush()
    assert len(rows(stalled)) == 5
    assert all(p.stat().st_size == 0 for p in (tmp_path / "spool").glob("journal.*.jsonl"))


def test_the_journal_of_a_process_that_died_is_replayed_by_the_next_start(tmp_path: Path) -> None:
    stalled = StalledStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    dead = QuestionLog(stalled, "secret", tmp_path / "spool")
    for n in range(7):
        record(dead, key=f"m:{n}")
    # The process dies: its writer never finishes and its journal lock is released by the kernel.
    assert dead.journal._fd is not None
    os.close(dead.journal._fd)
    dead.journal._fd = None

    healthy = Store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    restarted = QuestionLog(healthy, "secret", tmp_path / "spool")
    assert restarted.recover() == 7
    assert len(rows(healthy)) == 7
    stalled.release.set()  # the dead writer's late write is a duplicate, ignored
    dead.flush()
    assert len(rows(healthy)) == 7


def test_a_live_process_journal_is_not_taken_for_an_orphan(tmp_path: Path) -> None:
    stalled = StalledStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    alive = QuestionLog(stalled, "secret", tmp_path / "spool")
    try:
        record(alive, key="m:1")
        other = QuestionLog(Store(f"sqlite:///{tmp_path / 'db.sqlite3'}"), "secret", tmp_path / "spool")
        assert other.recover() == 0
    finally:
        stalled.release.set()
        alive.flush()
    assert len(rows(stalled)) == 1


def test_threads_appending_to_the_journal_at_once_share_a_sync_and_every_line_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import spool
    from bot.spool import Journal

    journal = Journal(tmp_path)
    threads_count = 8
    syncs: list[int] = []

    def slow_first_sync(fd: int) -> None:
        syncs.append(fd)
        while len(syncs) == 1 and journal._written < threads_count:  # the others write meanwhile
            threading.Event().wait(0.005)
        os.fsync(fd)

    monkeypatch.setattr(spool, "_datasync", slow_first_sync)
    threads = [threading.Thread(target=journal.append, args=({"op": "insert", "n": n},))
               for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (path,) = tmp_path.glob("journal.*.jsonl")
    lines = [json.loads(line)["n"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(lines) == list(range(threads_count))
    assert len(syncs) < threads_count, syncs  # 2 when every thread writes during the first sync


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "question-log" and t.is_alive()]


def test_close_writes_what_was_submitted_and_ends_the_writer(store: Store, tmp_path: Path) -> None:
    """A closed log's writer must not go on retrying its spool against a database that is gone."""
    log = QuestionLog(store, "secret", tmp_path / "spool")
    before = set(_writers())
    record(log, "m:1")
    writer = next(iter(set(_writers()) - before))
    log.close()
    writer.join(timeout=5)
    assert not writer.is_alive()
    assert [r.question for r in rows(store)] == ["低保怎么申请"]
    record(log, "m:2", question="危房改造补助多少钱")  # a row after close starts a new writer
    log.flush()
    assert [r.question for r in rows(store)] == ["低保怎么申请", "危房改造补助多少钱"]
    log.close()
