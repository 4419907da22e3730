"""Items indexed by passage: a fact deep in a long notice is found, and its document ranks."""

from __future__ import annotations

from typing import Any

from knowledge import passages
from knowledge.document import Document
from knowledge.fielded import FieldedIndex
from knowledge.search import Searcher
from knowledge.text import TextProcessor

COVER = "各街道、镇人民政府：现将《老旧电梯更新改造补助办法》印发给你们，请认真遵照执行。"
FILLER = "第{n}条 本办法所称的住宅电梯，是指本区住宅小区中使用的乘客电梯和载货电梯，由物业服务企业负责日常管理。"
ANSWER = "第九条 住宅电梯进行更新的，每台补助不超过项目总费用的30%，且不高于10万元。"


def long_body() -> str:
    before = [FILLER.format(n=n) for n in range(1, 40)]
    after = [FILLER.format(n=n) for n in range(40, 60)]
    return "\n".join([COVER, *before, ANSWER, *after])


def item(**kw) -> Document:
    values: dict[str, Any] = {"kind": "item", "id": 1, "title": "关于印发《老旧电梯更新改造补助办法》的通知",
                              "body": long_body()}
    values.update(kw)
    return Document(**values)


def test_passages_keep_every_character_of_the_body_in_order() -> None:
    body = long_body()
    parts = passages.split_passages(body, 200)
    assert "".join(parts).replace("\n", "") == body.replace("\n", "")
    assert all(len(p) <= 200 for p in parts if "\n" in p)


def test_a_short_heading_joins_the_paragraph_after_it() -> None:
    parts = passages.split_passages("第一章 总则\n" + "第一条 为了加强管理，制定本办法。" * 3, 240)
    assert parts[0].startswith("第一章 总则\n第一条")


def test_a_paragraph_longer_than_a_passage_is_cut_between_sentences() -> None:
    paragraph = "".join(f"这是第{n}句话，内容较长一些以便超出长度。" for n in range(30))
    parts = passages.split_passages(paragraph, 100)
    assert len(parts) > 1 and all(p.endswith("。") for p in parts)


def test_expand_splits_items_but_leaves_faq_entries_whole() -> None:
    faq = Document(kind="faq", id=2, title="低保怎么申请？", body="向村委会申请。" * 100)
    expanded = passages.expand([faq, item()])
    assert expanded[0] is faq
    parts = expanded[1:]
    assert len(parts) > 3 and {p.key for p in parts} == {"item:1"}
    assert [p.part for p in parts] == list(range(len(parts)))
    assert all(p.title == item().title for p in parts)


def test_collapse_keeps_the_best_passage_of_each_document() -> None:
    a0, a1, b = item(part=0), item(part=1), item(id=2, part=0)
    kept = passages.collapse([_Entry(a0), _Entry(a1), _Entry(b)], 10)
    assert [k.doc for k in kept] == [a0, b]
    assert len(passages.collapse([_Entry(a0), _Entry(b)], 1)) == 1


class _Entry:
    def __init__(self, doc: Document) -> None:
        self._doc = doc

    @property
    def doc(self) -> Document:
        return self._doc


def test_search_finds_the_item_by_a_fact_deep_in_its_body_and_returns_each_item_once() -> None:
    processor = TextProcessor()
    other = Document(kind="faq", id=9, title="电梯坏了找谁修？", body="请联系物业服务企业报修。")
    docs = passages.expand([item(), other])
    searcher = Searcher(FieldedIndex(docs, processor), processor)
    result = searcher.search("电梯更新 每台最多补助多少万元")
    keys = [h.doc.key for h in result.hits]
    assert keys[0] == "item:1" and len(keys) == len(set(keys))
    assert ANSWER in result.hits[0].doc.body


def test_adding_items_never_reorders_faq_entries_among_themselves() -> None:
    from knowledge.kinds import KindIndex

    processor = TextProcessor()
    faqs = [Document(kind="faq", id=i, title=t, body=b) for i, (t, b) in enumerate([
        ("电梯坏了找谁修？", "请联系物业服务企业报修。"),
        ("加装电梯有补贴吗？", "符合条件的既有多层住宅加装电梯可申请补贴。"),
        ("低保怎么申请？", "向户籍所在地街道提出书面申请。"),
    ])]
    alone = Searcher(KindIndex(faqs, processor), processor)
    together = Searcher(KindIndex(passages.expand([*faqs, item()]), processor), processor)
    for question in ("电梯坏了", "加装电梯补贴", "低保申请"):
        faq_order = [h.doc.key for h in together.search(question).hits if h.doc.kind == "faq"]
        assert faq_order == [h.doc.key for h in alone.search(question).hits]
