"""Index builds shared by the processes of a machine (knowledge/shared.py, persist.py, served.py)
and edits served as a delta on top of them (knowledge/delta.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from knowledge.base import KnowledgeBase
from knowledge.editor import KbEditor
from knowledge.served import SharedIndex
from knowledge.shared import Builds
from knowledge.store import Store
from knowledge.text import TextProcessor
from knowledge.validation import FaqData, ItemData

FAQS = [
    FaqData(question="怎么申请最低生活保障", answer="携带身份证和户口本到村委会提出低保申请，镇政府审核后公示。"),
    FaqData(question="新生儿怎么办理医保", answer="出生后三个月内持出生医学证明到医保经办窗口参保登记。"),
    FaqData(question="养犬需要办理登记证吗", answer="需要。到派出所办理养犬登记证，并按时为犬只注射狂犬疫苗。"),
    FaqData(question="宅基地建房需要什么手续",
            answer="向村委会提出申请，经乡镇审核后办理农村宅基地批准书和乡村建设规划许可证。"),
    FaqData(question="残疾人证怎么办理", answer="持身份证和照片到县残联申请，经指定医院评定残疾等级后发证。"),
    FaqData(question="高龄津贴每月多少钱", answer="八十周岁以上老人每月领取高龄津贴一百元，九十周岁以上二百元。"),
    FaqData(question="临时救助怎么申请", answer="因突发事件生活困难的家庭可向乡镇申请临时救助，需提供困难证明。"),
    FaqData(question="独生子女父母奖励怎么领", answer="持独生子女父母光荣证到村计生专干处登记，每年发放奖励金。"),
]
QUESTIONS = ["低保怎么申请", "孩子刚出生医保怎么办", "养狗要登记吗", "盖房子要什么手续", "老人津贴多少钱",
             "残疾证在哪里办", "家里困难能申请救助吗"]


def fill(store: Store, faqs: list[FaqData] = FAQS) -> list[int]:
    editor = KbEditor(store, editor="test")
    return [editor.save_faq(f).row.id for f in faqs]


def shared_kb(store: Store, processor: TextProcessor, folder: Path) -> KnowledgeBase:
    return KnowledgeBase(store, processor, index_dir=folder)


def ranking(kb: KnowledgeBase, query: str) -> list[tuple[str, float]]:
    return [(h.doc.key, round(h.score, 6)) for h in kb.search(query).hits[:5]]


def test_a_second_process_maps_the_build_instead_of_building_again(store, processor, tmp_path, monkeypatch) -> None:
    fill(store)
    first = shared_kb(store, processor, tmp_path / "index")
    first.load()

    def refuse(*_args: object) -> dict:
        raise AssertionError("the second process rebuilt a version that was already built")

    monkeypatch.setattr(SharedIndex, "write", refuse)
    second = shared_kb(store, processor, tmp_path / "index")
    second.load()
    assert second.snapshot.shared is not None and first.snapshot.shared is not None
    assert second.snapshot.shared.held.folder == first.snapshot.shared.held.folder
    assert ranking(second, "低保怎么申请") == ranking(first, "低保怎么申请")


def test_a_build_is_mapped_read_only(store, processor, tmp_path) -> None:
    fill(store)
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    assert kb.snapshot.shared is not None
    part = kb.snapshot.shared.index.parts[0]
    for array in (part._inv_doc, part._inv_score, part.fields["text"].post_doc, part.fields["title_chars"].idf):
        assert isinstance(array.base, np.memmap) and not array.flags.writeable  # a view of the mapped file
    with pytest.raises(ValueError):
        part._inv_score[0] = 1.0


def test_a_shared_build_ranks_exactly_as_a_build_in_memory(store, processor, tmp_path) -> None:
    fill(store)
    shared = shared_kb(store, processor, tmp_path / "index")
    memory = KnowledgeBase(store, processor)
    for question in QUESTIONS:
        assert ranking(shared, question) == ranking(memory, question)
        assert shared.search(question).assessment == memory.search(question).assessment


def test_concurrent_builders_build_once(tmp_path) -> None:
    builds = Builds(tmp_path / "index", "abc")
    calls = []

    def write(folder: Path) -> dict:
        calls.append(folder)
        time.sleep(0.2)  # long enough that the other builders arrive while this one holds the lock
        (folder / "data.npy").write_bytes(b"x")
        return {"version": 1}

    name = builds.name(1)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(builds.build(name, write))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4 and len(calls) == 1 and builds.ready(name)


def test_a_builder_that_does_not_wait_leaves_the_build_to_the_lock_holder(tmp_path) -> None:
    builds = Builds(tmp_path / "index", "abc")
    started, release = threading.Event(), threading.Event()

    def slow(folder: Path) -> dict:
        started.set()
        release.wait(5)
        return {"version": 1}

    holder = threading.Thread(target=builds.build, args=(builds.name(1), slow))
    holder.start()
    started.wait(5)
    assert builds.busy() and builds.build(builds.name(1), slow, wait=False) is False
    release.set()
    holder.join()
    assert not builds.busy() and builds.ready(builds.name(1))


def test_a_crash_mid_build_leaves_no_version_that_anyone_would_map(tmp_path) -> None:
    builds = Builds(tmp_path / "index", "abc")

    def crash(folder: Path) -> dict:
        (folder / "p0_inv_doc.npy").write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        builds.build(builds.name(7), crash)
    assert not builds.ready(builds.name(7)) and builds.newest() is None
    assert not list((tmp_path / "index").glob("v*")) and not list((tmp_path / "index").glob(".tmp-*"))
    # A builder killed outright leaves its temporary folder: never read, removed by the next builder.
    leftover = tmp_path / "index" / f".tmp-{builds.name(7)}-999-dead00"
    leftover.mkdir()
    assert builds.newest() is None and builds.open(leftover.name) is None
    builds.build(builds.name(8), lambda folder: {"version": 8})
    assert not leftover.exists() and builds.newest() == builds.name(8)


def test_cleanup_keeps_the_newest_builds_and_every_build_still_served(tmp_path) -> None:
    builds = Builds(tmp_path / "index", "abc")
    for version in range(1, 7):
        builds.build(builds.name(version), lambda folder: {"version": 0})
    # build() cleans up after itself; serve version 2 from "another process" and build once more.
    assert sorted(p.name for p in (tmp_path / "index").glob("v*")) == [builds.name(v) for v in (4, 5, 6)]
    held = builds.open(builds.name(4))
    assert held is not None
    builds.build(builds.name(7), lambda folder: {"version": 7})
    builds.build(builds.name(8), lambda folder: {"version": 8})
    remaining = sorted(p.name for p in (tmp_path / "index").glob("v*"))
    assert remaining == [builds.name(v) for v in (4, 6, 7, 8)]  # 4 is mapped, so it stays
    held.release()
    builds.cleanup()
    assert sorted(p.name for p in (tmp_path / "index").glob("v*")) == [builds.name(v) for v in (6, 7, 8)]


def test_a_build_is_never_taken_for_old_by_its_own_cleanup(tmp_path) -> None:
    # Three releases built version 1 today (another digest each: another lexicon or code); the
    # next release's version 1 ties with them on day and version, and must survive its cleanup.
    for digest in ("aaa", "bbb", "ccc"):
        Builds(tmp_path / "index", digest).build(Builds(tmp_path / "index", digest).name(1), lambda f: {"version": 1})
    builds = Builds(tmp_path / "index", "ddd")
    assert builds.build(builds.name(1), lambda folder: {"version": 1})
    assert builds.newest() == builds.name(1) and builds.open(builds.name(1)) is not None
    remaining = sorted(p.name.rsplit("-", 1)[1] for p in (tmp_path / "index").glob("v*"))
    assert remaining == ["bbb", "ccc", "ddd"]  # the oldest other one goes, three are kept


def test_an_edit_is_served_as_a_delta_at_once(store, processor, tmp_path, monkeypatch) -> None:
    ids = fill(store)
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)  # another process is building
    editor = KbEditor(store)
    editor.save_faq(FaqData(question="养犬需要办理登记证吗", answer="需要。到公安派出所办理养犬登记证（新规）。"),
                    faq_id=ids[2])
    editor.save_faq(FaqData(question="电动车上牌去哪里", answer="带购车发票和合格证到车管所电动车登记点上牌。"))
    kb.refresh()
    assert kb.snapshot.pending is not None and kb.snapshot.segmented == 4  # only the two changed entries
    best = kb.search("养犬需要办理登记证吗").hits[0]
    assert best.doc.id == ids[2] and "新规" in best.doc.body
    assert kb.search("电动车上牌去哪里").hits[0].doc.title == "电动车上牌去哪里"
    edited = kb.document(f"faq:{ids[2]}")
    assert edited is not None and edited.body.endswith("（新规）。") and kb.size == len(FAQS) + 1


def test_a_delta_ranks_as_the_full_build_would(store, processor, tmp_path, monkeypatch) -> None:
    ids = fill(store, FAQS * 3)  # repeated questions make distinct entries: a corpus of 24
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)
    edit = FaqData(question="独生子女父母奖励怎么领取", answer="持光荣证到村计生专干处登记，每年年底发放奖励金。")
    KbEditor(store).save_faq(edit, faq_id=ids[7])
    kb.refresh()
    assert kb.snapshot.pending is not None
    full = KnowledgeBase(store, processor)  # what a full build makes of the same rows
    for question in [*QUESTIONS, "独生子女奖励怎么领取", "光荣证奖励金"]:
        delta, rebuilt = ranking(kb, question), ranking(full, question)
        assert [key for key, _ in delta[:3]] == [key for key, _ in rebuilt[:3]]
        # Scores use the build's idf and average length: close to the full build's, not equal.
        for (_, a), (_, b) in zip(delta[:3], rebuilt[:3], strict=True):
            assert a == pytest.approx(b, rel=0.1)
        assert kb.search(question).answered == full.search(question).answered


def test_the_full_build_replaces_the_delta(store, processor, tmp_path) -> None:
    ids = fill(store)
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    KbEditor(store).save_faq(FaqData(question="残疾人证怎么办理", answer="到县残联窗口申请（新）。"), faq_id=ids[4])
    kb.refresh()  # serves the delta, then builds in this thread (nobody else is) and maps the build
    assert kb.snapshot.pending is None and kb.snapshot.shared is not None
    assert kb.snapshot.shared.held.version == kb.version == store.kb_version()
    assert "（新）" in kb.search("残疾人证怎么办理").hits[0].doc.body


@pytest.mark.parametrize("remove", ["delete", "disable"])
def test_a_deleted_or_disabled_entry_is_hidden_at_once(store, processor, tmp_path, monkeypatch, remove) -> None:
    ids = fill(store)
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)
    editor = KbEditor(store)
    editor.delete_faq(ids[2]) if remove == "delete" else editor.set_faq_enabled(ids[2], False)
    kb.refresh()
    assert kb.snapshot.pending is not None
    assert all(h.doc.id != ids[2] for h in kb.search("养犬需要办理登记证吗").hits)
    assert kb.document(f"faq:{ids[2]}") is None and f"faq:{ids[2]}" not in kb.snapshot.documents
    assert kb.size == len(FAQS) - 1


def test_an_edited_item_is_served_from_the_delta(store, processor, tmp_path, monkeypatch) -> None:
    fill(store)
    editor = KbEditor(store)
    item = editor.save_item(ItemData(title="关于调整城乡低保标准的通知", body="城乡低保标准调整为每人每月七百元。",
                                     keywords="低保 标准")).row.id
    kb = shared_kb(store, processor, tmp_path / "index")
    kb.load()
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)
    editor.save_item(ItemData(title="关于调整城乡低保标准的通知", body="城乡低保标准调整为每人每月八百五十元。",
                              keywords="低保 标准"), item_id=item)
    kb.refresh()
    assert kb.snapshot.pending is not None
    hits = [h for h in kb.search("低保标准调整每人每月多少元").hits if h.doc.kind == "item"]
    assert [h.doc.id for h in hits] == [item] and "八百五十" in hits[0].doc.body
    record = kb.document(f"item:{item}")
    assert record is not None and "八百五十" in record.body


def building_in_child(store: Store, processor: TextProcessor, folder: Path) -> tuple[KnowledgeBase, SharedIndex, str]:
    """A knowledge base serving an edit as a delta while a child process makes the full build."""
    ids = fill(store)
    kb = KnowledgeBase(store, processor, index_dir=folder, build_in_child=True)
    kb.load()
    KbEditor(store).save_faq(FaqData(question="临时救助怎么申请", answer="向乡镇社会事务办申请临时救助（新）。"),
                             faq_id=ids[6])
    kb.refresh()
    shared, pending = kb.shared, kb.snapshot.pending
    assert shared is not None and pending is not None and shared._child is not None
    return kb, shared, pending


def test_a_child_process_makes_the_full_build_while_the_delta_is_served(store, processor, tmp_path) -> None:
    kb, shared, pending = building_in_child(store, processor, tmp_path / "index")
    assert "（新）" in kb.search("临时救助怎么申请").hits[0].doc.body
    assert shared._child is not None
    assert shared._child.wait(120) == 0 and shared.builds.ready(pending)
    assert kb.refresh() and kb.snapshot.pending is None
    assert "（新）" in kb.search("临时救助怎么申请").hits[0].doc.body


def test_closing_waits_for_the_background_build_so_none_outlives_the_database(store, processor, tmp_path) -> None:
    kb, shared, pending = building_in_child(store, processor, tmp_path / "index")
    child = shared._child
    assert child is not None and child.poll() is None
    kb.close()
    assert child.returncode == 0 and shared.builds.ready(pending)
    kb.close()  # nothing left to wait for


def test_a_build_child_that_outlasts_the_close_is_stopped_and_leaves_no_half_build(store, processor, tmp_path) -> None:
    kb, shared, pending = building_in_child(store, processor, tmp_path / "index")
    child = shared._child
    assert child is not None
    shared.close(timeout=0)
    assert child.returncode not in (None, 0) and not shared.builds.ready(pending)
    assert "（新）" in kb.search("临时救助怎么申请").hits[0].doc.body  # the delta is still served


def test_two_databases_sharing_a_folder_never_map_each_others_build(processor, tmp_path) -> None:
    stores = [Store(f"sqlite:///{tmp_path / f'{name}.sqlite3'}") for name in ("a", "b")]
    for store, faqs in zip(stores, (FAQS[:4], FAQS[4:]), strict=True):
        store.migrate()
        fill(store, faqs)
    kbs = [shared_kb(store, processor, tmp_path / "index") for store in stores]
    for kb in kbs:
        kb.load()
    assert kbs[0].version == kbs[1].version  # both "version 4", yet two builds
    assert kbs[0].snapshot.pending is None and kbs[1].snapshot.pending is None
    assert {d.title for d in kbs[1].snapshot.documents.values()} == {f.question for f in FAQS[4:]}
    for store in stores:
        store.engine.dispose()


def test_a_variant_for_review_is_a_delta_on_the_served_build_ranking_as_the_published_change_will(
        store, processor, tmp_path) -> None:
    ids = fill(store)
    served = shared_kb(store, processor, tmp_path / "index")
    served.load()
    KbEditor(store, editor="test").save_faq(FaqData(question="养狗怎么登记", answer="到派出所办理养犬登记证。",
                                                     similar=["狗证在哪里办"]), faq_id=ids[2])
    KbEditor(store, editor="test").delete_faq(ids[4])
    published = shared_kb(store, processor, tmp_path / "index")  # another process, after publishing
    published.load()
    assert published.snapshot.pending is not None  # served as a delta on the same build
    changed = {f"faq:{ids[2]}": published.document(f"faq:{ids[2]}"), f"faq:{ids[4]}": None}
    variant = served.variant(changed)
    assert variant.snapshot.shared is served.snapshot.shared  # no build of its own
    built, searcher = served.snapshot.shared, variant.snapshot.searcher
    assert built is not None and searcher is not None
    assert searcher.expansion is built.expansion  # the build's term associations, as a published delta
    for query in [*QUESTIONS, "养狗怎么登记", "狗证在哪里办"]:
        assert ranking(variant, query) == ranking(published, query)
    assert ranking(served, "狗证在哪里办") != ranking(variant, "狗证在哪里办")  # what is served is untouched
