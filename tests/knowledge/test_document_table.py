"""The mapped document table keeps what a search reads decoded, within its bound."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from knowledge import persist
from knowledge.document import Document


def _table(tmp_path: Path, n: int, cache: int) -> persist.DocumentTable:
    docs = [Document(kind="faq", id=i + 1, title=f"问题{i}", body=f"答复{i}") for i in range(n)]
    persist.save_documents(tmp_path, "docs", docs)
    return persist.DocumentTable(tmp_path, "docs", cache=cache)


def test_the_index_table_keeps_more_documents_than_one_deep_search_reads(tmp_path: Path) -> None:
    table = _table(tmp_path, 3000, cache=persist.DOCUMENT_CACHE)
    first = [table[i] for i in range(3000)]
    assert all(table[i] is first[i] for i in range(3000))  # none decoded again
    assert table[2999] == Document(kind="faq", id=3000, title="问题2999", body="答复2999")


def test_a_table_forgets_the_oldest_documents_beyond_its_bound(tmp_path: Path) -> None:
    table = _table(tmp_path, 20, cache=4)
    first = table[0]
    for i in range(1, 20):
        table[i]
    assert table[0] is not first and table[0] == first


def test_a_dropped_table_frees_its_decoded_documents_without_waiting_for_the_collector(tmp_path: Path) -> None:
    table = _table(tmp_path, 5, cache=persist.DOCUMENT_CACHE)
    table[0]
    gone = weakref.ref(table)
    gc.disable()
    try:
        del table
        assert gone() is None
    finally:
        gc.enable()
