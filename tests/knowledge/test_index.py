"""BM25 parity with rank-bm25, the inverted-index top-k, and the fielded index."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from knowledge.bm25 import BM25, Scratch
from knowledge.document import Document
from knowledge.fielded import FieldedIndex
from knowledge.segcache import MemorySegmentationCache, segmentation_key


def _random_corpus(seed: int) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.randint(1, 60))]
    # Zipf-like draws, so some terms are in most documents (negative idf, the epsilon floor)
    weights = [1 / (i + 1) for i in range(len(vocab))]
    corpus = [rng.choices(vocab, weights, k=rng.randint(0, 30)) for _ in range(rng.randint(1, 80))]
    if not any(corpus):
        corpus[0] = [vocab[0]]
    query = rng.choices([*vocab, "never-seen", "也没见过"], k=rng.randint(1, 10))
    return corpus, query


@pytest.mark.parametrize("seed", range(40))
def test_scores_equal_rank_bm25_on_random_corpora(seed):
    corpus, query = _random_corpus(seed)
    expected = BM25Okapi(corpus).get_scores(query)
    np.testing.assert_allclose(BM25(corpus).get_scores(query), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("corpus", "query"),
    [
        ([["a"]], ["a"]),  # one document
        ([["a", "b"], ["a"]], ["a", "a", "b"]),  # idf <= 0 everywhere
        ([["a", "a", "b"], ["a", "c"], ["a"]], ["a", "c", "c"]),  # negative idf floored
        ([["x"], [], ["x", "y"]], ["y", "zzz"]),  # empty document, unseen term
        ([["a", "b"], ["b", "c"], ["c", "d"], ["d", "a"]], ["b", "b", "b"]),  # repeated query term
    ],
)
def test_scores_equal_rank_bm25_on_tiny_corpora(corpus, query):
    expected = BM25Okapi(corpus).get_scores(query)
    np.testing.assert_allclose(BM25(corpus).get_scores(query), expected, rtol=0, atol=1e-9)


def test_custom_parameters_are_honoured():
    corpus, query = _random_corpus(99)
    expected = BM25Okapi(corpus, k1=1.2, b=0.5, epsilon=0.1).get_scores(query)
    actual = BM25(corpus, k1=1.2, b=0.5, epsilon=0.1).get_scores(query)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_top_k_is_the_best_of_the_full_scores(seed):
    corpus, query = _random_corpus(seed)
    bm25 = BM25(corpus)
    scores = bm25.get_scores(query)
    matching = [i for i, doc in enumerate(corpus) if set(doc) & set(query)]
    expected = sorted(matching, key=lambda i: (-scores[i], i))[:5]
    top = bm25.top_k(query, 5)
    assert [i for i, _ in top] == expected
    np.testing.assert_allclose([s for _, s in top], scores[expected], rtol=0, atol=1e-9)


def test_top_k_ranks_only_documents_containing_a_query_term():
    bm25 = BM25([["a"], ["b"], ["c"], ["a", "b"]])
    assert {i for i, _ in bm25.top_k(["a"], 10)} == {0, 3}


def test_top_k_of_unknown_terms_is_empty():
    assert BM25([["a"], ["b"]]).top_k(["zzz"], 3) == []


def _faq(i: int, question: str, answer: str, similar: tuple[str, ...] = ()) -> Document:
    return Document(kind="faq", id=i, title=question, body=answer, similar=similar)


BANK = [
    _faq(1, "如何申请最低生活保障？", "携带身份证、户口簿到户籍所在地乡镇人民政府提出书面申请。"),
    _faq(2, "医疗保险怎么报销？", "在定点医疗机构就医后，凭发票和医保卡到医保经办机构办理报销。"),
    _faq(3, "农村危房改造补助标准是多少？", "D级危房每户补助2万元，C级危房每户补助1万元。"),
    _faq(4, "临时救助的对象有哪些？", "因火灾、交通事故等意外导致基本生活暂时困难的家庭。最低生活保障家庭也可申请。"),
    _faq(5, "怎样查询养老金发放情况？", "可通过社会保障卡或手机查询养老金到账情况。", similar=("退休金到账了吗",)),
    Document(
        kind="item",
        id=1,
        title="金贵镇2018年政务公开工作总结",
        body="全年发布信息389条。",
        keywords=("三公经费", "工作总结"),
    ),
]


def test_title_match_outranks_a_mention_in_another_answer(processor):
    index = FieldedIndex(BANK, processor)
    best = index.search(processor.analyze("最低生活保障怎么申请"), 3)
    assert best[0].doc.key == "faq:1"


def test_similar_questions_are_searched_like_the_title(processor):
    index = FieldedIndex(BANK, processor)
    assert index.search(processor.analyze("退休金到账"), 1)[0].doc.key == "faq:5"


def test_item_keywords_are_searched(processor):
    index = FieldedIndex(BANK, processor)
    assert index.search(processor.analyze("三公经费"), 1)[0].doc.key == "item:1"


def test_hits_report_which_query_words_they_contain(processor):
    index = FieldedIndex(BANK, processor)
    hit = index.search(processor.analyze("危房改造补助标准"), 1)[0]
    assert set(hit.matched) == {"危房改造", "补助", "标准"}


def test_rebuild_with_warm_cache_segments_nothing_again(processor):
    cache = MemorySegmentationCache()
    FieldedIndex(BANK, processor, cache=cache)
    rebuilt = FieldedIndex(BANK, processor, cache=cache)
    assert rebuilt.segmented == 0


def test_rebuild_segments_only_changed_text(processor):
    cache = MemorySegmentationCache()
    FieldedIndex(BANK, processor, cache=cache)
    changed = [*BANK[:-1], _faq(9, "新的问题怎么问？", BANK[0].body)]
    assert FieldedIndex(changed, processor, cache=cache).segmented == 1


def test_cache_keys_change_with_the_lexicon():
    assert segmentation_key("lexicon-a", "低保") != segmentation_key("lexicon-b", "低保")


def test_cached_terms_are_used_as_stored(processor):
    cache = MemorySegmentationCache()
    doc = _faq(1, "甲", "乙")
    cache.put(segmentation_key(processor.lexicon_version, "甲"), ["自定义词"])
    index = FieldedIndex([doc], processor, cache=cache)
    assert index.search(["自定义词"], 1)[0].doc == doc


def test_empty_index_returns_no_hits(processor):
    assert FieldedIndex([], processor).search(["低保"], 5) == []


def test_scores_add_the_weighted_fields(processor):
    index = FieldedIndex(BANK, processor, weights={"text": 1.0, "title_chars": 0.0, "body_chars": 0.0})
    words = processor.analyze("危房改造补助")
    expected = index.fields["text"].get_scores(words)
    top = index.search(words, 1)[0]
    assert top.score == pytest.approx(expected.max())


class _Unpruned(FieldedIndex):
    min_char_contribution = 0.0


@pytest.mark.parametrize("query", [["甲乙"], ["甲乙", "丙丁", "戊", "天地"]])
def test_fielded_scores_are_the_weighted_sum_of_field_scores(processor, query):
    # Terms are planted through the cache, so the corpus is exactly what the test says; the
    # first query touches few documents (sparse sums), the second most (dense sums).
    rng = random.Random(5)
    words = ["甲乙", "丙丁", "戊", "己庚", "天地", "玄黄", "宇宙", "洪荒"]
    cache = MemorySegmentationCache()
    docs = []
    for i in range(400):
        title, body = f"标题{i}", f"正文{i}"
        title_terms = rng.sample(words[2:], 2) + (["甲乙"] if i % 50 == 0 else [])
        cache.put(segmentation_key(processor.lexicon_version, title), title_terms)
        cache.put(segmentation_key(processor.lexicon_version, body), rng.choices(words[1:], k=rng.randint(1, 9)))
        docs.append(_faq(i, title, body))
    index = _Unpruned(docs, processor, cache=cache)
    chars = list(dict.fromkeys(processor.characters(query)))
    expected = (
        index.weights["text"] * index.fields["text"].get_scores(query)
        + index.weights["title_chars"] * index.fields["title_chars"].get_scores(chars)
        + index.weights["body_chars"] * index.fields["body_chars"].get_scores(chars)
    )
    best = sorted(range(len(docs)), key=lambda i: (-expected[i], i))[:5]
    hits = index.search(query, 5)
    assert [h.position for h in hits] == best
    np.testing.assert_allclose([h.score for h in hits], expected[best], rtol=1e-12)


class _PrunedAlways(FieldedIndex):
    prune_from_docs = 0


def test_large_indexes_leave_out_weak_character_postings(processor):
    assert len(_PrunedAlways(BANK, processor)._inv_doc) < len(_Unpruned(BANK, processor)._inv_doc)


def test_small_indexes_keep_every_posting(processor):
    assert len(FieldedIndex(BANK, processor)._inv_doc) == len(_Unpruned(BANK, processor)._inv_doc)


@pytest.mark.parametrize("seed", range(12))
def test_top_k_paths_equal_a_full_sort_with_ties(seed):

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    ids, contributions = [], []
    for _ in range(int(rng.integers(1, 8))):
        docs = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False)).astype(np.int32)
        ids.append(docs)
        contributions.append(rng.integers(1, 4, len(docs)).astype(float))  # many ties
    full = np.zeros(n)
    for docs, values in zip(ids, contributions, strict=True):
        full[docs] += values
    for k in (1, 10, n + 5):
        expected = sorted(np.flatnonzero(full).tolist(), key=lambda i: (-full[i], i))[:k]
        for top in (Scratch(n).top_k(ids, contributions, k), Scratch(n).dense_top_k(ids, contributions, k)):
            assert [d for d, _ in top] == expected
            assert [s for _, s in top] == full[expected].tolist()


@pytest.mark.parametrize("dense", [False, True])
def test_a_memo_reuses_the_sums_of_the_same_postings_only(dense):
    rng = np.random.default_rng(7)
    n = 500

    def postings() -> tuple[list[np.ndarray], list[np.ndarray]]:
        ids = [np.sort(rng.choice(n, 300, replace=False)).astype(np.int32) for _ in range(3)]
        return ids, [rng.random(len(docs)) for docs in ids]

    first, second = postings(), postings()
    scratch = Scratch(n)
    top = scratch.dense_top_k if dense else scratch.top_k
    for memo, (ids, contributions) in [("a", first), ("b", second), ("b", second), (None, second), ("a", first)]:
        for k in (5, 50):
            assert top(ids, contributions, k, memo) == Scratch(n).top_k(ids, contributions, k)
    assert top([], [], 5, "a") == Scratch(n).top_k(*first, 5)  # the memo stands for the postings


@pytest.mark.parametrize("query", ["危房改造补助", "低保怎么申请", "驾照"])
def test_max_score_adds_each_fields_best_contributions(processor, query):
    index = FieldedIndex(BANK, processor)
    words = processor.analyze(query)
    chars = list(dict.fromkeys(processor.characters(words)))
    expected = sum(index.fields["text"].max_term_score(w) for w in dict.fromkeys(words)) + sum(
        index.weights[f] * index.fields[f].max_term_score(c) for f in ("title_chars", "body_chars") for c in chars
    )
    assert index.max_score(words) == pytest.approx(expected, rel=1e-12)
