"""An edit batch's index of rows by key: single reads for a form, one read of all for an import."""

from __future__ import annotations

from knowledge.keyindex import KeyIndex


def make(table: dict[str, str], bulk_after: int = 3) -> tuple[KeyIndex[str, str], list[str]]:
    reads: list[str] = []

    def one(key: str) -> str | None:
        reads.append(key)
        return table.get(key)

    def every() -> list[tuple[str, str]]:
        reads.append("*")
        return list(table.items())

    return KeyIndex(one, every, bulk_after=bulk_after), reads


def test_a_few_keys_are_read_one_by_one_and_remembered() -> None:
    index, reads = make({"a": "row a"})
    assert (index.get("a"), index.get("b"), index.get("a")) == ("row a", None, "row a")
    assert reads == ["a", "b"]


def test_many_keys_read_the_whole_table_once() -> None:
    index, reads = make({f"k{n}": f"row {n}" for n in range(10)})
    found = [index.get(f"k{n}") for n in range(10)] + [index.get("missing")]
    assert found == [f"row {n}" for n in range(10)] + [None]
    assert reads == ["k0", "k1", "k2", "*"]


def test_the_batchs_own_moves_win_over_what_is_read_later() -> None:
    index, _reads = make({"old": "row 1", "other": "row 2"}, bulk_after=1)
    assert index.get("old") == "row 1"
    index.pop("old")  # row 1 renamed to "new" in this batch, not yet written
    index["new"] = "row 1"
    assert index.get("other") == "row 2"  # the whole table is read now: it still says "old"
    assert (index.get("old"), index.get("new")) == (None, "row 1")
