"""An item that was repealed or has expired is never current."""

from __future__ import annotations

import datetime

import pytest

from knowledge import validity
from knowledge.document import Document

TODAY = datetime.date(2026, 6, 1)


def item(**kw) -> Document:
    return Document(kind="item", id=1, title="某办法", body="正文。", **kw)


@pytest.mark.parametrize("status", ["废止", "已废止", "失效", "已失效"])
def test_a_repealed_status_is_not_current(status: str) -> None:
    assert validity.state(item(status=status), TODAY) is validity.State.REPEALED


@pytest.mark.parametrize("status", [None, "", "有效", "现行有效"])
def test_an_item_without_an_ending_status_is_current(status: str | None) -> None:
    assert validity.is_current(item(status=status), TODAY)


def test_an_item_past_its_valid_until_date_has_expired() -> None:
    assert validity.state(item(valid_until=datetime.date(2026, 5, 31)), TODAY) is validity.State.EXPIRED
    assert validity.is_current(item(valid_until=TODAY), TODAY)
