"""The term associations (knowledge/associations.py) in a shared build: learned by the builder,
mapped read-only by every process, and deciding exactly as an index built in memory does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.associations import MappedAssociations, TermAssociations
from knowledge.base import KnowledgeBase
from knowledge.decision import DecisionKind
from knowledge.editor import KbEditor
from knowledge.served import SharedIndex
from knowledge.store import Store
from knowledge.validation import FaqData
from tests.knowledge.test_shared_index import FAQS

# Staff write 牌匾标识 where citizens say 招牌: three entries teach the pair, two others hold
# 牌匾 and 维护 but never 招牌. "招牌维护" is resolved only through the association.
SIGNS = [
    FaqData(question="店铺招牌怎么设置", answer="设置牌匾标识应当向城管部门备案。"),
    FaqData(question="招牌坏了谁来修", answer="牌匾标识由设置人负责修缮。"),
    FaqData(question="招牌能挂多大", answer="牌匾标识的尺寸按规范执行。"),
    FaqData(question="牌匾标识载体谁来维护", answer="牌匾标识载体所有人负责日常维护和安全检查。"),
    FaqData(question="牌匾标识维护需要什么材料", answer="维护牌匾标识需要提交安全检测报告。"),
]
PARAPHRASE = "招牌维护"
QUESTIONS = [PARAPHRASE, "招牌谁来维护", "招牌坏了找谁", "招牌要什么材料", "低保怎么申请", "养狗要登记吗"]


def decisions(kb: KnowledgeBase) -> list[tuple[object, ...]]:
    """What the reply stage sees of each question: decision, entries, own and associated words."""
    found: list[tuple[object, ...]] = []
    for question in QUESTIONS:
        d = kb.decide(question)
        found.append((question, d.kind, d.reason, [(h.doc.key, h.matched, h.associated) for h in d.hits]))
    return found


@pytest.fixture
def filled(store: Store) -> KbEditor:
    editor = KbEditor(store, editor="test")
    for faq in [*FAQS, *SIGNS]:
        editor.save_faq(faq)
    return editor


def test_the_paraphrase_is_resolved_only_by_the_associations(filled, store, processor) -> None:
    kb = KnowledgeBase(store, processor)
    kb.load()
    with_associations = kb.decide(PARAPHRASE)
    assert with_associations.kind is DecisionKind.CHOICES
    assert all(h.associated == ("招牌",) for h in with_associations.hits)
    assert kb.snapshot.searcher is not None
    kb.snapshot.searcher.expansion = None
    assert kb.decide(PARAPHRASE).kind is DecisionKind.NOT_FOUND


def test_a_shared_build_decides_exactly_as_a_build_in_memory(filled, store, processor, tmp_path) -> None:
    memory = KnowledgeBase(store, processor)
    shared = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    memory.load()
    shared.load()
    assert decisions(shared) == decisions(memory)
    assert shared.decide(PARAPHRASE).kind is DecisionKind.CHOICES


def test_the_builds_associations_are_mapped_read_only_arrays(filled, store, processor, tmp_path) -> None:
    kb = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    kb.load()
    assert kb.snapshot.shared is not None
    mapped = kb.snapshot.shared.expansion.associations
    assert isinstance(mapped, MappedAssociations)
    for name in MappedAssociations.ARRAYS:
        array = getattr(mapped, name)
        assert isinstance(array.base, np.memmap) and not array.flags.writeable  # a view of the mapped file


def test_mapped_associations_answer_as_the_learned_model() -> None:
    model = TermAssociations({"招牌": (("牌匾", 0.9), ("设置", 0.6)), "牌匾": (("招牌", 0.9),), "社会救助": ()})
    mapped = MappedAssociations.from_model(model)
    for word in ("招牌", "牌匾", "设置", "社会救助", "不在", ""):
        assert tuple(mapped.partners_of(word)) == tuple(model.partners_of(word))
    assert mapped.expand(["招牌"], 5) == model.expand(["招牌"], 5)
    empty = MappedAssociations.from_model(TermAssociations({}))
    assert len(empty) == 0 and empty.partners_of("招牌") == ()


def test_a_second_process_maps_the_associations_without_learning_them(filled, store, processor, tmp_path,
                                                                       monkeypatch) -> None:
    KnowledgeBase(store, processor, index_dir=tmp_path / "index").load()

    def refuse(*_args: object, **_kwargs: object) -> TermAssociations:
        raise AssertionError("a serving process learned the associations again")

    monkeypatch.setattr("knowledge.associations.learn_for", refuse)
    monkeypatch.setattr("knowledge.associations.expansion_for", refuse)
    second = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    second.load()
    assert second.decide(PARAPHRASE).kind is DecisionKind.CHOICES


@pytest.mark.parametrize("edit", ["unrelated", "new sign entry"])
def test_a_delta_edit_keeps_the_associations_and_credits_its_own_entries(
    filled, store, processor, tmp_path: Path, monkeypatch, edit: str
) -> None:
    shared = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    shared.load()
    if edit == "unrelated":
        filled.save_faq(FaqData(question=FAQS[0].question, answer=FAQS[0].answer + "（新）"))
    else:
        filled.save_faq(FaqData(question="谁负责维护牌匾标识", answer="牌匾标识的设置人负责维护。"))
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)  # another process is building
    shared.refresh()
    assert shared.snapshot.pending is not None  # served as a delta on the old build
    memory = KnowledgeBase(store, processor)
    memory.load()
    if edit == "unrelated":
        assert decisions(shared) == decisions(memory)
    else:  # the delta scores its entry with the old build's statistics: compared after the build
        added = [h for h in shared.decide(PARAPHRASE).hits if h.doc.title == "谁负责维护牌匾标识"]
        assert added and added[0].associated == ("招牌",)  # a delta's entry holds the associate too
    monkeypatch.undo()
    shared.refresh()  # the full build replaces the delta
    assert shared.snapshot.pending is None
    assert decisions(shared) == decisions(memory)


def test_a_tested_change_is_decided_with_the_served_associations(filled, store, processor, tmp_path) -> None:
    kb = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    kb.load()
    unrelated = kb.snapshot.documents["faq:1"]
    variant = kb.variant({"faq:1": unrelated})  # 待审核: a change tested before it is published
    assert variant.decide(PARAPHRASE).kind is DecisionKind.CHOICES
