"""Years and "latest" in a question, resolved against the items' publication dates."""

from __future__ import annotations

import datetime

from knowledge import timeframe
from knowledge.document import Document, Hit, SearchResult

TODAY = datetime.date(2026, 3, 1)


def item(n: int, published: datetime.date | None, title: str = "低保对象公示") -> Document:
    return Document(kind="item", id=n, title=f"{title}{n}", body="名单。", published=published)


def result(query: str, *hits: tuple[Document, float], answered: bool = True) -> SearchResult:
    return SearchResult(query, (), tuple(Hit(d, s, ()) for d, s in hits), answered)


def keys(r: SearchResult) -> list[str]:
    return [h.doc.key for h in r.hits]


def test_years_are_read_from_numbers_and_relative_words() -> None:
    assert timeframe.parse("2018年政务公开总结", TODAY).years == {2018}
    assert timeframe.parse("今年的低保公示", TODAY).years == {2026}
    assert timeframe.parse("去年的低保公示", TODAY).years == {2025}
    assert timeframe.parse("前年", TODAY).years == {2024}
    assert not timeframe.parse("低保怎么申请", TODAY)
    assert timeframe.parse("最新的低保公示", TODAY).latest


def test_a_year_keeps_only_items_published_that_year_and_faq_entries() -> None:
    faq = Document(kind="faq", id=9, title="低保怎么申请", body="…")
    r = timeframe.apply(result("2024年低保公示", (item(1, datetime.date(2025, 1, 5)), 9.0),
                               (item(2, datetime.date(2024, 7, 1)), 8.0), (faq, 7.0), (item(3, None), 6.0)), TODAY)
    assert keys(r) == ["item:2", "faq:9"]
    assert not r.answered  # the search's best hit was of another year: its decision does not carry over


def test_the_decision_stands_when_the_best_hit_is_of_the_asked_year() -> None:
    r = timeframe.apply(result("去年的低保公示", (item(1, datetime.date(2025, 10, 1)), 9.0),
                               (item(2, datetime.date(2024, 1, 1)), 8.0)), TODAY)
    assert keys(r) == ["item:1"] and r.answered


def test_latest_orders_close_matches_newest_first_and_undated_last() -> None:
    r = timeframe.apply(result("最新的低保公示", (item(1, datetime.date(2024, 4, 2)), 10.0),
                               (item(2, None), 9.5), (item(3, datetime.date(2025, 10, 8)), 9.0),
                               (item(4, datetime.date(2026, 1, 1), "无关通知"), 3.0)), TODAY)
    assert keys(r) == ["item:3", "item:1", "item:2", "item:4"]
    assert r.answered


def test_a_question_without_time_words_is_left_alone() -> None:
    original = result("低保公示", (item(1, datetime.date(2020, 1, 1)), 5.0), (item(2, datetime.date(2025, 1, 1)), 4.9))
    assert timeframe.apply(original, TODAY) is original


def test_an_item_whose_title_names_the_asked_year_is_kept_whenever_it_was_published() -> None:
    report = Document(kind="item", id=1, title="金贵镇2018年政府信息公开工作年度报告", body="…",
                      published=datetime.date(2019, 1, 28))
    plan = Document(kind="item", id=2, title="2018年工作总结暨2019年工作计划", body="…",
                    published=datetime.date(2018, 12, 10))
    other = item(3, datetime.date(2020, 3, 1), "2020年低保对象公示")
    r = timeframe.apply(result("2018年公开了多少条信息", (report, 9.0), (plan, 8.0), (other, 7.0)), TODAY)
    assert keys(r) == ["item:1", "item:2"] and r.answered
    assert keys(timeframe.apply(result("2019年有什么打算", (plan, 9.0), (report, 8.0)), TODAY)) == ["item:2", "item:1"]
