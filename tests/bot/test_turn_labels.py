"""Every reply kind reads in Chinese on the staff pages (命中测试, 群众提问)."""

from __future__ import annotations

import re

from bot.turn import REPLY_KIND_LABELS, ReplyKind


def test_every_reply_kind_has_a_chinese_label() -> None:
    assert set(REPLY_KIND_LABELS) == set(ReplyKind)
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in REPLY_KIND_LABELS.values())


def test_a_logged_kind_read_back_as_text_finds_its_label() -> None:
    assert REPLY_KIND_LABELS.get("routed") == "告知办理机构"  # type: ignore[call-overload]  # the log stores the value
