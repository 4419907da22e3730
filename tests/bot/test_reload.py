"""Live at once: a committed edit reaches every process's index without any traffic."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from bot.runtime import Runtime, get_runtime
from knowledge.editor import FaqData, KbEditor
from knowledge.segmemo import DbSegmentCache
from tests.support import OTHER, add_knowledge

NEW = FaqData(question="独生子女父母奖励金怎么领？", answer="持独生子女父母光荣证到村委会登记，每年发放一次。")


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll `condition`; the timeout only keeps a broken build from hanging the suite."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def watch(app: Flask) -> Runtime:
    runtime = get_runtime(app)
    assert runtime.reloader is not None
    runtime.reloader.ensure_started()
    assert runtime.reloader.ready.wait(20)
    return runtime


def serves_new_entry(runtime: Runtime) -> bool:
    hits = runtime.kb.search(NEW.question).hits
    return bool(hits) and hits[0].doc.title == NEW.question


def test_an_edit_reaches_another_instance_through_the_redis_notification(instances) -> None:
    # A 60 s poll interval: only the notification can bring the edit over within the wait.
    editor_app, other_app = instances(interval="60"), instances(interval="60")
    add_knowledge(get_runtime(editor_app), faqs=OTHER)
    other = watch(other_app)
    assert wait_until(lambda: other.kb.size == len(OTHER), timeout=90)
    KbEditor(get_runtime(editor_app).db, editor="test").save_faq(NEW)
    assert wait_until(lambda: serves_new_entry(other))


def test_stopping_a_subscribed_watcher_ends_it_though_its_interval_is_long(instances) -> None:
    runtime = watch(instances(interval="600"))  # waiting on the Redis channel, not polling
    KbEditor(runtime.db, editor="test").save_faq(NEW)
    assert wait_until(lambda: serves_new_entry(runtime))  # notified: it has gone back to waiting
    assert runtime.reloader is not None and runtime.reloader.running
    runtime.reloader.stop()
    assert not runtime.reloader.running  # stop() waits a slice, not the ten minutes


def test_without_redis_the_version_check_brings_the_edit_over(instances) -> None:
    editor_app, other_app = instances(redis=False), instances(redis=False)
    other = watch(other_app)
    KbEditor(get_runtime(editor_app).db, editor="test").save_faq(NEW)
    assert wait_until(lambda: serves_new_entry(other))


def test_every_watching_process_serves_the_edit(instances) -> None:
    runtimes = [watch(instances()) for _ in range(3)]
    KbEditor(runtimes[0].db, editor="test").save_faq(NEW)
    assert wait_until(lambda: all(serves_new_entry(r) for r in runtimes))


def test_a_one_entry_edit_segments_only_that_entry(runtime: Runtime) -> None:
    add_knowledge(runtime, faqs=OTHER)
    add_knowledge(runtime, faqs=[NEW])
    assert runtime.kb.snapshot.segmented == 2  # its question and its answer, nothing else


def test_a_one_entry_edit_rereads_only_that_entry(runtime: Runtime) -> None:
    add_knowledge(runtime, faqs=OTHER)
    before = dict(runtime.kb.snapshot.documents)
    changed = before[next(iter(before))]
    KbEditor(runtime.db).save_faq(FaqData(question=changed.title, answer="新的答案。"), faq_id=changed.id)
    runtime.kb.maybe_reload(wait=True)
    after = runtime.kb.snapshot.documents
    assert after[changed.key].body == "新的答案。"
    assert all(after[key] is doc for key, doc in before.items() if key != changed.key)


def test_disabling_an_entry_removes_it_from_the_next_build(runtime: Runtime) -> None:
    add_knowledge(runtime, faqs=OTHER)
    first = next(iter(runtime.kb.snapshot.documents.values()))
    KbEditor(runtime.db).set_faq_enabled(first.id, False)
    runtime.kb.maybe_reload(wait=True)
    assert first.key not in runtime.kb.snapshot.documents and runtime.kb.size == len(OTHER) - 1


def test_the_segment_memory_keeps_only_what_the_served_version_uses(make_app: Callable[..., Flask]) -> None:
    # The in-memory index keeps segmentations between rebuilds (the shared index has its own
    # per-build files), so this is about INDEX_DIR=memory.
    runtime = get_runtime(make_app(INDEX_DIR="memory"))
    assert runtime.kb.index_dir is None
    add_knowledge(runtime, faqs=[*OTHER, NEW])
    before = len(runtime.kb._segments)
    assert before >= 2 * (len(OTHER) + 1)  # every question and answer is remembered
    entry = KbEditor(runtime.db).save_faq(FaqData(question=NEW.question, answer="改写后的答案：到村委会登记。"))
    runtime.kb.maybe_reload(wait=True)
    # the new answer is remembered and the replaced one forgotten: the memo does not grow
    assert entry.id is not None and len(runtime.kb._segments) == before


def test_healthz_reports_the_served_and_the_stored_version(app: Flask) -> None:
    runtime = get_runtime(app)
    KbEditor(runtime.db).save_faq(NEW)  # no watcher in a test app, and no search yet
    body = app.test_client().get("/healthz").get_json()
    assert (body["kb_version"], body["kb_version_stored"]) == (0, 1)


def test_two_processes_saving_the_same_new_segmentation_both_succeed(store) -> None:
    caches = [DbSegmentCache(store), DbSegmentCache(store)]
    for cache in caches:
        cache.preload()
        cache.put("a" * 40, ["低保", "申请"])
    for cache in caches:
        cache.flush()
    fresh = DbSegmentCache(store)
    fresh.preload()
    assert fresh.get("a" * 40) == ["低保", "申请"]


def test_a_search_during_a_rebuild_is_answered_from_the_old_version(runtime: Runtime) -> None:
    add_knowledge(runtime, faqs=OTHER)
    old = runtime.kb.snapshot
    KbEditor(runtime.db).save_faq(NEW)
    runtime.kb.maybe_reload(wait=True)
    assert old.searcher is not None
    assert not any(h.doc.title == NEW.question for h in old.searcher.search(NEW.question).hits)
    assert serves_new_entry(runtime)


def test_an_unreachable_redis_falls_back_to_the_version_check(make_app) -> None:
    editor_app = make_app()
    watcher_app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT="0.2")
    watching = watch(watcher_app)
    try:
        KbEditor(get_runtime(editor_app).db, editor="test").save_faq(NEW)
        assert wait_until(lambda: serves_new_entry(watching))
        assert watching.reloader is not None and watching.reloader.redis_errors >= 1
    finally:
        if watching.reloader is not None:
            watching.reloader.stop()
