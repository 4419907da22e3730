"""The sibling items bench.items --latency builds: distinct documents, importable, realistic."""

from __future__ import annotations

from bench.items import item_rows
from bench.items_latency import ratio_interval, variants, verdict

DOC = {"title": "关于印发《某街道老旧小区物业补贴办法》的通知", "doc_no": "某府〔2023〕5号",
       "publisher": "某街道办事处", "date": "2023-05-01", "level": "街镇级", "category": "通知", "type": "办法",
       "status": "有效",
       "url": "https://example.gov.cn/a.html",
       "body": "各居委会：\n第三条 2023年5月1日起，补贴标准为每平方米0.25元，每户最高300元。\n"
               "第十条 本办法自发布之日起施行。"}


def test_every_sibling_has_its_own_title_link_and_publisher() -> None:
    siblings = variants([DOC, {**DOC, "title": "另一份通知", "url": "https://example.gov.cn/b.html"}], 25)
    assert len(siblings) == 25
    assert len({s["title"] for s in siblings}) == 25 and len({s["url"] for s in siblings}) == 25
    assert all(s["publisher"] != DOC["publisher"] for s in siblings)


def test_a_sibling_varies_figures_but_keeps_dates_and_article_numbers() -> None:
    body = variants([DOC], 1)[0]["body"]
    assert "2023年5月1日" in body and "第三条" in body and "第十条" in body
    assert "300元" not in body and "元" in body
    assert body.splitlines()[0].endswith("：")  # the cover note names the sibling's place


def test_siblings_are_rows_the_importer_reads() -> None:
    rows = item_rows(variants([DOC], 3))
    assert all(row["标题"] and row["正文"] and row["链接"] and row["文号"] for row in rows)


def test_the_ratio_interval_brackets_the_ratio_and_widens_with_a_rare_pause() -> None:
    items, faqs = [0.012] * 300, [0.010] * 300
    assert ratio_interval(items, faqs, 0.99, rounds=200) == (1.2, 1.2)
    paused = [*faqs[:-3], 0.3, 0.3, 0.3]  # three of 300 FAQ replies met a pause: the p99 is one of them
    low, high = ratio_interval(items, paused, 0.99, rounds=200)
    assert low < 1 < high


def test_a_verdict_is_given_only_when_the_interval_lies_on_one_side_of_one() -> None:
    assert verdict(0.8, 0.95) == "met" and verdict(1.05, 1.3) == "NOT met"
    assert verdict(0.9, 1.1).startswith("undecided")
