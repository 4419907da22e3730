"""The 办事机构 directory: files staff edit, the table, the bundled defaults, re-reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.offices import (
    BUNDLED,
    OfficeDirectory,
    OfficeEntry,
    OfficeFileError,
    load_entries,
    read_file,
    replace_all,
    seed_if_empty,
)
from knowledge.store import Store
from tests.support import FakeClock


def test_the_bundled_directory_is_valid_and_has_the_common_lines() -> None:
    entries = read_file(BUNDLED)
    phones = " ".join(e.phone for e in entries)
    assert all(number in phones for number in ("12345", "12333", "12393"))
    assert any("便民服务中心" in e.name for e in entries)


def test_csv_with_chinese_headers_and_gbk_encoding_is_read(tmp_path: Path) -> None:
    path = tmp_path / "机构.csv"
    path.write_bytes("名称,办理事项,电话,地址,办公时间\n民政办,低保、临时救助,0951-1,二楼,工作日\n".encode("gbk"))
    assert read_file(path) == [OfficeEntry("民政办", ("低保", "临时救助"), "0951-1", "二楼", "工作日")]


@pytest.mark.parametrize(("content", "message"), [
    ('{"名称": "民政办"}\n', "缺少“办理事项”"),
    ('{"办理事项": "低保"}\n', "缺少“名称”"),
    ('{"名称": "a", "办理事项": "x"}\n{"名称": "a", "办理事项": "y"}\n', "重复"),
    ("not json\n", "不是有效的 JSON"),
    ("\n", "没有任何机构"),
])
def test_a_bad_file_is_refused_with_the_row_and_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "offices.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(OfficeFileError, match=message):
        read_file(path)


def test_import_replaces_the_whole_directory_in_order(store: Store) -> None:
    replace_all(store, [OfficeEntry("a", ("x",)), OfficeEntry("b", ("y",))])
    replace_all(store, [OfficeEntry("c", ("z",), "123"), OfficeEntry("a", ("x", "w"))])
    assert load_entries(store) == [OfficeEntry("c", ("z",), "123"), OfficeEntry("a", ("x", "w"))]


def test_an_empty_directory_is_seeded_once_and_staff_edits_are_kept(store: Store) -> None:
    assert seed_if_empty(store)
    replace_all(store, [OfficeEntry("本镇民政办", ("低保",))])
    assert not seed_if_empty(store)
    assert [e.name for e in load_entries(store)] == ["本镇民政办"]


def test_the_directory_is_reread_after_its_time_to_live(store: Store) -> None:
    clock = FakeClock()
    directory = OfficeDirectory(store, ttl=5, clock=clock)
    replace_all(store, [OfficeEntry("a", ("x",))])
    assert [e.name for e in directory()] == ["a"]
    replace_all(store, [OfficeEntry("b", ("y",))])
    assert [e.name for e in directory()] == ["a"]
    clock.now += 5
    assert [e.name for e in directory()] == ["b"]
